"""Load Sigma rule files into a :class:`RuleSet`, listing every rule that cannot be loaded.

``load_rules(paths)`` reads files and directories (``*.yml``/``*.yaml``, recursively),
parses each YAML document with pySigma (``action: global``/``reset``/``repeat``
collections included), compiles detections into predicates and correlation rules into
:class:`CompiledCorrelation`, and resolves the rules a correlation refers to. Nothing
is dropped silently: a file or rule that fails comes back as a ``RuleLoadError`` with
the file name and the reason, and the other rules still load.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from sigma.collection import SigmaCollection, deep_dict_update
from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    SigmaCorrelationRule,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.rule import SigmaRule, SigmaRuleBase

from madoguchi.analyzers.base import RuleLoadError
from madoguchi.analyzers.forking import freeze_survivors
from madoguchi.analyzers.sigma.conditions import (
    Node,
    anchor_fields,
    anchor_groups,
    best_groups,
    build,
    channels,
    compile_node,
    event_ids,
    referenced_fields,
)
from madoguchi.analyzers.sigma.correlations import TYPES, CompiledCorrelation, Expression
from madoguchi.analyzers.sigma.errors import SigmaRuleError
from madoguchi.analyzers.sigma.logsources import field_fallbacks, logsource_sources
from madoguchi.analyzers.sigma.regex_policy import POLICY
from madoguchi.analyzers.sigma.rules import CompiledRule, attack_ids, fallback_id
from madoguchi.analyzers.sigma.ruleset import IndexedRule, Key, RuleSet
from madoguchi.analyzers.textio import decode_bytes

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OWN_ID = "x-madoguchi-own-id"  # a non-UUID id, kept aside so pySigma accepts the rule
_RANGE = "x-madoguchi-condition"  # a correlation condition with two bounds (a range)
_CONDITION_OPS = ("gt", "gte", "lt", "lte", "eq", "neq")
_MODIFIER_ALIASES = {"utf16le": "wide"}
_FREEZE_EVERY_FILES = 256
"""Rule files loaded between two ``freeze_survivors`` calls: inside an analysis run the
compiled rules so far leave the garbage collector's walks (0.2 s of full collections
while loading 2,500 rules otherwise; see :mod:`madoguchi.analyzers.forking`)."""
_STRUCTURAL = frozenset({"logsource", "detection", "correlation", "action", _OWN_ID, _RANGE})

Placeholders = Mapping[str, str | Iterable[str]]


def load_rules(
    paths: Iterable[Path | str], *, placeholders: Placeholders | None = None
) -> tuple[RuleSet, list[RuleLoadError]]:
    """Load rules from files and directories; returns the rule set and what did not load.

    ``placeholders`` gives the values of ``%name%`` placeholders used with the
    ``expand`` modifier (a name maps to one value or a list of values).
    """
    values: dict[str, list[str]] = {}
    for name, value in (placeholders or {}).items():
        values[name] = [value] if isinstance(value, str) else [str(v) for v in value]
    loader = _Loader(values)
    for path in paths:
        loader.add_path(Path(path))
    return loader.finish()


def _reason(error: BaseException) -> str:
    if isinstance(error, SigmaError) and error.args:
        return str(error.args[0])
    if isinstance(error, SigmaRuleError):
        return error.message
    return f"{type(error).__name__}: {error}"


def _norm_ref(ref: str) -> str:
    try:
        return str(UUID(str(ref)))
    except ValueError:
        return str(ref)


@dataclass
class _Loader:
    placeholders: dict[str, list[str]]
    errors: list[RuleLoadError] = field(default_factory=list)
    detections: list[IndexedRule] = field(default_factory=list)
    correlations: list[CompiledCorrelation] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # rule id -> file it came from

    def error(self, rule_file: str, reason: str) -> None:
        self.errors.append(RuleLoadError(rule_file, reason, "sigma"))

    # ------------------------------------------------------------------ files

    def add_path(self, path: Path) -> None:
        if path.is_dir():
            files = sorted({*path.rglob("*.yml"), *path.rglob("*.yaml")})
            for number, file in enumerate(files, start=1):
                if file.is_file():
                    self.add_file(file, file.relative_to(path).as_posix())
                if number % _FREEZE_EVERY_FILES == 0:
                    freeze_survivors()  # compiled rules live as long as the run
        elif path.is_file():
            self.add_file(path, path.name)
        else:
            self.error(str(path), "no such file or directory")

    def add_file(self, file: Path, rel: str) -> None:
        display = str(file)
        try:
            text, _encoding = decode_bytes(file.read_bytes())  # UTF-8, UTF-16, Shift_JIS ...
        except OSError as error:
            self.error(display, f"cannot read: {error.strerror or error}")
            return
        except (UnicodeDecodeError, LookupError):
            self.error(display, "not readable as text")
            return
        documents: list[Any] = []
        try:
            for document in yaml.load_all(text, Loader=_YAML_LOADER):
                documents.append(document)
        except yaml.YAMLError as error:
            self.error(display, f"broken YAML: {_yaml_problem(error)}")
        source = SigmaRuleLocation(file)
        # Documents are copied before merging so that a later ``repeat`` or ``global``
        # sees them as written; a file of one document (nearly every rule) needs no copy.
        copied: Callable[[Any], Any] = copy.deepcopy if len(documents) > 1 else _as_is
        global_rule: dict[str, Any] = {}
        previous: dict[str, Any] = {}
        for number, document in enumerate(documents, start=1):
            if document is None:
                continue
            label = f"document {number}"
            if not isinstance(document, dict):
                self.error(display, f"{label}: not a YAML mapping")
                continue
            action = document.get("action")
            if action == "global":
                global_rule = {k: v for k, v in document.items() if k != "action"}
                previous = copied(global_rule)
                continue
            if action == "reset":
                global_rule = {}
                continue
            if action == "repeat":
                merged = deep_dict_update(
                    copied(previous), {k: v for k, v in document.items() if k != "action"}
                )
            elif action is not None:
                self.error(display, f"{label}: unknown collection action {action!r}")
                continue
            elif "correlation" in document or "filter" in document:
                merged = copied(document)
            else:
                merged = deep_dict_update(copied(document), copied(global_rule))
                previous = copied(document)
            title = merged.get("title")
            if isinstance(title, str) and title:
                label = f"rule {title!r}"
            self.add_document(merged, display, f"{rel}#{number}", label, source)

    def add_document(
        self,
        document: dict[str, Any],
        display: str,
        rel: str,
        label: str,
        source: SigmaRuleLocation,
    ) -> None:
        if "filter" in document and "correlation" not in document:
            self.error(display, f"{label}: Sigma filter documents are not supported")
            return
        prepared = _prepare(document)
        try:
            collection = SigmaCollection.from_dicts(
                [prepared],
                collect_errors=True,
                policy=POLICY,
                source=source,
                resolve_references=False,
                collect_filters=True,
            )
        except (
            SigmaError,
            SigmaRuleError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
        ) as error:
            self.error(display, f"{label}: {_reason(error)}")
            return
        if collection.errors:
            reasons = "; ".join(dict.fromkeys(_reason(e) for e in collection.errors))
            self.error(display, f"{label}: {reasons}")
            return
        for parsed in collection.rules:
            try:
                if isinstance(parsed, SigmaCorrelationRule):
                    self.add_correlation(parsed, display, rel)
                elif isinstance(parsed, SigmaRule):
                    self.add_detection(parsed, display, rel)
            except (SigmaError, SigmaRuleError, ValueError, TypeError) as error:
                self.error(display, f"{label}: {_reason(error)}")

    # ------------------------------------------------------------------ rules

    def _meta(self, parsed: SigmaRuleBase, display: str, rel: str, kind: str) -> CompiledRule:
        custom = dict(parsed.custom_attributes)
        title = parsed.title or ""
        if parsed.id is not None:
            rule_id = str(parsed.id)
        elif custom.get(_OWN_ID):
            rule_id = str(custom[_OWN_ID])
        else:  # the file and the title; the document number only when titles repeat
            path, _, number = rel.rpartition("#")
            rule_id = fallback_id(path, title)
            if rule_id in self.seen:
                rule_id = fallback_id(f"{path}#{number}", title)
        if rule_id in self.seen:
            raise SigmaRuleError(
                f"duplicate rule id {rule_id} (already loaded from {self.seen[rule_id]})"
            )
        tags = tuple(str(t) for t in parsed.tags)
        return CompiledRule(
            id=rule_id,
            title=title,
            level=str(parsed.level) if parsed.level is not None else "",
            description=parsed.description or "",
            attack=attack_ids(tags),
            tags=tags,
            references=tuple(str(r) for r in parsed.references),
            path=display,
            status=str(parsed.status) if parsed.status is not None else "",
            falsepositives=tuple(str(f) for f in parsed.falsepositives),
            custom={k: v for k, v in custom.items() if k not in _STRUCTURAL},
            name=parsed.name,
            kind=kind,
        )

    def add_detection(self, parsed: SigmaRule, display: str, rel: str) -> None:
        meta = self._meta(parsed, display, rel, "detection")
        logsource = parsed.logsource
        fallbacks = field_fallbacks(logsource.category)
        nodes = [
            build(condition.parsed, placeholders=self.placeholders, fallbacks=fallbacks)
            for condition in parsed.detection.parsed_condition
        ]
        node = nodes[0] if len(nodes) == 1 else Node("or", nodes)
        keys = _keys(logsource.product, logsource.service, logsource.category, node)
        meta.predicate = compile_node(node)
        meta.fields = tuple(referenced_fields(node))
        meta.logsource = {
            k: v
            for k, v in (
                ("product", logsource.product),
                ("service", logsource.service),
                ("category", logsource.category),
            )
            if v
        }
        groups = tuple(best_groups(anchor_groups(node)))
        self.seen[meta.id] = display
        fields = anchor_fields(node) if groups else None
        self.detections.append(IndexedRule(meta, keys, groups, fields))

    def add_correlation(self, parsed: SigmaCorrelationRule, display: str, rel: str) -> None:
        meta = self._meta(parsed, display, rel, "correlation")
        kind = parsed.type.name.lower()
        if kind not in TYPES:
            raise SigmaRuleError(f"unsupported correlation type {kind}")
        condition = parsed.condition
        ops: dict[str, float] = {}
        value_field: str | None = None
        expression: Expression | None = None
        if isinstance(condition, SigmaExtendedCorrelationCondition):
            expression = _expression(condition.parsed)
            references = tuple(condition.get_referenced_rules())
        else:
            ops = {condition.op.name.lower(): float(condition.count)}
            fieldref = condition.fieldref
            value_field = fieldref[0] if isinstance(fieldref, list) else fieldref
            references = tuple(r.reference for r in parsed.rules or ())
        bounds = parsed.custom_attributes.get(_RANGE)
        if isinstance(bounds, dict):
            ops = {op: float(bounds[op]) for op in _CONDITION_OPS if op in bounds}
        aliases = {
            alias.alias: {ref.reference: str(name) for ref, name in alias.mapping.items()}
            for alias in parsed.aliases
        }
        self.seen[meta.id] = display
        self.correlations.append(
            CompiledCorrelation(
                rule=meta,
                type=kind,
                references=references,
                timespan=float(parsed.timespan.seconds),
                group_by=tuple(parsed.group_by or ()),
                aliases=aliases,
                ops=ops,
                value_field=value_field,
                expression=expression,
                generate=bool(parsed.generate),
            )
        )

    # ------------------------------------------------------------------ finish

    def finish(self) -> tuple[RuleSet, list[RuleLoadError]]:
        known: dict[str, CompiledRule] = {}
        for member in self.detections:
            _remember(known, member.rule)
        pending = list(self.correlations)
        for corr in pending:
            _remember(known, corr.rule)
        valid: list[CompiledCorrelation] = []
        dropped: set[str] = set()
        changed = True
        while changed:  # a correlation of a dropped correlation is dropped too
            changed = False
            for corr in pending:
                if corr.rule.id in dropped or corr in valid:
                    continue
                missing = [
                    r
                    for r in corr.references
                    if _norm_ref(r) not in known or known[_norm_ref(r)].id in dropped
                ]
                if missing:
                    dropped.add(corr.rule.id)
                    changed = True
                    self.error(
                        corr.rule.path,
                        f"rule {corr.rule.title!r}: correlation refers to unknown rule(s) "
                        + ", ".join(missing),
                    )
        for corr in pending:
            if corr.rule.id in dropped:
                continue
            targets = [known[_norm_ref(r)] for r in corr.references]
            corr.rule_ids = tuple(t.id for t in targets)
            corr.ref_of = {t.id: r for t, r in zip(targets, corr.references, strict=True)}
            if not corr.generate:
                for target in targets:
                    target.output = False
            valid.append(corr)
        ruleset = RuleSet()
        ruleset.add(self.detections)
        ruleset.correlations = valid
        return ruleset, self.errors


def _as_is(value: Any) -> Any:
    return value


def _remember(known: dict[str, CompiledRule], rule: CompiledRule) -> None:
    known.setdefault(rule.id, rule)
    if rule.name:
        known.setdefault(rule.name, rule)


def _prepare(document: dict[str, Any]) -> dict[str, Any]:
    """Set aside what pySigma would refuse but we accept: a non-UUID id, a range condition,
    the Sigma 1 spelling of a ``related`` type."""
    prepared = dict(document)
    related = prepared.get("related")
    if isinstance(related, list):
        prepared["related"] = [_related_entry(entry) for entry in related]
    rule_id = prepared.get("id")
    if rule_id is not None:
        try:
            prepared["id"] = str(UUID(str(rule_id)))
        except ValueError:
            prepared[_OWN_ID] = str(rule_id)
            del prepared["id"]
    detection = prepared.get("detection")
    if isinstance(detection, dict):
        prepared["detection"] = _modifier_aliases(detection)
    correlation = prepared.get("correlation")
    if isinstance(correlation, dict) and isinstance(correlation.get("condition"), dict):
        condition = correlation["condition"]
        ops = [op for op in _CONDITION_OPS if op in condition]
        if len(ops) > 1:
            prepared[_RANGE] = dict(condition)
            single = {k: v for k, v in condition.items() if k not in ops[1:]}
            prepared["correlation"] = {**correlation, "condition": single}
    return prepared


#: ``related`` types spelled as in version 1 of the Sigma specification, which rule sets
#: written before version 2 (2024) still use; pySigma only knows the new names.
_RELATED_ALIASES = {"obsoletes": "obsolete"}


def _related_entry(entry: Any) -> Any:
    if isinstance(entry, dict) and entry.get("type") in _RELATED_ALIASES:
        return {**entry, "type": _RELATED_ALIASES[entry["type"]]}
    return entry


def _modifier_aliases(value: Any) -> Any:
    """Spell modifiers the way pySigma knows them (the specification's ``utf16le`` = ``wide``)."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            spelled = key
            if isinstance(key, str) and "|" in key:
                name, *mods = key.split("|")
                spelled = "|".join([name, *(_MODIFIER_ALIASES.get(m, m) for m in mods)])
            out[spelled] = _modifier_aliases(item)
        return out
    if isinstance(value, list):
        return [_modifier_aliases(v) for v in value]
    return value


def _expression(item: CorrelationConditionItem | SigmaRuleReference) -> Expression:
    if isinstance(item, SigmaRuleReference):
        return Expression("ref", ref=item.reference)
    args = tuple(_expression(a) for a in item.args)
    if isinstance(item, CorrelationConditionNOT):
        return Expression("not", args)
    if isinstance(item, CorrelationConditionAND):
        return Expression("and", args)
    return Expression("or", args)


def _keys(
    product: str | None, service: str | None, category: str | None, node: Node
) -> tuple[Key, ...]:
    """The (channel, EventID) pairs a rule is filed under."""
    pairs = logsource_sources(product, service, category)
    wanted_channels = channels(node)
    wanted_ids = event_ids(node)
    if pairs is None:
        windows = product is None or product.lower() == "windows"
        if not windows or not (wanted_channels or wanted_ids):
            described = ", ".join(
                f"{k}: {v}"
                for k, v in (("product", product), ("service", service), ("category", category))
                if v
            )
            raise SigmaRuleError(f"unsupported logsource ({described})")
        pairs = ((None, None),)
    keys: list[Key] = []
    for channel, ids in pairs:
        channel_keys: Sequence[str | None]
        if channel is not None:
            channel_keys = [channel.lower()]
        elif wanted_channels:
            channel_keys = sorted(wanted_channels)
        else:
            channel_keys = [None]
        if ids is not None and wanted_ids is not None:
            eids: frozenset[int] | None = (ids & wanted_ids) or wanted_ids
        else:
            eids = ids if ids is not None else wanted_ids
        for c in channel_keys:
            for e in sorted(eids) if eids else [None]:
                keys.append((c, e))
    return tuple(dict.fromkeys(keys))


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(problem)
