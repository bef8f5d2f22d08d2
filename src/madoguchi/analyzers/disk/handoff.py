"""Handing log files found inside an image to the analyzers that know them.

Event logs go to the Windows event log analyzer, ``auth.log``/``secure`` to the Linux
authentication analyzer, ESXi host logs to the ESXi analyzer and web server logs to the
web log analyzer, so every rule those analyzers carry applies to an image as it does to
loose files. Each file is copied out to a private temporary folder (streamed, one at a
time, removed straight after), offered to the analyzer through its public interface
(``prepare`` once per run, ``sniff``, ``analyze``) and its outputs are passed on.

In a triage collection the runner already walks those files itself, so no handoff runs.
"""

from __future__ import annotations

import fnmatch
import importlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import HEAD_SIZE, AnalysisContext, Analyzer, EvidenceFile
from madoguchi.analyzers.disk.fsview import entry_kind, list_folder
from madoguchi.analyzers.disk.scope import Scope, display_inner
from madoguchi.domain.findings import AnalyzerOutput

MAX_HANDOFF_BYTES = 2 * 1024 * 1024 * 1024
_CACHE_KEY = "disk:handoff-analyzers"


@dataclass(frozen=True)
class Handoff:
    family: str
    target: str  # "module:Class"
    os: frozenset[str]
    folders: tuple[str, ...]
    patterns: tuple[str, ...]


HANDOFFS: tuple[Handoff, ...] = (
    Handoff(
        "eventlogs",
        "madoguchi.analyzers.windows_evtx:EvtxAnalyzer",
        frozenset({"windows"}),
        ("sysvol/windows/system32/winevt/logs", "sysvol/windows/sysnative/winevt/logs"),
        ("*.evtx",),
    ),
    Handoff(
        "linux-auth-logs",
        "madoguchi.analyzers.linux_auth:LinuxAuthAnalyzer",
        frozenset({"linux", "unix", "debian", "redhat", "suse", "ubuntu"}),
        ("/var/log",),
        ("auth.log*", "secure*"),
    ),
    Handoff(
        "esxi-logs",
        "madoguchi.analyzers.esxi:EsxiAnalyzer",
        frozenset({"esxi"}),
        ("/var/log", "/scratch/log", "/var/run/log"),
        ("hostd.log*", "shell.log*", "auth.log*", "vobd.log*", "vmkernel.log*", "syslog.log*"),
    ),
    Handoff(
        "web-logs",
        "madoguchi.analyzers.weblogs:WebAccessLogAnalyzer",
        frozenset({"linux", "unix", "debian", "redhat", "suse", "ubuntu", "windows"}),
        ("/var/log/apache2", "/var/log/httpd", "/var/log/nginx", "sysvol/inetpub/logs/logfiles"),
        ("access.log*", "access_log*", "*access*.log*", "u_ex*.log"),
    ),
)


@dataclass
class Prepared:
    """One handoff analyzer, prepared once per run with its own context."""

    analyzer: Analyzer | None
    ctx: AnalysisContext | None
    problem: str = ""
    warned: set[str] = field(default_factory=set)


def prepare_handoffs(ctx: AnalysisContext) -> dict[str, Prepared]:
    """Import and prepare every handoff analyzer (imports are defensive: a missing
    sibling package is recorded, not raised)."""

    def build() -> dict[str, Prepared]:
        prepared: dict[str, Prepared] = {}
        for handoff in HANDOFFS:
            module_name, _, attr = handoff.target.partition(":")
            try:
                cls = getattr(importlib.import_module(module_name), attr)
                analyzer: Analyzer = cls()
                sub = AnalysisContext(options=ctx.options, analyzer=cls.name)
                analyzer.prepare(sub)
            except Exception as error:  # a sibling analyzer that is missing or broken
                prepared[handoff.family] = Prepared(None, None, f"{type(error).__name__}: {error}")
                continue
            # Reported under the analyzer that could not load the rule: the same rule
            # fails the same way for that analyzer's own run, and the run lists it once.
            ctx.rules_not_loaded += sub.rules_not_loaded
            sub.rules_not_loaded.clear()
            sub.warnings.clear()
            prepared[handoff.family] = Prepared(analyzer, sub)
        return prepared

    return ctx.cached(_CACHE_KEY, build)


def handoff_family(handoff: Handoff) -> Any:
    def family(scope: Scope) -> Iterator[AnalyzerOutput]:
        yield from run_handoff(scope, handoff)

    family.__name__ = f"handoff_{handoff.family.replace('-', '_')}"
    return family


def run_handoff(scope: Scope, handoff: Handoff) -> Iterator[AnalyzerOutput]:
    if scope.os not in handoff.os:
        return
    prepared = prepare_handoffs(scope.ctx).get(handoff.family)
    files = list(_matching_files(scope, handoff))
    if not files:
        return
    if prepared is None or prepared.analyzer is None or prepared.ctx is None:
        reason = prepared.problem if prepared is not None else "not prepared"
        scope.warn(
            f"{len(files)} log file(s) not analysed: {handoff.target} unavailable ({reason})"
        )
        return
    analyzer, sub = prepared.analyzer, prepared.ctx
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-disk-"))
    try:
        for inner in files:
            yield from _one_file(scope, analyzer, sub, inner, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _matching_files(scope: Scope, handoff: Handoff) -> Iterator[str]:
    seen: set[str] = set()
    for folder in handoff.folders:
        for child in list_folder(scope, folder):
            name = child.name.lower()
            if not any(fnmatch.fnmatch(name, p.lower()) for p in handoff.patterns):
                continue
            if entry_kind(scope, child) != "file":
                continue
            key = str(child).lower()
            if key not in seen:
                seen.add(key)
                yield str(child)


def _one_file(
    scope: Scope, analyzer: Analyzer, sub: AnalysisContext, inner: str, workdir: Path
) -> Iterator[AnalyzerOutput]:
    local = workdir / Path(inner.replace("\\", "/")).name
    try:
        size = _copy_out(scope, inner, local)
    except Exception as error:
        scope.warn(f"cannot be copied out of the image: {error}", inner)
        return
    try:
        with local.open("rb") as handle:
            head = handle.read(HEAD_SIZE)
        display = f"{scope.evidence.path}!{display_inner(inner)}"
        evidence = EvidenceFile(display, local, kinds.detect_kind(head), size)
        if evidence.kind not in analyzer.accepts or not analyzer.sniff(evidence):
            return
        before = len(sub.warnings)
        skipped, events = sub.skipped_records, sub.events
        try:
            yield from analyzer.analyze(evidence, sub)
        except Exception as error:
            scope.warn(f"{analyzer.name} failed: {type(error).__name__}: {error}", inner)
        for warning in sub.warnings[before:]:
            scope.ctx.warn(
                f"[{analyzer.name}] {warning.message}",
                path=warning.path,
                record_id=warning.record_id,
                line=warning.line,
            )
        del sub.warnings[before:]
        scope.ctx.skipped_records += sub.skipped_records - skipped
        scope.ctx.events += sub.events - events
    finally:
        local.unlink(missing_ok=True)


def _copy_out(scope: Scope, inner: str, local: Path) -> int:
    source = scope.target.fs.path(inner)
    written = 0
    with source.open() as reader, local.open("wb") as writer:
        while chunk := reader.read(1024 * 1024):
            written += len(chunk)
            if written > MAX_HANDOFF_BYTES:
                raise OSError(f"larger than {MAX_HANDOFF_BYTES} bytes: not copied")
            writer.write(chunk)
    return written
