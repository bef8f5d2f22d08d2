"""The artefact families, in the order they run, for each operating system.

A family is ``(name, generator)``; the name is what progress reports and what the
checkpoint records. Persistence and execution come first (quick, most telling), the
handed-off logs next, the $MFT, $UsnJrnl and file-system walk last (slowest).
"""

from __future__ import annotations

from collections.abc import Iterator

from madoguchi.analyzers.disk import filescan, unix_artifacts, windows_files, windows_registry
from madoguchi.analyzers.disk.handoff import HANDOFFS, handoff_family
from madoguchi.analyzers.disk.scope import Family, Scope
from madoguchi.analyzers.disk.targets import describe
from madoguchi.domain.findings import AnalyzerOutput, Section

UNIX_LIKE = frozenset({"linux", "unix", "esxi", "debian", "redhat", "suse", "ubuntu", "android"})


def system(scope: Scope) -> Iterator[AnalyzerOutput]:
    info = describe(scope.target)
    info["mode"] = scope.mode
    info["source"] = scope.evidence.path
    yield Section("disk_system", info)


WINDOWS: tuple[tuple[str, Family], ...] = (
    ("system", system),
    ("windows:services", windows_registry.services),
    ("windows:runkeys", windows_registry.runkeys),
    ("windows:tasks", windows_registry.tasks),
    ("windows:userassist", windows_registry.userassist),
    ("windows:shimcache", windows_registry.shimcache),
    ("windows:amcache", windows_registry.amcache),
    ("windows:prefetch", windows_files.prefetch),
    ("windows:rdp-network", windows_registry.remote_and_network),
    ("windows:software", windows_registry.installed_software),
    ("windows:powershell-history", windows_files.powershell_history),
    ("windows:defender", windows_files.defender),
    ("browser:history", windows_files.browser_history),
)

UNIX: tuple[tuple[str, Family], ...] = (
    ("system", system),
    ("unix:auth-log", unix_artifacts.auth_log),
    ("unix:shell-history", unix_artifacts.shell_history),
    ("unix:cron", unix_artifacts.cron),
    ("unix:systemd", unix_artifacts.systemd_units),
    ("unix:ssh-keys", unix_artifacts.ssh_keys),
    ("esxi:local-sh", unix_artifacts.esxi_startup),
    ("browser:history", windows_files.browser_history),
)

SLOW_WINDOWS: tuple[tuple[str, Family], ...] = (
    ("windows:mft", windows_files.mft),
    ("windows:usnjrnl", windows_files.usnjrnl),
)

FILE_SCAN: tuple[tuple[str, Family], ...] = (("files:scan", filescan.file_scan),)


def families_for(os_name: str, *, mode: str) -> tuple[tuple[str, Family], ...]:
    """The families to run on a target with this OS, in ``image`` or ``triage`` mode."""
    handoffs: tuple[tuple[str, Family], ...] = ()
    if mode == "image":
        handoffs = tuple(
            (f"handoff:{h.family}", handoff_family(h)) for h in HANDOFFS if os_name in h.os
        )
    if os_name == "windows":
        return WINDOWS + handoffs + SLOW_WINDOWS + FILE_SCAN
    if os_name in UNIX_LIKE:
        return UNIX + handoffs + FILE_SCAN
    return (("system", system), *FILE_SCAN)
