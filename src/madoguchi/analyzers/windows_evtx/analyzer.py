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
``evtx_threads`` (int), ``sigma_placeholders`` (mapping for ``%name%`` placeholders),
``evtx_workers`` and ``evtx_parallel_min_mb`` (how many processes read one large
``.evtx`` file, and from what size; off by default, see :mod:`partitions`).

Parts on other machines: :func:`scan_part` reads one range of chunks (from
:func:`partitions.plan`) into a :class:`PartOutput` that can be stored as bytes, and
the analyzer merges the parts of a file, in part order, when ``ctx.options.settings``
holds them under :data:`PARTS_SETTING` (see :func:`merge_parts`). The desk uses this
to spread one large upload over its workers; the result is the one-pass result.

Speed: most events match no rule, so the per-event path is kept short — the rule
index and pre-filter (:mod:`madoguchi.analyzers.sigma.ruleset`) reject them after a
dict lookup and one automaton pass, and timeline, logon and observable work is gated
on the EventID. ``bench/evtx_bench.py`` measures it.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import (
    AnalysisContext,
    BaseAnalyzer,
    EvidenceFile,
    InputWarning,
    RuleLoadError,
    RunOptions,
)
from madoguchi.analyzers.forking import frozen_heap
from madoguchi.analyzers.rule_files import rule_files_fingerprint
from madoguchi.analyzers.windows_evtx.accounts import account_of, present, source_ip_of
from madoguchi.analyzers.windows_evtx.bursts import Burst, Bursts
from madoguchi.analyzers.windows_evtx.events import FlatEvent, ReadEvent
from madoguchi.analyzers.windows_evtx.evtx_file import HEADER_BLOCK, check_size, read_records
from madoguchi.analyzers.windows_evtx.gaps import DEFAULT_TIME_GAP_HOURS, GapTracker
from madoguchi.analyzers.windows_evtx.handover import Batch, Batches, Spill, follow
from madoguchi.analyzers.windows_evtx.key_events import (
    KEY_EVENTS,
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
from madoguchi.analyzers.windows_evtx.partitions import (
    FIRST_WEIGHT,
    ChunkRange,
    RangeFile,
    plan,
    worker_count,
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
    from madoguchi.analyzers.sigma import Correlator, RuleMatch, RuleSet

RULES_DIR = Path(__file__).parent / "rules"
_CACHE_KEY = "windows-evtx:rules"

PLACEHOLDERS_SETTING = "sigma_placeholders"
"""Run setting: values of ``%name%`` placeholders in Sigma rules (name → list of values;
``madoguchi analyze --placeholders FILE``, see :mod:`madoguchi.analyzers.sigma.placeholders`)."""

PARTS_SETTING = "evtx_parts"
"""Run setting: the :class:`PartOutput` of every range of an ``.evtx`` file, in order
(any iterable); the analyzer then merges them instead of reading the file."""


@dataclass
class LoadedRules:
    ruleset: RuleSet | None
    errors: list[RuleLoadError]
    reported: bool = False
    rule_count: int = 0
    sources: tuple[str, ...] = field(default_factory=tuple)


def load_rule_pack(rule_dirs: tuple[Path, ...] = (), placeholders: Any = None) -> LoadedRules:
    """The built-in pack plus the given directories, compiled once per process.

    Compiled rule sets are kept (a few, most recent) under a fingerprint of every rule
    file's path, size and modification time plus the placeholders, so a second
    analyzer instance in the same run (the disk-image analyzer hands ``.evtx`` files to
    its own instance) or the next run of a worker reuses them, and an edited rule
    directory is loaded afresh.
    """
    paths = (RULES_DIR, *rule_dirs)
    try:
        from madoguchi.analyzers.sigma import load_rules
    except ImportError as error:  # the engine is a sibling package; say so if it is broken
        reason = f"Sigma engine unavailable: {error}"
        return LoadedRules(None, [RuleLoadError(str(p), reason) for p in paths])
    key = (rule_files_fingerprint(paths, _RULE_PATTERNS), _placeholder_key(placeholders))
    compiled = _COMPILED.pop(key, None)
    if compiled is None:
        fresh, problems = load_rules(paths, placeholders=placeholders)
        compiled = (fresh, tuple(problems))
        while len(_COMPILED) >= _COMPILED_KEPT:
            _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = compiled  # (re)inserted last: the most recently used
    ruleset, errors = compiled
    return LoadedRules(
        ruleset, list(errors), rule_count=len(ruleset.indexed), sources=tuple(str(p) for p in paths)
    )


_COMPILED: dict[tuple[Any, ...], tuple[RuleSet, tuple[RuleLoadError, ...]]] = {}
_COMPILED_KEPT = 4
_RULE_PATTERNS = ("*.yml", "*.yaml")


def _placeholder_key(placeholders: Any) -> str:
    if not placeholders:
        return ""
    return json.dumps(placeholders, sort_keys=True, default=repr)


@lru_cache(maxsize=1024)
def _source_of(channel: str) -> str:
    return "windows:evtx:" + channel.lower().replace(" ", "-")


def _channel_source(channel: object) -> str:
    if isinstance(channel, str) and channel:
        return _source_of(channel)
    return "windows:evtx:unknown"


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
    reads_rule_dirs: ClassVar[bool] = True

    # ------------------------------------------------------------------ set-up

    def _rules(self, ctx: AnalysisContext) -> LoadedRules:
        settings = ctx.options.settings
        loaded = ctx.cached(
            _CACHE_KEY,
            lambda: load_rule_pack(
                tuple(ctx.options.rule_dirs), settings.get(PLACEHOLDERS_SETTING)
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
        parts = ctx.options.settings.get(PARTS_SETTING)
        if parts is not None and fmt is EVTX:
            yield from merge_parts(evidence, parts, ctx, analyzer=self)
            return
        ruleset = self._rules(ctx).ruleset
        state = _FileState.start(ruleset, ctx.options.settings, record_gaps=fmt is EVTX)
        size = evidence.size or evidence.local_path.stat().st_size
        workers = worker_count(ctx.options.settings, size) if fmt is EVTX else 1
        ranges = plan(size, workers, first_weight=FIRST_WEIGHT) if workers > 1 else []
        try:
            if len(ranges) > 1:
                yield from self._scan_parts(evidence, ctx, ruleset, state, ranges)
            else:
                yield from self._scan(fmt.read(evidence, ctx), ctx, evidence, ruleset, state)
        finally:
            ctx.count_events(state.read)
        yield from self._finish(evidence, state)

    def _scan(
        self,
        items: Iterable[ReadEvent],
        ctx: AnalysisContext,
        evidence: EvidenceFile,
        ruleset: RuleSet | None,
        state: _FileState,
    ) -> Iterator[AnalyzerOutput]:
        """The per-event work: rules, findings, timeline, observables, logons, gaps."""
        correlator, feed = state.correlator, state.feed
        logons, seen, bursts = state.logons, state.seen, state.bursts
        match = ruleset.match if ruleset is not None else None
        windowed = ctx.options.since is not None or ctx.options.until is not None
        observe_gap = state.gaps.observe
        for item in items:
            state.read += 1
            event, when = item.event, item.timestamp
            if windowed and when is not None and not ctx.in_window(when):
                continue
            eid = event["EventID"]
            observe_gap(event["Computer"], event["Channel"], item.record_id, when)
            try:
                matches = match(event) if match is not None else ()
            except Exception as error:  # an odd value must not end the whole file
                ctx.warn(
                    f"rules could not be evaluated on this event: {type(error).__name__}: {error}",
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
                    if feed is not None:  # a worker: the main process correlates, in order
                        if correlator.wants(found.rule.id):
                            feed.append((found.rule.id, state.projection(event), when))
                        continue
                    for corr in correlator.observe(found, event, when):
                        bursts.add(corr)
            if eid in LOGON_EVENTS:
                logons.observe(event, when)
            message = describe(event) if eid in KEY_EVENTS else None
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

    def _scan_parts(
        self,
        evidence: EvidenceFile,
        ctx: AnalysisContext,
        ruleset: RuleSet | None,
        state: _FileState,
        ranges: list[ChunkRange],
    ) -> Iterator[AnalyzerOutput]:
        """Read the first range here while worker processes read the others, then merge.

        The result is the same as reading the file in one go: outputs come in file
        order (a worker's observables are checked against those already yielded),
        correlations see every match in order, and the logon and gap tallies add up.
        """
        check_size(evidence, ctx)
        header = evidence.head[:HEADER_BLOCK]
        spill_dir = tempfile.TemporaryDirectory(prefix="madoguchi-evtx-")
        jobs = [
            _RangeJob(evidence, ctx.options, header, rng, Path(spill_dir.name) / f"part-{n}")
            for n, rng in enumerate(ranges[1:], start=1)
        ]
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(max_workers=len(jobs), mp_context=context)
        with spill_dir, frozen_heap(), pool:
            futures = [pool.submit(_scan_range, job) for job in jobs]
            yield from self._scan(
                _read_range(evidence, ctx, header, ranges[0]), ctx, evidence, ruleset, state
            )
            for job, future in zip(jobs, futures, strict=True):
                covered = 0  # events of the part whose outputs have been taken over
                for batch in follow(job.spill, future.done):
                    yield from state.take(batch)
                    covered = batch.covered
                try:
                    part = future.result()
                except Exception as error:  # a worker died: read the rest of its part here
                    ctx.warn(
                        f"worker for chunks {job.rng.first}-{job.rng.stop - 1} failed "
                        f"({type(error).__name__}: {error}); read in the main process",
                        path=evidence.path,
                    )
                    items = iter(_read_range(evidence, ctx, header, job.rng))
                    if covered:
                        # The events whose batches were taken over are read again for the
                        # logon and gap tallies and warnings, which the worker never handed
                        # back; their outputs and correlation inputs came with the batches,
                        # so they are dropped and the correlations are not fed twice.
                        taken = replace(state, correlator=None, read=0)  # shares the tallies
                        for _ in self._scan(islice(items, covered), ctx, evidence, ruleset, taken):
                            pass
                        state.read += taken.read
                    yield from self._scan(items, ctx, evidence, ruleset, state)
                    continue
                state.absorb_tallies(part, ctx)

    def _finish(self, evidence: EvidenceFile, state: _FileState) -> Iterator[AnalyzerOutput]:
        """What only the whole file can tell: correlations, gaps, the logon section."""
        if state.correlator is not None:
            for corr in state.correlator.flush():
                state.bursts.add(corr)
        for burst in state.bursts:
            yield self._correlation(burst, evidence)
        yield from state.gaps.findings(self.name, evidence)
        section = state.logons.section(evidence.path)
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


# ---------------------------------------------------------------------- one file's tallies

Feed = list[tuple[str, dict[str, Any], datetime]]
_BATCH = 2000  # outputs per packed batch a worker hands back


@dataclass
class _FileState:
    """What the per-event pass keeps for the end of a file (or of one part of it)."""

    gaps: GapTracker
    logons: LogonTracker
    correlator: Correlator | None
    feed: Feed | None = None  # a worker records correlation inputs instead of correlating
    seen: set[tuple[str, str]] = field(default_factory=set)
    bursts: Bursts = field(default_factory=Bursts)
    read: int = 0
    # A worker's equal projections, shared: a flood of failed logons holds each once
    # (also once in the pickle the main process reads).
    projections: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def projection(self, event: FlatEvent) -> dict[str, Any]:
        """What the correlations read of ``event`` (see ``Correlator.project``)."""
        assert self.correlator is not None
        projected = self.correlator.project(event)
        values = projected.values()
        try:  # the types too: 1 and True are equal keys but not the same JSON
            return self.projections.setdefault((*values, *map(type, values)), projected)
        except TypeError:  # a list value: not shareable by key, keep it as it is
            return projected

    @classmethod
    def start(
        cls,
        ruleset: RuleSet | None,
        settings: Mapping[str, Any],
        *,
        record_gaps: bool,
        worker: bool = False,
    ) -> _FileState:
        correlator = None
        if ruleset is not None and ruleset.correlations:
            from madoguchi.analyzers.sigma import Correlator

            correlator = Correlator(ruleset)
        gaps = GapTracker(
            record_gaps=record_gaps,
            time_gap_hours=_float_setting(settings, "evtx_time_gap_hours", DEFAULT_TIME_GAP_HOURS),
        )
        pools = settings.get("evtx_vpn_pools") or ()
        pools = pools if isinstance(pools, list | tuple) else ()
        # A worker keeps every logon source: the main process applies the limit when merging.
        logons = LogonTracker(pools, max_sources=sys.maxsize) if worker else LogonTracker(pools)
        return cls(gaps, logons, correlator, [] if worker else None)

    def absorb(self, part: PartOutput, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        """Take over a worker's part: its outputs in order, its tallies, its warnings."""
        for batch in part.outputs.read():
            yield from self.take(batch)
        self.absorb_tallies(part, ctx)

    def take(self, batch: Batch) -> Iterator[AnalyzerOutput]:
        """A batch of a worker's part: its outputs in order, less observables an earlier
        part already gave, and its matches fed to the correlations, in order."""
        seen = self.seen
        for output in batch.outputs:
            if isinstance(output, Observable):
                key = (output.type, output.value)
                if key in seen:
                    continue
                seen.add(key)
            yield output
        if self.correlator is not None:
            for rule_id, event, when in batch.feed:
                for corr in self.correlator.observe_rule(rule_id, event, when):
                    self.bursts.add(corr)

    def absorb_tallies(self, part: PartOutput, ctx: AnalysisContext) -> None:
        """What a worker's part holds besides its batches: tallies and warnings."""
        self.gaps.merge(part.gaps)
        self.logons.merge(part.logons)
        self.read += part.read
        ctx.warnings.extend(part.warnings)
        ctx.skipped_records += part.skipped


@dataclass
class _RangeJob:
    evidence: EvidenceFile
    options: RunOptions
    header: bytes
    rng: ChunkRange
    spill: Path  # where the worker writes its outputs (see handover.Spill)


@dataclass
class PartOutput:
    """What the per-event pass over one range of chunks leaves for the merge."""

    outputs: Spill | Batches  # packed outputs and correlation inputs, one batch at a time
    gaps: GapTracker
    logons: LogonTracker
    read: int
    warnings: list[InputWarning]
    skipped: int

    def to_bytes(self) -> bytes:
        """The part as bytes to store (the outputs are taken from their spill file)."""
        outputs = self.outputs
        packed = outputs.take() if isinstance(outputs, Spill) else outputs.data
        state = (self.gaps, self.logons, self.read, self.warnings, self.skipped)
        return pickle.dumps(
            (_PART_FORMAT, outputs.batches, packed, *state), protocol=pickle.HIGHEST_PROTOCOL
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> PartOutput:
        """A part stored by :meth:`to_bytes` (by this desk's own workers)."""
        loaded = pickle.loads(data)  # noqa: S301 - written by our own part job
        if loaded[0] != _PART_FORMAT:
            raise ValueError(f"stored part has format {loaded[0]!r}, expected {_PART_FORMAT}")
        _, batches, packed, gaps, logons, read, warnings, skipped = loaded
        return cls(Batches(packed, batches), gaps, logons, read, warnings, skipped)


_PART_FORMAT = 2  # 2: batch headers carry the events they cover


def _read_range(
    evidence: EvidenceFile, ctx: AnalysisContext, header: bytes, rng: ChunkRange
) -> Iterator[ReadEvent]:
    with RangeFile(evidence.local_path, header, rng) as source:
        yield from read_records(source, evidence, ctx, chunk_base=rng.first)


def _scan_range(job: _RangeJob) -> PartOutput:
    """In a worker process: the per-event pass over one range of chunks."""
    return scan_part(job.evidence, job.rng, job.options, spill=job.spill, header=job.header)


def scan_part(
    evidence: EvidenceFile,
    rng: ChunkRange,
    options: RunOptions,
    *,
    spill: Path,
    header: bytes | None = None,
) -> PartOutput:
    """The per-event pass over the chunks of ``rng`` of an ``.evtx`` file.

    Outputs are written to ``spill`` (a file that must not exist yet; reading the
    part's outputs, or :meth:`PartOutput.to_bytes`, removes it). ``header`` is the
    file's first 4096 bytes (read from the file when not given). Merge the parts of
    every range of :func:`partitions.plan`, in order, with :func:`merge_parts`.
    """
    analyzer = EvtxAnalyzer()
    ctx = AnalysisContext(options=options, analyzer=analyzer.name)
    ruleset = analyzer._rules(ctx).ruleset  # forked: the compiled pack is already here
    state = _FileState.start(ruleset, options.settings, record_gaps=True, worker=True)
    items = _read_range(evidence, ctx, header or evidence.head[:HEADER_BLOCK], rng)
    outputs = Spill(spill)
    batch: list[AnalyzerOutput] = []
    feed = state.feed if state.feed is not None else []

    def flush() -> None:  # between two events: everything of those read so far goes
        nonlocal batch
        outputs.write(batch, covered=state.read, feed=feed)
        batch = []
        feed.clear()

    def paced(items: Iterable[ReadEvent]) -> Iterator[ReadEvent]:
        for item in items:  # asked for the next event: the last one is done
            if len(batch) >= _BATCH:
                flush()
            yield item

    for output in analyzer._scan(paced(items), ctx, evidence, ruleset, state):
        batch.append(output)
    if batch or feed:
        flush()
    return PartOutput(
        outputs,
        state.gaps,
        state.logons,
        state.read,
        ctx.warnings,
        ctx.skipped_records,
    )


def merge_parts(
    evidence: EvidenceFile,
    parts: Iterable[PartOutput],
    ctx: AnalysisContext,
    *,
    analyzer: EvtxAnalyzer | None = None,
) -> Iterator[AnalyzerOutput]:
    """What :meth:`EvtxAnalyzer.analyze` yields for the whole file, from its parts.

    ``parts`` are the :func:`scan_part` outputs of every range of the file, in range
    order (loaded lazily if it is a generator). The merge is the one used when local
    processes read the ranges: outputs in file order (observables seen in an earlier
    part dropped), correlations replayed in order, logon and gap tallies added up.
    """
    analyzer = analyzer or EvtxAnalyzer()
    ruleset = analyzer._rules(ctx).ruleset
    state = _FileState.start(ruleset, ctx.options.settings, record_gaps=True)
    check_size(evidence, ctx)
    try:
        for part in parts:
            yield from state.absorb(part, ctx)
    finally:
        ctx.count_events(state.read)
    yield from analyzer._finish(evidence, state)
