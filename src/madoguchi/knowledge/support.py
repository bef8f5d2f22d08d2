"""The support catalogue, the support-plan rules and out-of-scope request detection.

Data lives in ``support_catalogue.yml`` (what the desk offers and what it does not do)
and ``support_rules.yml`` (which case facts lead to which offer, and why). Everything
here is pure: :func:`recommend` and :func:`detect_out_of_scope` take facts and return
results, reading no database and no clock.

Rule conditions (a mapping; several keys in one mapping must all hold)::

    categories: [ransomware]            any of these categories is on the case
    purposes: [support]                 the case's purpose is one of these
    products: ['pan-?os']               a case product matches a pattern (case-insensitive)
    cves: [CVE-2024-3400]               the case lists one of these CVEs
    evidence_kinds: [evtx, ransom-note] evidence of one of these kinds is attached
    families: [akira]                   one of these ransomware families was identified
    has: cves                           the case has at least one cve / family / product /
                                        evidence kind
    answer: {question: ransomware.backups_intact, op: equals, value: "no"}
                                        ops: equals, in, contains, exists, truthy
    all: [...]  any: [...]  not: {...}  combine conditions
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from madoguchi.domain.case import Case, Category, Purpose
from madoguchi.knowledge import yaml_load
from madoguchi.knowledge.answer_conditions import parse_condition
from madoguchi.knowledge.datafiles import (
    KNOWLEDGE_DIR,
    LANGUAGES,
    KnowledgeDataError,
    LocalText,
    Reader,
    any_pattern_matches,
    display_name,
    normalise_text,
)
from madoguchi.knowledge.hearing import Question, all_questions

CATALOGUE_FILE = KNOWLEDGE_DIR / "support_catalogue.yml"
RULES_FILE = KNOWLEDGE_DIR / "support_rules.yml"
_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[。！？!?\n]+")


# --- catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    id: str
    title: LocalText
    description: LocalText


@dataclass(frozen=True, slots=True)
class OutOfScopeItem:
    """A request the desk does not handle, how to spot it, and the desk's reply."""

    id: str
    title: LocalText
    reply: LocalText
    purposes: frozenset[str]
    phrases: Mapping[str, tuple[re.Pattern[str], ...]]
    unless: Mapping[str, tuple[re.Pattern[str], ...]]


@dataclass(frozen=True, slots=True)
class Catalogue:
    items: tuple[CatalogueItem, ...]
    out_of_scope: tuple[OutOfScopeItem, ...]

    def item(self, item_id: str) -> CatalogueItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate the catalogue (the built-in one unless ``path`` is given)."""
    return _builtin_catalogue() if path is None else _read_catalogue(path)


@cache
def _builtin_catalogue() -> Catalogue:
    return _read_catalogue(CATALOGUE_FILE)


_ITEM_KEYS = frozenset({"id", "title", "description"})
_OOS_KEYS = frozenset({"id", "title", "purposes", "phrases", "unless", "reply"})
_PURPOSES = frozenset(p.value for p in Purpose)


def _read_catalogue(path: Path) -> Catalogue:
    reader = Reader()
    name = display_name(path)
    data = reader.load_yaml(path)
    items: list[CatalogueItem] = []
    out_of_scope: list[OutOfScopeItem] = []
    if not isinstance(data, Mapping):
        reader.problem(name, "", "expected a mapping with 'items' and 'out_of_scope'")
        raise KnowledgeDataError(reader.problems)
    reader.unknown_keys(name, "", data, frozenset({"items", "out_of_scope"}))
    seen: set[str] = set()
    for raw in _entries(reader, name, data.get("items"), "items"):
        item_id = _entry_id(reader, name, raw, seen)
        if item_id is None:
            continue
        reader.unknown_keys(name, item_id, raw, _ITEM_KEYS)
        title = reader.text(name, item_id, raw.get("title"), "title")
        description = reader.text(name, item_id, raw.get("description"), "description")
        if title and description:
            items.append(CatalogueItem(item_id, title, description))
    for raw in _entries(reader, name, data.get("out_of_scope"), "out_of_scope"):
        oos = _read_out_of_scope(reader, name, raw, seen)
        if oos is not None:
            out_of_scope.append(oos)
    reader.raise_if_any()
    return Catalogue(tuple(items), tuple(out_of_scope))


def _entries(
    reader: Reader, name: str, value: object, field_name: str
) -> list[Mapping[str, object]]:
    if not isinstance(value, list) or not value:
        reader.problem(name, "", f"{field_name}: expected a non-empty list")
        return []
    good: list[Mapping[str, object]] = []
    for raw in value:
        if isinstance(raw, Mapping):
            good.append(raw)
        else:
            reader.problem(name, "", f"{field_name}: entry {raw!r} is not a mapping")
    return good


def _entry_id(reader: Reader, name: str, raw: Mapping[str, object], seen: set[str]) -> str | None:
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ITEM_ID.match(entry_id):
        reader.problem(name, "", f"id {entry_id!r} must be lowercase letters, digits and '_'")
        return None
    if entry_id in seen:
        reader.problem(name, entry_id, "id used twice")
    seen.add(entry_id)
    return entry_id


def _read_out_of_scope(
    reader: Reader, name: str, raw: Mapping[str, object], seen: set[str]
) -> OutOfScopeItem | None:
    oos_id = _entry_id(reader, name, raw, seen)
    if oos_id is None:
        return None
    reader.unknown_keys(name, oos_id, raw, _OOS_KEYS)
    title = reader.text(name, oos_id, raw.get("title"), "title")
    reply = reader.text(name, oos_id, raw.get("reply"), "reply")
    purposes = reader.strings(name, oos_id, raw.get("purposes"), "purposes")
    for purpose in purposes:
        if purpose not in _PURPOSES:
            reader.problem(name, oos_id, f"purposes: unknown purpose {purpose!r}")
    phrases = _read_lang_patterns(reader, name, oos_id, raw.get("phrases"), "phrases", True)
    unless = _read_lang_patterns(reader, name, oos_id, raw.get("unless"), "unless", False)
    if title is None or reply is None:
        return None
    return OutOfScopeItem(
        id=oos_id,
        title=title,
        reply=reply,
        purposes=frozenset(purposes) or _PURPOSES - {Purpose.INFORMATION_ONLY.value},
        phrases=phrases,
        unless=unless,
    )


def _read_lang_patterns(
    reader: Reader, name: str, entry: str, value: object, field_name: str, required: bool
) -> dict[str, tuple[re.Pattern[str], ...]]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        reader.problem(name, entry, f"{field_name}: expected a mapping with 'ja' and 'en' lists")
        return {}
    reader.unknown_keys(name, entry, value, frozenset(LANGUAGES))
    out: dict[str, tuple[re.Pattern[str], ...]] = {}
    for lang in LANGUAGES:
        patterns = reader.patterns(name, entry, value.get(lang), f"{field_name}.{lang}")
        if required and not patterns:
            reader.problem(name, entry, f"{field_name}.{lang}: give at least one pattern")
        out[lang] = patterns
    return out


# --- out-of-scope detection ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutOfScopeMatch:
    item_id: str
    title: LocalText
    phrase: str
    """The words in the reporter's text that matched, for the handler to check."""
    reply: LocalText


def detect_out_of_scope(
    purpose: str | Purpose | None,
    texts: Iterable[str],
    catalogue: Catalogue | None = None,
) -> list[OutOfScopeMatch]:
    """Requests in the case's free texts that the desk does not handle.

    Each text is split into sentences; a phrase matches within one sentence unless an
    ``unless`` pattern (e.g. "already wrote") also matches that sentence. Nothing is
    detected for a purpose the item does not list (by default ``information_only``);
    with ``purpose=None`` every item is checked. One match per out-of-scope item, in
    catalogue order.

    Pass the reporter's own words (description, desired support, messages), not the
    text of a ransom note: that is the attacker's text and may ask for anything.
    """
    current = _builtin_catalogue() if catalogue is None else catalogue
    purpose_value = str(purpose) if purpose is not None else None
    sentences = [
        s.strip() for text in texts if text for s in _SENTENCE_END.split(normalise_text(text))
    ]
    sentences = [s for s in sentences if s]
    matches: list[OutOfScopeMatch] = []
    for item in current.out_of_scope:
        if purpose_value is not None and purpose_value not in item.purposes:
            continue
        phrase = _first_request(item, sentences)
        if phrase is not None:
            matches.append(OutOfScopeMatch(item.id, item.title, phrase, item.reply))
    return matches


def _first_request(item: OutOfScopeItem, sentences: list[str]) -> str | None:
    for sentence in sentences:
        for lang in LANGUAGES:
            if any(p.search(sentence) for p in item.unless.get(lang, ())):
                continue
            for pattern in item.phrases.get(lang, ()):
                found = pattern.search(sentence)
                if found:
                    return found.group(0)
    return None


# --- case facts and rules -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What the rules may look at. Plain values, so any layer can build it."""

    categories: tuple[str, ...] = ()
    purpose: str | None = None
    products: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    evidence_kinds: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    answers: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_case(
        cls,
        case: Case,
        *,
        evidence_kinds: Iterable[str] = (),
        families: Iterable[str] = (),
        answers: Mapping[str, object] | None = None,
    ) -> CaseFacts:
        """Facts of a :class:`~madoguchi.domain.case.Case` plus what the desk learnt since."""
        return cls(
            categories=tuple(case.categories),
            purpose=str(case.purpose),
            products=tuple(case.products),
            cves=tuple(case.cves),
            evidence_kinds=tuple(dict.fromkeys(evidence_kinds)),
            families=tuple(dict.fromkeys(families)),
            answers=dict(answers or {}),
        )


def evidence_kinds_vocabulary() -> tuple[str, ...]:
    """The evidence kinds the built-in rules understand (content kinds and file roles)."""
    return _builtin_vocabulary()


@cache
def _builtin_vocabulary() -> tuple[str, ...]:
    _builtin_rules()  # validates the file first
    data = yaml_load.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(str(k) for k in data["evidence_kinds"])


Test = Callable[[CaseFacts], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    reason: LocalText
    recommend: tuple[str, ...]
    test: Test = field(repr=False)


@dataclass(frozen=True, slots=True)
class Reason:
    rule_id: str
    text: LocalText


@dataclass(frozen=True, slots=True)
class Recommendation:
    item: CatalogueItem
    reasons: tuple[Reason, ...]

    @property
    def item_id(self) -> str:
        return self.item.id


def recommend(
    facts: CaseFacts,
    rules: Iterable[Rule] | None = None,
    catalogue: Catalogue | None = None,
) -> list[Recommendation]:
    """Catalogue items the rules recommend for ``facts``, in catalogue order.

    When several rules recommend the same item their reasons are merged, in rule order.
    """
    current = _builtin_catalogue() if catalogue is None else catalogue
    active = _builtin_rules() if rules is None else tuple(rules)
    reasons: dict[str, list[Reason]] = {}
    for rule in active:
        if not rule.test(facts):
            continue
        for item_id in rule.recommend:
            bucket = reasons.setdefault(item_id, [])
            if all(r.rule_id != rule.id for r in bucket):
                bucket.append(Reason(rule.id, rule.reason))
    return [
        Recommendation(item, tuple(reasons[item.id]))
        for item in current.items
        if item.id in reasons
    ]


def load_rules(
    path: Path | None = None,
    catalogue: Catalogue | None = None,
    questions: Mapping[str, Question] | None = None,
) -> tuple[Rule, ...]:
    """Read and validate the rules; items and question ids must exist.

    Defaults to the built-in rules, catalogue and hearing questions. Raises
    :class:`~madoguchi.knowledge.datafiles.KnowledgeDataError` naming the file and rule
    of every problem.
    """
    if path is None and catalogue is None and questions is None:
        return _builtin_rules()
    return _read_rules(
        RULES_FILE if path is None else path,
        _builtin_catalogue() if catalogue is None else catalogue,
        all_questions() if questions is None else questions,
    )


@cache
def _builtin_rules() -> tuple[Rule, ...]:
    return _read_rules(RULES_FILE, _builtin_catalogue(), all_questions())


_RULE_KEYS = frozenset({"id", "when", "recommend", "reason"})
_HAS_VALUES = frozenset({"cves", "families", "products", "evidence_kinds"})
_CATEGORIES = frozenset(c.value for c in Category)


@dataclass
class _RuleContext:
    reader: Reader
    file: str
    rule: str
    question_types: Mapping[str, str]
    choices: Mapping[str, tuple[str, ...]]
    evidence_kinds: frozenset[str]


def _read_rules(
    path: Path, catalogue: Catalogue, questions: Mapping[str, Question]
) -> tuple[Rule, ...]:
    reader = Reader()
    name = display_name(path)
    data = reader.load_yaml(path)
    if not isinstance(data, Mapping):
        reader.problem(name, "", "expected a mapping with 'evidence_kinds' and 'rules'")
        raise KnowledgeDataError(reader.problems)
    reader.unknown_keys(name, "", data, frozenset({"evidence_kinds", "rules"}))
    kinds = frozenset(reader.strings(name, "", data.get("evidence_kinds"), "evidence_kinds"))
    item_ids = set(catalogue.item_ids())
    question_types = {qid: q.type.value for qid, q in questions.items()}
    choices = {qid: q.choice_ids() for qid, q in questions.items()}
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in _entries(reader, name, data.get("rules"), "rules"):
        rule_id = _entry_id(reader, name, raw, seen)
        if rule_id is None:
            continue
        reader.unknown_keys(name, rule_id, raw, _RULE_KEYS)
        ctx = _RuleContext(reader, name, rule_id, question_types, choices, kinds)
        reason = reader.text(name, rule_id, raw.get("reason"), "reason")
        targets = reader.strings(name, rule_id, raw.get("recommend"), "recommend")
        if not targets:
            reader.problem(name, rule_id, "recommend: name at least one catalogue item")
        for target in targets:
            if target not in item_ids:
                reader.problem(name, rule_id, f"recommend: no catalogue item {target!r}")
        test = _condition(ctx, raw.get("when"), "when")
        if reason is not None and test is not None:
            rules.append(Rule(rule_id, reason, targets, test))
    reader.raise_if_any()
    return tuple(rules)


def _condition(ctx: _RuleContext, value: object, where: str) -> Test | None:
    if not isinstance(value, Mapping) or not value:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: expected a non-empty mapping")
        return None
    tests: list[Test] = []
    for key, arg in value.items():
        builder = _BUILDERS.get(str(key))
        if builder is None:
            ctx.reader.problem(
                ctx.file, ctx.rule, f"{where}: unknown condition {key!r} (use {sorted(_BUILDERS)})"
            )
            continue
        test = builder(ctx, arg, f"{where}.{key}")
        if test is not None:
            tests.append(test)
    if len(tests) != len(value):
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda facts: all(t(facts) for t in tests)


def _word_list(ctx: _RuleContext, arg: object, where: str) -> tuple[str, ...] | None:
    words = ctx.reader.strings(ctx.file, ctx.rule, arg, where)
    if not words:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: expected a non-empty list")
        return None
    return words


def _build_categories(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    words = _word_list(ctx, arg, where)
    if words is None:
        return None
    for word in words:
        if word not in _CATEGORIES:
            ctx.reader.problem(ctx.file, ctx.rule, f"{where}: unknown category {word!r}")
    wanted = frozenset(words)
    return lambda facts: bool(wanted & {str(c) for c in facts.categories})


def _build_purposes(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    words = _word_list(ctx, arg, where)
    if words is None:
        return None
    for word in words:
        if word not in _PURPOSES:
            ctx.reader.problem(ctx.file, ctx.rule, f"{where}: unknown purpose {word!r}")
    wanted = frozenset(words)
    return lambda facts: facts.purpose is not None and str(facts.purpose) in wanted


def _build_products(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    patterns = ctx.reader.patterns(ctx.file, ctx.rule, arg, where)
    if not patterns:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: expected a non-empty list of patterns")
        return None
    return lambda facts: any_pattern_matches(patterns, facts.products)


def _build_cves(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    words = _word_list(ctx, arg, where)
    if words is None:
        return None
    for word in words:
        if not re.fullmatch(r"CVE-\d{4}-\d{4,}", word, re.IGNORECASE):
            ctx.reader.problem(ctx.file, ctx.rule, f"{where}: {word!r} is not a CVE id")
    wanted = frozenset(w.upper() for w in words)
    return lambda facts: any(c.strip().upper() in wanted for c in facts.cves)


def _build_evidence(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    words = _word_list(ctx, arg, where)
    if words is None:
        return None
    for word in words:
        if word not in ctx.evidence_kinds:
            ctx.reader.problem(
                ctx.file, ctx.rule, f"{where}: {word!r} is not listed under evidence_kinds"
            )
    wanted = frozenset(words)
    return lambda facts: bool(wanted & set(facts.evidence_kinds))


def _build_families(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    words = _word_list(ctx, arg, where)
    if words is None:
        return None
    wanted = frozenset(w.lower() for w in words)
    return lambda facts: any(f.lower() in wanted for f in facts.families)


def _build_has(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    if arg not in _HAS_VALUES:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: use one of {sorted(_HAS_VALUES)}")
        return None
    attribute = str(arg)
    return lambda facts: any(str(v).strip() for v in getattr(facts, attribute))


def _build_group(
    ctx: _RuleContext, arg: object, where: str, combine: Callable[[Iterable[bool]], bool]
) -> Test | None:
    if not isinstance(arg, list) or not arg:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: expected a non-empty list of conditions")
        return None
    parts = [_condition(ctx, item, f"{where}[{n}]") for n, item in enumerate(arg)]
    tests = [t for t in parts if t is not None]
    if len(tests) != len(parts):
        return None
    return lambda facts: combine(t(facts) for t in tests)


def _build_all(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    return _build_group(ctx, arg, where, all)


def _build_any(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    return _build_group(ctx, arg, where, any)


def _build_not(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    inner = _condition(ctx, arg, where)
    if inner is None:
        return None
    return lambda facts: not inner(facts)


def _build_answer(ctx: _RuleContext, arg: object, where: str) -> Test | None:
    condition, problems = parse_condition(arg, ctx.question_types, ctx.choices)
    for problem in problems:
        ctx.reader.problem(ctx.file, ctx.rule, f"{where}: {problem}")
    if condition is None:
        return None
    return lambda facts: condition.holds(facts.answers)


_BUILDERS: dict[str, Callable[[_RuleContext, object, str], Test | None]] = {
    "categories": _build_categories,
    "purposes": _build_purposes,
    "products": _build_products,
    "cves": _build_cves,
    "evidence_kinds": _build_evidence,
    "families": _build_families,
    "has": _build_has,
    "answer": _build_answer,
    "all": _build_all,
    "any": _build_any,
    "not": _build_not,
}
