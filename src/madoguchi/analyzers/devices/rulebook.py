"""Line rules as data: YAML files beside each analyzer, and a small pure matcher.

A rule file holds ``rules:``, a list of mappings::

    - id: panos.cve-2024-3400.unmarshal-path
      title: {en: "...", ja: "..."}
      description: {en: "...", ja: "..."}
      severity: high                 # Severity value
      stage: attempt                 # Stage value
      cve: [CVE-2024-3400]
      attack: [T1190]
      when:                          # field -> regex (searched, case-insensitive);
        message: 'failed to unmarshal session\\(.*\\.\\./'   # a list of mappings is an OR
      unless: {message: '...'}       # same shape; any match vetoes the rule
      min_count: 1                   # hits in one group needed before it is a finding
      group_by: src_ip               # the field that splits hits into findings
      collect: [user, command]       # field values kept (bounded) in the finding details
      observable: "CVE-2024-3400 exploitation attempt source"   # context for the address
      attacker: true                 # later logins from this address are reported
      escalate:                      # a stronger stage/severity when these fields match
        - when: {status: '^2\\d\\d$'}
          stage: exploited
          severity: critical
      details: {vendor_level: 0}     # copied into every finding of this rule

A rule with ``detector: true`` has no ``when``: code that sees a pattern across lines
(brute force, one session used from two addresses) raises it, so its text stays data.

Named groups in a ``when`` regex become fields of the hit (``(?P<src_ip>...)``).
Loading collects every broken rule instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from madoguchi.domain.errors import ConfigurationError
from madoguchi.domain.findings import Severity, Stage

Condition = tuple[tuple[str, re.Pattern[str]], ...]


@dataclass(frozen=True, slots=True)
class Escalation:
    when: tuple[Condition, ...]
    stage: Stage | None
    severity: Severity | None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    severity: Severity
    stage: Stage
    when: tuple[Condition, ...]
    unless: tuple[Condition, ...] = ()
    cve: tuple[str, ...] = ()
    attack: tuple[str, ...] = ()
    min_count: int = 1
    group_by: str = "src_ip"
    collect: tuple[str, ...] = ()
    observable: str | None = None
    attacker: bool = False
    escalate: tuple[Escalation, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    detector: bool = False

    def hit(self, fields: Mapping[str, str]) -> Hit:
        """A hit raised by code (``detector: true`` rules)."""
        return Hit(self, fields, self.stage, self.severity)


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule matching one record: the rule, the fields it read, the final stage."""

    rule: Rule
    fields: Mapping[str, str]
    stage: Stage
    severity: Severity


class RuleFileError(ConfigurationError):
    """A rule file (or some rules in it) could not be loaded."""

    code = "rule_file"

    def __init__(
        self, message: str, *, where: str | None = None, problems: Sequence[str] = ()
    ) -> None:
        super().__init__(message, where=where)
        self.problems = tuple(problems)


def _text(value: Any, name: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value, "ja": value}
    if isinstance(value, Mapping) and isinstance(value.get("en"), str):
        return {"en": value["en"], "ja": str(value.get("ja") or value["en"])}
    raise ValueError(f"{name} must be text or a mapping with 'en' and 'ja'")


def _conditions(value: Any, name: str) -> tuple[Condition, ...]:
    if value is None:
        return ()
    blocks = value if isinstance(value, list) else [value]
    out: list[Condition] = []
    for block in blocks:
        if not isinstance(block, Mapping) or not block:
            raise ValueError(f"{name} must be a mapping of field to regex (or a list of them)")
        pairs: list[tuple[str, re.Pattern[str]]] = []
        for key, pattern in block.items():
            try:
                pairs.append((str(key), re.compile(str(pattern), re.IGNORECASE)))
            except re.error as error:
                raise ValueError(f"{name}.{key}: bad regex: {error}") from error
        out.append(tuple(pairs))
    return tuple(out)


def _rule(raw: Mapping[str, Any]) -> Rule:
    escalations = []
    for item in raw.get("escalate") or ():
        escalations.append(
            Escalation(
                when=_conditions(item.get("when"), "escalate.when"),
                stage=Stage(item["stage"]) if item.get("stage") else None,
                severity=Severity(item["severity"]) if item.get("severity") else None,
            )
        )
    when = _conditions(raw.get("when"), "when")
    detector = bool(raw.get("detector", False))
    if not when and not detector:
        raise ValueError("a rule needs 'when' (or 'detector: true')")
    return Rule(
        id=str(raw["id"]),
        title=_text(raw.get("title"), "title"),
        description=_text(raw.get("description", ""), "description"),
        severity=Severity(raw.get("severity", "medium")),
        stage=Stage(raw["stage"]),
        when=when,
        unless=_conditions(raw.get("unless"), "unless"),
        cve=tuple(raw.get("cve") or ()),
        attack=tuple(raw.get("attack") or ()),
        min_count=int(raw.get("min_count", 1)),
        group_by=str(raw.get("group_by", "src_ip")),
        collect=tuple(raw.get("collect") or ()),
        observable=raw.get("observable"),
        attacker=bool(raw.get("attacker", False)),
        escalate=tuple(escalations),
        details=dict(raw.get("details") or {}),
        detector=detector,
    )


_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_rules(path: Path) -> tuple[list[Rule], list[str]]:
    """Load one rule file; returns the good rules and one problem string per bad rule."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        raise RuleFileError(f"cannot read rule file: {error}", where=str(path)) from error
    raw_rules = (document or {}).get("rules") if isinstance(document, Mapping) else None
    if not isinstance(raw_rules, list):
        raise RuleFileError("rule file has no 'rules' list", where=str(path))
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        try:
            if not isinstance(raw, Mapping):
                raise ValueError("a rule must be a mapping")
            rule = _rule(raw)
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id}")
        except (KeyError, ValueError, TypeError) as error:
            ident = raw.get("id", f"#{index}") if isinstance(raw, Mapping) else f"#{index}"
            problems.append(f"{ident}: {error}")
            continue
        seen.add(rule.id)
        rules.append(rule)
    return rules, problems


def _matches(block: Condition, fields: Mapping[str, str], captured: dict[str, str]) -> bool:
    local: dict[str, str] = {}
    for name, pattern in block:
        value = fields.get(name)
        if value is None:
            return False
        found = pattern.search(value)
        if found is None:
            return False
        local.update({k: v for k, v in found.groupdict().items() if v is not None})
    captured.update(local)
    return True


def _any(
    blocks: tuple[Condition, ...], fields: Mapping[str, str], captured: dict[str, str]
) -> bool:
    return any(_matches(block, fields, captured) for block in blocks)


def match_rules(rules: Sequence[Rule], fields: Mapping[str, str]) -> list[Hit]:
    """Every rule that matches a record's fields (pure: no I/O, no state)."""
    hits: list[Hit] = []
    for rule in rules:
        if rule.detector:
            continue
        captured: dict[str, str] = {}
        if not _any(rule.when, fields, captured):
            continue
        if rule.unless and _any(rule.unless, fields, {}):
            continue
        merged = {**fields, **captured}
        stage, severity = rule.stage, rule.severity
        for step in rule.escalate:
            if _any(step.when, merged, {}):
                stage = step.stage or stage
                severity = step.severity or severity
        hits.append(Hit(rule, merged, stage, severity))
    return hits
