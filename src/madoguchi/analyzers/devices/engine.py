"""The common loop of every line-oriented log analyzer in this family.

A subclass says how to recognise its files (``sniff``), how to read one line into a
``Record`` (``parse``), and optionally watches records across lines (``observe``) and
adds end-of-file findings (``finish``). The loop reads lines with
:func:`madoguchi.analyzers.textio.iter_lines` (gzip, any encoding, bounded line length),
matches the rule file, aggregates hits, tracks logins and reports unreadable lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.analyzers.textio import iter_lines
from madoguchi.domain.findings import AnalyzerOutput

from .hits import HitAggregator, ip_type
from .logins import LOGIN_RULES, LoginTracker
from .rulebook import Rule, RuleFileError, load_rules, match_rules

MAX_LINE_WARNINGS = 20


@dataclass(slots=True)
class Record:
    """One log line read into fields (``message``, ``src_ip``, ``user`` …)."""

    fields: dict[str, str]
    timestamp: datetime | None = None
    host: str | None = None
    login: str | None = None  # "success" / "failure" when the line is a login outcome


@dataclass
class FileState:
    """What a subclass remembers while reading one file."""

    evidence: EvidenceFile
    ctx: AnalysisContext
    aggregator: HitAggregator
    rules: Mapping[str, Rule]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedRules:
    line_rules: list[Rule]
    by_id: dict[str, Rule]


class LineRuleAnalyzer(BaseAnalyzer):
    """Base of the device, ESXi, web and Linux log analyzers."""

    rules_file: ClassVar[Path]
    timeline_source: ClassVar[str] = ""
    tracks_logins: ClassVar[bool] = False
    # Lines that are known noise (banners, blank separators) and must not be warned about.
    quiet_unparsed: ClassVar[bool] = False

    def prepare(self, ctx: AnalysisContext) -> None:
        self._rules(ctx)

    def _rules(self, ctx: AnalysisContext) -> LoadedRules:
        def build() -> LoadedRules:
            rules: list[Rule] = []
            files = [self.rules_file] + ([LOGIN_RULES] if self.tracks_logins else [])
            for path in files:
                try:
                    loaded, problems = load_rules(path)
                except RuleFileError as error:
                    ctx.rule_not_loaded(path.name, error.message)
                    continue
                for problem in problems:
                    ctx.rule_not_loaded(path.name, problem)
                rules.extend(loaded)
            return LoadedRules(rules, {r.id: r for r in rules})

        return ctx.cached(f"line-rules:{self.name}", build)

    # --- hooks for subclasses -------------------------------------------------------
    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        raise NotImplementedError

    def observe(self, record: Record, number: int, state: FileState) -> None:
        return None

    def finish(self, state: FileState) -> Iterator[AnalyzerOutput]:
        return iter(())

    # --- the loop -------------------------------------------------------------------
    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        loaded = self._rules(ctx)
        aggregator = HitAggregator(self.name, evidence, self.timeline_source or self.name)
        state = FileState(evidence, ctx, aggregator, loaded.by_id)
        settings = ctx.options.settings
        threshold = int(settings.get("bruteforce_threshold", 10))
        rules = dict(loaded.by_id)
        brute = rules.get("login.brute-force")
        if brute is not None and brute.min_count != threshold:
            # The threshold is a run setting; the rule file keeps the text.
            rules[brute.id] = replace(brute, min_count=threshold)
        tracker = LoginTracker(
            rules,
            bruteforce_threshold=threshold,
            success_after_failures=int(settings.get("success_after_failures", 5)),
        )
        state.rules = rules
        unreadable = 0

        def long_line(number: int) -> None:
            ctx.warn("line longer than the limit was cut", path=evidence.path, line=number)

        try:
            for number, line in iter_lines(evidence.local_path, on_long_line=long_line):
                if not line.strip():
                    continue
                try:
                    record = self.parse(line, number, state)
                except (ValueError, IndexError, KeyError) as error:
                    record = None
                    reason = f"{type(error).__name__}: {error}"
                else:
                    reason = "line not in a known format of this log"
                if record is None:
                    if self.quiet_unparsed:
                        continue
                    unreadable += 1
                    if unreadable <= MAX_LINE_WARNINGS:
                        ctx.skipped(f"{self.name}: {reason}", path=evidence.path, line=number)
                    else:
                        ctx.skipped_records += 1
                    continue
                if not ctx.in_window(record.timestamp):
                    continue
                ctx.count_events()
                record.fields.setdefault("line", line)
                source_ip = record.fields.get("src_ip")
                if source_ip:
                    record.fields["src_public"] = "yes" if ip_type(source_ip) else "no"
                self._match(record, number, state, loaded.line_rules)
                if record.login and self.tracks_logins:
                    tracker.record(
                        aggregator,
                        outcome=record.login,
                        user=record.fields.get("user", ""),
                        address=record.fields.get("src_ip", ""),
                        line=number,
                        timestamp=record.timestamp,
                        host=record.host,
                        message=record.fields.get("message", line),
                    )
                self.observe(record, number, state)
        except (OSError, EOFError) as error:
            ctx.warn(f"{self.name}: file could not be read to the end: {error}", path=evidence.path)
        if unreadable > MAX_LINE_WARNINGS:
            ctx.warn(
                f"{self.name}: {unreadable - MAX_LINE_WARNINGS} more unreadable lines "
                "were skipped without a warning each",
                path=evidence.path,
            )
        yield from self.finish(state)
        if self.tracks_logins:
            yield from tracker.finish(aggregator, self.name)
        yield from aggregator.outputs()

    def _match(self, record: Record, number: int, state: FileState, rules: list[Rule]) -> None:
        for hit in match_rules(rules, record.fields):
            state.aggregator.add(
                hit,
                line=number,
                timestamp=record.timestamp,
                host=record.host,
                message=record.fields.get("message", record.fields.get("line", "")),
            )
