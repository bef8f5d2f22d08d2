"""Windows artefacts read from files: prefetch, $MFT, $UsnJrnl, browser and PowerShell
history, and Microsoft Defender's quarantine and exclusions.

The $MFT walk compares each file's $STANDARD_INFORMATION creation time with its
$FILE_NAME creation time: tools that backdate a file ("timestomping") usually change
only the first, leaving it earlier than the second. By default the timeline keeps MFT
and USN entries for executables and scripts only (setting ``disk_mft_timeline``:
``"all"`` keeps every file, within ``disk_timeline_limit``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from madoguchi.analyzers.disk.judgements import (
    command_hits,
    is_executable_or_script,
    is_windows_staging,
    is_windows_system_dir,
)
from madoguchi.analyzers.disk.records import field, plugin_records, text
from madoguchi.analyzers.disk.scope import Scope, as_utc
from madoguchi.analyzers.disk.windows_registry import execution_evidence
from madoguchi.domain.findings import AnalyzerOutput, Severity

TIMESTOMP_MIN_GAP = timedelta(seconds=1)
MAX_TIMESTOMP_FINDINGS = 500


def prefetch(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "prefetch"):
        name = text(record, "filename")
        when = as_utc(field(record, "ts"))
        linked = text(record, "linkedfile")
        yield from scope.event(
            when,
            "windows:prefetch",
            f"Prefetch: {name} ran",
            desc="Last Run",
            inner=text(record, "prefetch"),
            attributes={"executable": name, "runs": field(record, "runcount"), "linked": linked},
        )
        exe_path = next((p for p in _linked(record) if p.lower().endswith(name.lower())), name)
        yield from execution_evidence(
            scope,
            artifact="prefetch",
            path=exe_path,
            when=when,
            label="Prefetch",
            label_ja="Prefetch",
        )


def _linked(record: Any) -> list[str]:
    value = field(record, "linkedfiles") or field(record, "linkedfile")
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _ntfs_filesystems(scope: Scope) -> Iterator[tuple[str, Any]]:
    """``(drive prefix, dissect.ntfs.NTFS)`` for every NTFS file system of the target."""
    drives: dict[int, str] = {}
    try:
        for name, fs in scope.target.fs.mounts.items():
            if len(name) == 2 and name.endswith(":"):
                drives.setdefault(id(fs), name.upper() + "/")
    except Exception:
        drives = {}
    for fs in scope.target.filesystems:
        ntfs = getattr(fs, "ntfs", None)
        if ntfs is not None:
            yield drives.get(id(fs), ""), ntfs


def mft(scope: Scope) -> Iterator[AnalyzerOutput]:
    keep_all = scope.settings.get("disk_mft_timeline") == "all"
    stomped = 0
    for drive, ntfs in _ntfs_filesystems(scope):
        mft_ = getattr(ntfs, "mft", None)
        if mft_ is None:
            continue
        for record in mft_.segments():
            try:
                info = _timestamps(record)
            except Exception:  # a damaged record: skip it, count it
                scope.ctx.skipped_records += 1
                continue
            if info is None:
                continue
            path, si, fn = info
            path = drive + path
            scope.ctx.count_events()
            interesting = is_executable_or_script(path)
            if keep_all or interesting:
                for label, when in (
                    ("Creation", si.get("creation")),
                    ("Modification", si.get("modification")),
                ):
                    yield from scope.event(
                        when,
                        "windows:ntfs:mft",
                        f"$SI {label}: {path}",
                        desc=f"{label} Time ($SI)",
                        inner=path,
                    )
            created_si, created_fn = si.get("creation"), fn.get("creation")
            if (
                created_si is not None
                and created_fn is not None
                and created_fn - created_si > TIMESTOMP_MIN_GAP
                and interesting
                and not is_windows_system_dir(path)
            ):
                stomped += 1
                if stomped <= MAX_TIMESTOMP_FINDINGS:
                    yield _timestomp_finding(scope, path, created_si, created_fn)
    if stomped > MAX_TIMESTOMP_FINDINGS:
        scope.warn(
            f"{stomped} possible timestomped files; only the first "
            f"{MAX_TIMESTOMP_FINDINGS} are listed"
        )


def _timestamps(
    record: Any,
) -> tuple[str, dict[str, datetime | None], dict[str, datetime | None]] | None:
    if not record.header or record.is_dir():
        return None
    from dissect.ntfs.c_ntfs import ATTRIBUTE_TYPE_CODE

    si_attrs = record.attributes[ATTRIBUTE_TYPE_CODE.STANDARD_INFORMATION]
    fn_attrs = [a for a in record.attributes[ATTRIBUTE_TYPE_CODE.FILE_NAME] if a.flags != 2]
    if not si_attrs or not fn_attrs:
        return None
    path = record.full_path(ignore_dos=True) or ""
    if not path or path.startswith("$"):
        return None
    si, fn = si_attrs[0], fn_attrs[0]
    return (
        path.replace("\\", "/"),
        {"creation": as_utc(si.creation_time), "modification": as_utc(si.last_modification_time)},
        {"creation": as_utc(fn.creation_time)},
    )


def _timestomp_finding(scope: Scope, path: str, si: datetime, fn: datetime) -> AnalyzerOutput:
    staged = is_windows_staging(path)
    return scope.finding(
        "disk-ntfs-timestomp",
        "Possible timestomping: $SI creation earlier than $FN creation",
        Severity.HIGH if staged else Severity.MEDIUM,
        description=(
            f"{path}: $STANDARD_INFORMATION says created {si.isoformat()}, $FILE_NAME says "
            f"{fn.isoformat()}. Tools that backdate files usually change only $SI."
        ),
        attack=("T1070.006",),
        inner=path,
        timestamp=fn,
        ja=(
            "タイムスタンプ改ざんの疑い（$SI 作成日時が $FN 作成日時より前）",
            f"{path}: $STANDARD_INFORMATION の作成日時 {si.isoformat()}、$FILE_NAME の作成日時 "
            f"{fn.isoformat()}。ファイル日時を偽装するツールは通常 $SI のみを書き換えます。",
        ),
        details={"si_created": si.isoformat(), "fn_created": fn.isoformat()},
    )


def usnjrnl(scope: Scope) -> Iterator[AnalyzerOutput]:
    keep_all = scope.settings.get("disk_mft_timeline") == "all"
    for record in plugin_records(scope, "usnjrnl"):
        path = text(record, "path")
        if not keep_all and not is_executable_or_script(path):
            continue
        reason = text(record, "reason")
        yield from scope.event(
            as_utc(field(record, "ts")),
            "windows:ntfs:usnjrnl",
            f"USN {reason}: {path}",
            desc="Change Recorded",
            inner=path,
            attributes={"reason": reason},
        )


def browser_history(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "browser.history"):
        url = text(record, "url")
        user = text(record, "username") or None
        yield from scope.event(
            as_utc(field(record, "ts")),
            f"browser:{text(record, 'browser') or 'history'}",
            f"Visited {url} ({text(record, 'title')})",
            desc="Last Visited",
            account=user,
            attributes={"url": url},
        )


def powershell_history(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "powershell_history"):
        command = text(record, "command")
        source = text(record, "source")
        user = text(record, "username") or None
        when = as_utc(field(record, "mtime"))
        for hit in command_hits(command):
            yield scope.finding(
                f"disk-powershell-history-{hit.rule}",
                f"PowerShell history: {hit.title}",
                Severity.HIGH,
                description=f"PSReadLine history of {user or 'a user'} holds: {command}",
                attack=tuple(dict.fromkeys(("T1059.001", *hit.attack))),
                inner=source,
                timestamp=when,
                account=user,
                ja=(
                    f"PowerShell 履歴: {hit.ja}",
                    f"PSReadLine の履歴に次のコマンドがあります: {command}",
                ),
                details={"command": command},
            )


def defender(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "defender.exclusions"):
        kind, value = text(record, "type"), text(record, "value")
        when = as_utc(field(record, "regf_mtime"))
        yield from scope.event(
            when,
            "windows:defender:exclusion",
            f"Defender exclusion ({kind}): {value}",
            desc="Registry Key Last Written",
        )
        yield scope.finding(
            "disk-defender-exclusion",
            f"Microsoft Defender exclusion: {value}",
            Severity.HIGH
            if is_windows_staging(value) or value.endswith(("\\", ":"))
            else Severity.MEDIUM,
            description=f"Defender skips {kind.lower()} {value}; intruders add exclusions so "
            "their tools are not scanned.",
            attack=("T1562.001",),
            timestamp=when,
            ja=(
                f"Microsoft Defender の除外設定: {value}",
                f"Defender のスキャン対象から {value} が除外されています。侵入者はツールを検知"
                "させないために除外設定を追加することがあります。",
            ),
            details={"type": kind, "value": value},
        )
    for record in plugin_records(scope, "defender.quarantine"):
        name, where = text(record, "detection_name"), text(record, "detection_path")
        when = as_utc(field(record, "ts"))
        if not name:
            continue
        yield from scope.event(
            when,
            "windows:defender:quarantine",
            f"Defender quarantined {name}: {where}",
            desc="Quarantined",
        )
        yield scope.finding(
            "disk-defender-quarantine",
            f"Microsoft Defender quarantined {name}",
            Severity.HIGH,
            description=f"Defender detected and quarantined {name} at "
            f"{where or 'an unknown path'}.",
            attack=(),
            timestamp=when,
            ja=(
                f"Microsoft Defender による隔離: {name}",
                f"Defender が {where or '不明なパス'} の {name} を検知し隔離しました。",
            ),
            details={"detection": name, "path": where},
        )
