"""One walk over the file system: tools in odd places, side-loading layouts, MSBuild
inline-task projects, Windows Sandbox files, known-bad hashes and YARA.

The walk streams directory by directory (only one folder's names are held at a time).
Files are read only when a check needs their bytes, and never beyond
``disk_scan_max_bytes`` (default 32 MiB). Hashes and YARA cover executables and scripts
anywhere plus every file in a staging folder (setting ``disk_scan_scope``: ``"all"``
reads every file within the size bound).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from madoguchi.analyzers.base import AnalysisContext
from madoguchi.analyzers.disk.fsview import entry_kind, list_folder
from madoguchi.analyzers.disk.judgements import (
    dual_use_tool,
    is_executable_or_script,
    is_sideload_candidate_name,
    is_staging,
    is_windows_system_dir,
    suffix,
)
from madoguchi.analyzers.disk.pipeline import progress_callback
from madoguchi.analyzers.disk.scope import Scope
from madoguchi.domain.findings import AnalyzerOutput, Severity

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_FILES = 5_000_000
PROGRESS_EVERY = 5000
_SKIP_TOP = frozenset({"proc", "sys", "dev", "run", "$fs$", "sysvol"})
_MSBUILD_SUFFIXES = frozenset({".xml", ".csproj", ".proj", ".targets", ".txt", ".log", ".dat"})
_YARA_KEY = "disk:yara"


@dataclass
class ScanSettings:
    max_bytes: int
    max_files: int
    scan_all: bool
    known_md5: frozenset[str]
    known_sha256: frozenset[str]
    known_sha1: frozenset[str]
    yara: Any = None
    yara_scan: Any = None


@dataclass
class _Folder:
    path: str
    exes: list[str] = field(default_factory=list)
    dlls: list[str] = field(default_factory=list)


def known_bad(settings: Any) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    raw = settings.get("known_bad_hashes") or ()
    md5: set[str] = set()
    sha1: set[str] = set()
    sha256: set[str] = set()
    for item in raw:
        value = str(item).strip().lower()
        if not all(c in "0123456789abcdef" for c in value):
            continue
        {32: md5, 40: sha1, 64: sha256}.get(len(value), set()).add(value)
    return frozenset(md5), frozenset(sha1), frozenset(sha256)


def load_yara(ctx: AnalysisContext, *, where: str = "") -> tuple[Any, Any]:
    """The compiled built-in and user YARA rules, once per run (``None`` when unavailable).

    Call it from ``prepare`` so rule files that do not compile are reported with the run.
    """

    def build() -> tuple[Any, Any]:
        try:
            from madoguchi.analyzers.malware.yarascan import compile_rules, scan
        except Exception as error:  # the YARA helper lives in a sibling package
            ctx.warn(f"YARA scan unavailable: {type(error).__name__}: {error}", path=where)
            return None, None
        rules = compile_rules(ctx.options.rule_dirs, ctx.rule_not_loaded)
        return rules, scan

    result: tuple[Any, Any] = ctx.cached(_YARA_KEY, build)
    return result


def scan_settings(scope: Scope, *, yara: bool) -> ScanSettings:
    settings = scope.settings
    md5, sha1, sha256 = known_bad(settings)
    max_bytes = settings.get("disk_scan_max_bytes", DEFAULT_MAX_BYTES)
    max_files = settings.get("disk_scan_max_files", DEFAULT_MAX_FILES)
    rules, scan = load_yara(scope.ctx, where=scope.evidence.path) if yara else (None, None)
    return ScanSettings(
        max_bytes=max_bytes if isinstance(max_bytes, int) and max_bytes > 0 else DEFAULT_MAX_BYTES,
        max_files=max_files if isinstance(max_files, int) and max_files > 0 else DEFAULT_MAX_FILES,
        scan_all=settings.get("disk_scan_scope") == "all",
        known_md5=md5,
        known_sha1=sha1,
        known_sha256=sha256,
        yara=rules,
        yara_scan=scan,
    )


def roots(scope: Scope) -> list[str]:
    try:
        top = sorted(scope.target.fs.path("/").iterdir(), key=lambda p: p.name.lower())
    except Exception:
        return ["/"]
    drives = [f"/{p.name}" for p in top if len(p.name) == 2 and p.name.endswith(":")]
    if drives:
        return drives
    return [f"/{p.name}" for p in top if p.name.lower() not in _SKIP_TOP]


def file_scan(scope: Scope) -> Iterator[AnalyzerOutput]:
    yara_wanted = scope.mode == "image" or bool(scope.settings.get("disk_yara_in_triage"))
    config = scan_settings(scope, yara=yara_wanted)
    progress = progress_callback(scope.settings)
    seen = 0
    for root in roots(scope):
        stack = [root]
        while stack:
            folder_path = stack.pop()
            entries = list_folder(scope, folder_path)
            folder = _Folder(folder_path)
            subfolders: list[str] = []
            for entry in entries:
                kind = entry_kind(scope, entry)
                if kind == "dir":
                    subfolders.append(str(entry))
                if kind != "file":
                    continue
                seen += 1
                if seen > config.max_files:
                    scope.warn(
                        f"file scan stopped after {config.max_files} files "
                        "(setting disk_scan_max_files)"
                    )
                    return
                if progress is not None and seen % PROGRESS_EVERY == 0:
                    progress(seen, 0, f"{scope.family}: {seen} files")
                yield from _check_file(scope, config, folder, entry)
            yield from _side_loading(scope, folder)
            stack.extend(reversed(subfolders))


def _inner(path: str) -> str:
    return path.lstrip("/")


def _check_file(
    scope: Scope, config: ScanSettings, folder: _Folder, entry: Any
) -> Iterator[AnalyzerOutput]:
    path = str(entry)
    inner = _inner(path)
    name = entry.name
    ext = suffix(name)
    staged = is_staging(path)
    if ext == ".exe":
        folder.exes.append(name)
    elif ext == ".dll":
        folder.dlls.append(name)
    tool = dual_use_tool(name)
    flagged = False
    if tool is not None and (staged or _at_drive_root(inner)):
        flagged = True
        yield scope.finding(
            "disk-tool-in-staging-folder",
            f"{tool.label.capitalize()} in an unusual folder: {name}",
            Severity.HIGH,
            description=f"{path} is a {tool.label}; intruders stage such tools in ProgramData, "
            "Temp, Public, PerfLogs or the drive root.",
            attack=tool.attack,
            inner=inner,
            ja=(
                f"不審な場所に{tool.ja}: {name}",
                f"{path} は{tool.ja}です。侵入者はこうしたツールを ProgramData、Temp、Public、"
                "PerfLogs、ドライブ直下などに置きます。",
            ),
        )
    if ext == ".wsb" and not is_windows_system_dir(path):
        flagged = True
        yield scope.finding(
            "disk-windows-sandbox-config",
            f"Windows Sandbox configuration file: {name}",
            Severity.HIGH,
            description=f"{path} configures Windows Sandbox (mapped folders, a logon command); "
            "MirrorFace ran its RAT inside Windows Sandbox to stay out of sight of host EDR.",
            attack=("T1564.006",),
            inner=inner,
            ja=(
                "Windows サンドボックスの設定ファイル",
                f"{path} は Windows サンドボックスの設定"
                "（フォルダのマッピング、ログオン時コマンド）です。"
                "MirrorFace はサンドボックス内で RAT を動かし EDR の検知を避けました。",
            ),
        )
    wants_bytes = config.scan_all or staged or is_executable_or_script(name)
    need_hash = bool(config.known_md5 or config.known_sha1 or config.known_sha256)
    msbuild_candidate = staged and ext in _MSBUILD_SUFFIXES
    if not (wants_bytes and (need_hash or config.yara is not None or msbuild_candidate or flagged)):
        return
    data = _read(scope, entry, config.max_bytes)
    if data is None:
        return
    if msbuild_candidate and _is_msbuild_inline_task(data):
        flagged = True
        yield scope.finding(
            "disk-msbuild-inline-task-project",
            f"MSBuild project with inline code in a staging folder: {name}",
            Severity.HIGH,
            description=f"{path} is an MSBuild project with an inline task (C# compiled and run by "
            "MSBuild.exe); NOOPDOOR loaders are such XML files run by a scheduled task.",
            attack=("T1127.001",),
            inner=inner,
            ja=(
                "一時フォルダ等にインラインタスクを含む MSBuild プロジェクト",
                f"{path} は MSBuild のインラインタスク"
                "（MSBuild.exe がコンパイル・実行する C# コード）を含みます。"
                "NOOPDOOR のローダーはタスクスケジューラから実行されるこの形式の XML です。",
            ),
        )
    sha256 = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if sha256 in config.known_sha256 or md5 in config.known_md5 or sha1 in config.known_sha1:
        flagged = True
        yield scope.finding(
            "disk-known-bad-hash",
            f"File matches a known-bad hash: {name}",
            Severity.CRITICAL,
            description=f"{path} (SHA-256 {sha256}) matches an indicator in the desk's store.",
            attack=(),
            inner=inner,
            ja=(
                "既知の不正なハッシュ値に一致するファイル",
                f"{path}（SHA-256 {sha256}）が窓口の指標と一致しました。",
            ),
            details={"sha256": sha256, "md5": md5},
        )
    if config.yara is not None and config.yara_scan is not None:
        try:
            matches = config.yara_scan(config.yara, data)
        except Exception as error:
            scope.warn(f"YARA scan failed: {type(error).__name__}: {error}", inner)
            matches = []
        for match in matches:
            flagged = True
            meta = match.get("meta", {})
            yield scope.finding(
                f"disk-yara-{match.get('rule', 'rule')}",
                f"YARA rule {match.get('rule')} matches {name}",
                Severity.from_sigma_level(str(meta.get("severity", "high"))),
                description=str(meta.get("description", ""))
                or f"{path} matches {match.get('rule')}",
                attack=tuple(str(a) for a in str(meta.get("attack", "")).replace(",", " ").split()),
                inner=inner,
                ja=(
                    f"YARA ルール {match.get('rule')} に一致",
                    f"{path} が YARA ルールに一致しました。",
                ),
                details={"yara": match, "sha256": sha256},
            )
    if flagged:
        yield scope.observable("ioc:sha256", sha256, f"flagged file {path}", inner)
        yield scope.observable("ioc:md5", md5, f"flagged file {path}", inner)
        yield scope.observable("ioc:filename", name, f"flagged file {path}", inner)


def _at_drive_root(inner: str) -> bool:
    parts = PurePosixPath(inner).parts
    return len(parts) == 2 and parts[0].endswith(":")


def _read(scope: Scope, entry: Any, limit: int) -> bytes | None:
    try:
        size = entry.stat().st_size
        if size > limit:
            return None
        with entry.open() as handle:
            data: bytes = handle.read(limit)
        return data
    except Exception as error:
        scope.warn(f"file cannot be read: {type(error).__name__}", _inner(str(entry)))
        return None


def _is_msbuild_inline_task(data: bytes) -> bool:
    head = data[: 1024 * 1024]
    text = (
        head.decode("utf-16", errors="ignore")
        if head[:2] in (b"\xff\xfe", b"\xfe\xff")
        else (head.decode("utf-8", errors="ignore"))
    )
    lower = text.lower()
    return "<project" in lower and "<usingtask" in lower and "taskfactory" in lower


def _side_loading(scope: Scope, folder: _Folder) -> Iterator[AnalyzerOutput]:
    inner = _inner(folder.path)
    if not folder.exes or not folder.dlls or not is_staging(folder.path + "/"):
        return
    if is_windows_system_dir(folder.path + "/"):
        return
    suspicious = [dll for dll in folder.dlls if is_sideload_candidate_name(dll)]
    if not suspicious:
        return
    signed = [exe for exe in folder.exes if _is_signed(scope, f"{folder.path}/{exe}")]
    yield scope.finding(
        "disk-dll-side-loading-layout",
        f"Possible DLL side-loading: {', '.join(suspicious)} beside {', '.join(folder.exes[:3])}",
        Severity.HIGH if signed else Severity.MEDIUM,
        description=(
            f"{folder.path} holds {', '.join(folder.exes[:5])} and {', '.join(suspicious)}, a "
            "system DLL name a program loads from its own folder first. A signed program with "
            "a planted DLL in a user-writable folder is a common loader layout."
            + (f" Signed: {', '.join(signed)}." if signed else "")
        ),
        attack=("T1574.002",),
        inner=inner,
        ja=(
            "DLL サイドローディングの疑い",
            f"{folder.path} に {', '.join(folder.exes[:5])} と {', '.join(suspicious)}"
            "（実行ファイルと同じフォルダから優先して読み込まれるシステム DLL 名）があります。",
        ),
        details={"executables": folder.exes[:20], "dlls": suspicious, "signed": signed},
    )


def _is_signed(scope: Scope, path: str) -> bool:
    """True when the PE carries an Authenticode signature (security directory present)."""
    try:
        import pefile

        with scope.target.fs.path(path).open() as handle:
            head = handle.read(64 * 1024)
        pe = pefile.PE(data=head, fast_load=True)
        directory = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4]
        return bool(directory.VirtualAddress and directory.Size)
    except Exception:
        return False
