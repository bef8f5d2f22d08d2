"""The Windows event log analyzer: Sigma rules, key-event timeline, logons, gaps.

Reads ``.evtx`` files and their exports (XML, JSON lines, Event Viewer CSV/text in
English and Japanese; see :mod:`readers`), runs the built-in rule pack
(``windows_evtx/rules/``) plus every directory in ``ctx.options.rule_dirs`` through
the Sigma engine, and yields:

- a :class:`Finding` per rule match and per correlation match (password spraying,
  brute force), plus record-id and time gaps (:mod:`gaps`);
- a :class:`TimelineEvent` for every event that matched a rule and for key events
  (:mod:`key_events`);
- :class:`Observable` values (logon source addresses, accounts, hashes, service paths);
- one ``Section("logons", …)`` per file (:mod:`logons`; draw it with
  :func:`logon_graph.render_svg`).

Run settings read from ``ctx.options.settings``: ``evtx_time_gap_hours`` (float),
``evtx_vpn_pools`` (list of CIDRs), ``evtx_export_utc_offset`` (``"+09:00"``),
``evtx_threads`` (int), ``sigma_placeholders`` (mapping for ``%name%`` placeholders).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile, RuleLoadError
from madoguchi.analyzers.windows_evtx.accounts import account_of, present, source_ip_of
from madoguchi.analyzers.windows_evtx.bursts import Burst, Bursts
from madoguchi.analyzers.windows_evtx.events import FlatEvent, ReadEvent
from madoguchi.analyzers.windows_evtx.gaps import DEFAULT_TIME_GAP_HOURS, GapTracker
from madoguchi.analyzers.windows_evtx.key_events import (
    OBSERVABLE_EVENTS,
    describe,
    observables,
    plain_message,
)
from madoguchi.analyzers.windows_evtx.logons import (
    LOGON_EVENTS,
    LogonTracker,
    vpn_pool_findings,
)
from madoguchi.analyzers.windows_evtx.readers import EVTX, format_for
from madoguchi.domain.findings import (
    AnalyzerOutput,
    Finding,
    Observable,
    Section,
    Severity,
    TimelineEvent,
)

if TYPE_CHECKING:
    from madoguchi.analyzers.sigma import RuleMatch, RuleSet

RULES_DIR = Path(__file__).parent / "rules"
_CACHE_KEY = "windows-evtx:rules"


@dataclass
class LoadedRules:
    ruleset: RuleSet | None
    errors: list[RuleLoadError]
    reported: bool = False
    rule_count: int = 0
    sources: tuple[str, ...] = field(default_factory=tuple)


def load_rule_pack(rule_dirs: tuple[Path, ...] = (), placeholders: Any = None) -> LoadedRules:
    """The built-in pack plus the given directories, compiled once."""
    paths = (RULES_DIR, *rule_dirs)
    try:
        from madoguchi.analyzers.sigma import load_rules
    except ImportError as error:  # the engine is a sibling package; say so if it is broken
        reason = f"Sigma engine unavailable: {error}"
        return LoadedRules(None, [RuleLoadError(str(p), reason) for p in paths])
    ruleset, errors = load_rules(paths, placeholders=placeholders)
    return LoadedRules(
        ruleset, list(errors), rule_count=len(ruleset.indexed), sources=tuple(str(p) for p in paths)
    )


def _channel_source(channel: object) -> str:
    text = channel if isinstance(channel, str) and channel else "unknown"
    return "windows:evtx:" + text.lower().replace(" ", "-")


def _float_setting(settings: Mapping[str, Any], name: str, default: float) -> float:
    value = settings.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


class EvtxAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "windows-evtx"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset(
        {kinds.EVTX, kinds.XML, kinds.JSONL, kinds.JSON, kinds.CSV, kinds.TEXT}
    )

    # ------------------------------------------------------------------ set-up

    def _rules(self, ctx: AnalysisContext) -> LoadedRules:
        settings = ctx.options.settings
        loaded = ctx.cached(
            _CACHE_KEY,
            lambda: load_rule_pack(
                tuple(ctx.options.rule_dirs), settings.get("sigma_placeholders")
            ),
        )
        if not loaded.reported:
            loaded.reported = True
            for error in loaded.errors:
                ctx.rule_not_loaded(error.rule_file, error.reason)
        return loaded

    def prepare(self, ctx: AnalysisContext) -> None:
        self._rules(ctx)

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and format_for(evidence) is not None

    # ------------------------------------------------------------------ analysis

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        fmt = format_for(evidence)
        if fmt is None:
            ctx.warn("not a Windows event log or export this analyzer can read", path=evidence.path)
            return
        loaded = self._rules(ctx)
        ruleset = loaded.ruleset
        correlator = None
        if ruleset is not None and ruleset.correlations:
            from madoguchi.analyzers.sigma import Correlator

            correlator = Correlator(ruleset)
        settings = ctx.options.settings
        gaps = GapTracker(
            record_gaps=fmt is EVTX,
            time_gap_hours=_float_setting(settings, "evtx_time_gap_hours", DEFAULT_TIME_GAP_HOURS),
        )
        pools = settings.get("evtx_vpn_pools") or ()
        logons = LogonTracker(pools if isinstance(pools, list | tuple) else ())
        seen: set[tuple[str, str]] = set()
        bursts = Bursts()
        match = ruleset.match if ruleset is not None else None
        windowed = ctx.options.since is not None or ctx.options.until is not None
        observe_gap = gaps.observe
        read = 0
        try:
            for item in fmt.read(evidence, ctx):
                read += 1
                event, when = item.event, item.timestamp
                if windowed and when is not None and not ctx.in_window(when):
                    continue
                eid = event["EventID"]
                observe_gap(event["Computer"], event["Channel"], item.record_id, when)
                try:
                    matches = match(event) if match is not None else ()
                except Exception as error:  # an odd value must not end the whole file
                    ctx.warn(
                        f"rules could not be evaluated on this event: {type(error).__name__}: "
                        f"{error}",
                        path=evidence.path,
                        record_id=item.record_id,
                        line=item.line,
                    )
                    matches = ()
                shown = [m for m in matches if m.rule.output] if matches else ()
                for found in shown:
                    yield self._finding(found, item, evidence)
                if correlator is not None and when is not None:
                    for found in matches:
                        for corr in correlator.observe(found, event, when):
                            bursts.add(corr)
                if eid in LOGON_EVENTS:
                    logons.observe(event, when)
                message = describe(event)
                if (message is not None or shown) and when is not None:
                    yield self._timeline(item, message, shown, evidence)
                if eid not in OBSERVABLE_EVENTS and "Hashes" not in event:
                    continue
                for kind, value, context in observables(event):
                    if (kind, value) not in seen:
                        seen.add((kind, value))
                        yield Observable(
                            kind,
                            value,
                            context,
                            evidence.ref(record_id=item.record_id, line=item.line),
                            when,
                        )
        finally:
            ctx.count_events(read)
        if correlator is not None:
            for corr in correlator.flush():
                bursts.add(corr)
        for burst in bursts:
            yield self._correlation(burst, evidence)
        yield from gaps.findings(self.name, evidence)
        section = logons.section(evidence.path)
        yield from vpn_pool_findings(section, self.name, evidence)
        if section["logons"] or section["omitted_builtin"]:
            yield Section("logons", section)

    # ------------------------------------------------------------------ outputs

    def _finding(self, found: RuleMatch, item: ReadEvent, evidence: EvidenceFile) -> Finding:
        rule = found.rule
        event = item.event
        details: dict[str, Any] = {
            "matched": found.fields,
            "event_id": event.get("EventID"),
            "channel": event.get("Channel"),
            "provider": event.get("Provider_Name"),
            "record_id": item.record_id,
            "rule_path": rule.path,
            "rule_status": rule.status,
            "tags": list(rule.tags),
            "references": list(rule.references),
            "falsepositives": list(rule.falsepositives),
        }
        title_ja = rule.custom.get("title_ja")
        if isinstance(title_ja, str) and title_ja:
            details["ja"] = {"title": title_ja}
        return Finding(
            analyzer=self.name,
            rule_id=rule.id,
            title=rule.title,
            severity=Severity.from_sigma_level(rule.level),
            timestamp=item.timestamp,
            description=rule.description,
            attack=rule.attack,
            host=present(event.get("Computer")),
            account=account_of(event),
            source_ip=source_ip_of(event),
            evidence=evidence.ref(record_id=item.record_id, line=item.line),
            details=details,
        )

    def _correlation(self, corr: Burst, evidence: EvidenceFile) -> Finding:
        rule = corr.rule
        group = corr.group
        details: dict[str, Any] = {
            "group": group,
            "count": corr.count,
            "windows": corr.windows,
            "rules": list(corr.rules),
            "events": [[rid, when.isoformat()] for rid, when in corr.events],
            "rule_path": rule.path,
            "tags": list(rule.tags),
            "references": list(rule.references),
        }
        if corr.value_count is not None:
            details["value_count"] = corr.value_count
            details["values"] = list(corr.values)
        description = rule.description
        if corr.windows > 1:
            description += (
                f" The condition held {corr.windows} times between {corr.first.isoformat()} and "
                f"{corr.last.isoformat()} ({corr.count} matching events)."
            )
        title_ja = rule.custom.get("title_ja")
        if isinstance(title_ja, str) and title_ja:
            details["ja"] = {"title": title_ja}
        return Finding(
            analyzer=self.name,
            rule_id=rule.id,
            title=rule.title,
            severity=Severity.from_sigma_level(rule.level),
            timestamp=corr.first,
            description=description,
            attack=rule.attack,
            host=present(group.get("Computer")),
            account=account_of(group),
            source_ip=source_ip_of(group),
            evidence=evidence.ref(),
            first_seen=corr.first,
            last_seen=corr.last,
            details=details,
        )

    def _timeline(
        self,
        item: ReadEvent,
        message: str | None,
        shown: Sequence[RuleMatch],
        evidence: EvidenceFile,
    ) -> TimelineEvent:
        event: FlatEvent = item.event
        text = message or plain_message(event)
        if shown:
            text += " [" + "; ".join(m.rule.title for m in shown) + "]"
        when: datetime = item.timestamp  # type: ignore[assignment]
        return TimelineEvent(
            timestamp=when,
            source=_channel_source(event.get("Channel")),
            message=text,
            host=present(event.get("Computer")),
            account=account_of(event),
            evidence=evidence.ref(record_id=item.record_id, line=item.line),
            attributes={
                "event_id": event.get("EventID"),
                "record_id": item.record_id,
                "rules": [m.rule.id for m in shown],
            },
        )
