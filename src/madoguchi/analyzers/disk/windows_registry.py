"""Windows persistence and execution evidence from the registry and task files.

Services, Run keys, scheduled tasks, UserAssist, ShimCache, Amcache, RDP and network
history and installed software, each read through dissect.target's plugins. Every
entry goes to the timeline; entries that look like an attacker's (a binary in a staging
folder, a LOLBin loading a payload, a dual-use tool) also become findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from madoguchi.analyzers.disk.judgements import (
    command_hits,
    dual_use_tool,
    is_executable_or_script,
    is_windows_staging,
)
from madoguchi.analyzers.disk.records import field, plugin_records, record_type, text
from madoguchi.analyzers.disk.scope import Scope, as_utc
from madoguchi.domain.findings import AnalyzerOutput, Section, Severity

_REMOTE_ACCESS_PRODUCTS = (
    "anydesk",
    "teamviewer",
    "screenconnect",
    "connectwise",
    "atera",
    "splashtop",
    "rustdesk",
    "ammyy",
    "logmein",
    "remote utilities",
    "meshagent",
    "ngrok",
    "radmin",
)


def judge_command(
    scope: Scope,
    *,
    artifact: str,
    command: str,
    inner: str | None,
    when: datetime | None,
    attack: tuple[str, ...],
    what: str,
    what_ja: str,
    account: str | None = None,
) -> Iterator[AnalyzerOutput]:
    """Findings for one persistence entry (service, Run value, task action…)."""
    hits = command_hits(command)
    for hit in hits:
        yield scope.finding(
            f"disk-{artifact}-{hit.rule}",
            f"{what}: {hit.title}",
            Severity.HIGH,
            description=f"{what} runs: {command}",
            attack=tuple(dict.fromkeys(attack + hit.attack)),
            inner=inner,
            timestamp=when,
            account=account,
            ja=(f"{what_ja}: {hit.ja}", f"{what_ja}の実行内容: {command}"),
            details={"command": command},
        )
    tool = dual_use_tool(_first_token(command))
    staged = is_windows_staging(_first_token(command))
    if tool is not None:
        yield scope.finding(
            f"disk-{artifact}-dual-use-tool",
            f"{what} runs a {tool.label}",
            Severity.HIGH,
            description=f"{what} runs {command}",
            attack=tuple(dict.fromkeys(attack + tool.attack)),
            inner=inner,
            timestamp=when,
            account=account,
            ja=(f"{what_ja}が{tool.ja}を実行", f"{what_ja}の実行内容: {command}"),
            details={"command": command},
        )
    elif staged and not hits:
        yield scope.finding(
            f"disk-{artifact}-staging-path",
            f"{what} runs a program from a user-writable folder",
            Severity.MEDIUM,
            description=f"{what} runs {command}; programs installed properly live under "
            "Program Files or Windows, not in ProgramData, Temp, Public or AppData.",
            attack=attack,
            inner=inner,
            timestamp=when,
            account=account,
            ja=(
                f"{what_ja}がユーザー書き込み可能なフォルダのプログラムを実行",
                f"{what_ja}の実行内容: {command}（正規のソフトウェアは通常 Program Files か "
                "Windows 配下に置かれます）",
            ),
            details={"command": command},
        )


def _first_token(command: str) -> str:
    text_ = command.strip()
    if text_.startswith('"'):
        return text_[1:].split('"', 1)[0]
    lower = text_.lower()
    for ext in (".exe", ".dll", ".bat", ".cmd", ".ps1", ".vbs", ".js"):
        index = lower.find(ext)
        if index != -1:
            return text_[: index + len(ext)]
    return text_.split(" ", 1)[0]


# -- families --------------------------------------------------------------------------------


def services(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "services"):
        name = text(record, "name")
        image = text(record, "imagepath")
        args = text(record, "imagepath_args")
        dll = text(record, "servicedll")
        command = " ".join(part for part in (image, args) if part)
        when = as_utc(field(record, "ts"))
        inner = f"HKLM/SYSTEM/CurrentControlSet/Services/{name}"
        yield from scope.event(
            when,
            "windows:registry:service",
            f"Service {name} ({text(record, 'start')}): {command or dll}",
            desc="Registry Key Last Written",
            attributes={"service": name, "image_path": command, "service_dll": dll},
        )
        for candidate in filter(None, (command, dll)):
            yield from judge_command(
                scope,
                artifact="service",
                command=candidate,
                inner=inner,
                when=when,
                attack=("T1543.003",),
                what=f"Service {name}",
                what_ja=f"サービス {name}",
            )


def runkeys(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "runkeys"):
        name = text(record, "name")
        command = _run_command(field(record, "command"))
        key = text(record, "key")
        user = text(record, "username") or None
        when = as_utc(field(record, "ts"))
        yield from scope.event(
            when,
            "windows:registry:run",
            f"Run key {key}\\{name}: {command}",
            desc="Registry Key Last Written",
            account=user,
            attributes={"key": key, "value": name, "command": command},
        )
        yield from judge_command(
            scope,
            artifact="runkey",
            command=command,
            inner=key.replace("\\", "/"),
            when=when,
            attack=("T1547.001",),
            what=f"Run key value {name}",
            what_ja=f"Run キーの値 {name}",
            account=user,
        )


def _run_command(value: object) -> str:
    if value is None:
        return ""
    executable = getattr(value, "executable", None)
    if executable is None:
        return str(value)
    args = getattr(value, "args", None) or []
    return " ".join([str(executable), *(str(a) for a in args)])


def tasks(scope: Scope) -> Iterator[AnalyzerOutput]:
    """Scheduled tasks: dissect yields each task record, then its triggers and actions."""
    registered: dict[str, tuple[str, datetime | None]] = {}
    for record in plugin_records(scope, "tasks"):
        kind = record_type(record)
        uri = text(record, "uri")
        if kind == "filesystem/windows/task":
            registered[uri] = (text(record, "task_path"), as_utc(field(record, "date")))
            continue
        if "task/action" not in kind or not text(record, "command"):
            continue
        command = " ".join(p for p in (text(record, "command"), text(record, "arguments")) if p)
        source, when = registered.get(uri, ("", None))
        yield from scope.event(
            when,
            "windows:task",
            f"Scheduled task {uri}: {command}",
            desc="Task Registered",
            inner=source or None,
            attributes={"task": uri, "command": command},
        )
        yield from judge_command(
            scope,
            artifact="task",
            command=command,
            inner=source or None,
            when=when,
            attack=("T1053.005",),
            what=f"Scheduled task {uri}",
            what_ja=f"タスク {uri}",
        )


def execution_evidence(
    scope: Scope,
    *,
    artifact: str,
    path: str,
    when: datetime | None,
    label: str,
    label_ja: str,
    account: str | None = None,
) -> Iterator[AnalyzerOutput]:
    """A finding when an execution trace names a dual-use tool or a staging-folder binary."""
    tool = dual_use_tool(path)
    if tool is not None:
        yield scope.finding(
            f"disk-{artifact}-dual-use-tool",
            f"{label}: {tool.label} ran",
            Severity.MEDIUM,
            description=f"{label} records {path}.",
            attack=tool.attack,
            timestamp=when,
            account=account,
            ja=(f"{label_ja}: {tool.ja}の実行痕跡", f"{label_ja}に {path} の記録があります。"),
            details={"executable": path},
        )
    elif is_windows_staging(path) and is_executable_or_script(path):
        yield scope.finding(
            f"disk-{artifact}-staging-execution",
            f"{label}: program ran from a user-writable folder",
            Severity.LOW,
            description=f"{label} records {path}.",
            attack=("T1204.002",),
            timestamp=when,
            account=account,
            ja=(
                f"{label_ja}: ユーザー書き込み可能なフォルダからの実行",
                f"{label_ja}に {path} の記録があります。",
            ),
            details={"executable": path},
        )


def userassist(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "userassist"):
        path = text(record, "path")
        when = as_utc(field(record, "ts"))
        user = text(record, "username") or None
        yield from scope.event(
            when,
            "windows:registry:userassist",
            f"UserAssist: {path}",
            desc="Last Run",
            account=user,
            attributes={"path": path, "runs": field(record, "number_of_executions")},
        )
        yield from execution_evidence(
            scope,
            artifact="userassist",
            path=path,
            when=when,
            label="UserAssist",
            label_ja="UserAssist",
            account=user,
        )


def shimcache(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "shimcache"):
        path = text(record, "path") or text(record, "name")
        when = as_utc(field(record, "last_modified"))
        yield from scope.event(
            when,
            "windows:registry:shimcache",
            f"ShimCache: {path}",
            desc="File Last Modified",
            attributes={"path": path},
        )
        yield from execution_evidence(
            scope,
            artifact="shimcache",
            path=path,
            when=when,
            label="ShimCache (AppCompatCache)",
            label_ja="ShimCache（AppCompatCache）",
        )


def amcache(scope: Scope) -> Iterator[AnalyzerOutput]:
    for function in ("amcache.files", "amcache.application_files"):
        for record in plugin_records(scope, function):
            path = text(record, "path")
            when = as_utc(field(record, "mtime_regf")) or as_utc(field(record, "link_timestamp"))
            digest = field(record, "digest")
            sha1 = str(getattr(digest, "sha1", "") or "")
            yield from scope.event(
                when,
                "windows:amcache",
                f"Amcache: {path}",
                desc="Registry Key Last Written",
                attributes={"path": path, "sha1": sha1},
            )
            if sha1:
                yield scope.observable("ioc:sha1", sha1.lower(), f"Amcache entry for {path}")
            yield from execution_evidence(
                scope,
                artifact="amcache",
                path=path,
                when=when,
                label="Amcache",
                label_ja="Amcache",
            )


def remote_and_network(scope: Scope) -> Iterator[AnalyzerOutput]:
    rdp: list[dict[str, str]] = []
    for record in plugin_records(scope, "mru.mstsc"):
        value = text(record, "value")
        when = as_utc(field(record, "regf_mtime"))
        user = text(record, "username") or None
        if len(rdp) < 500:
            rdp.append({"server": value, "user": user or ""})
        yield from scope.event(
            when,
            "windows:registry:rdp",
            f"RDP client connected to {value}",
            desc="Registry Key Last Written",
            account=user,
            attributes={"server": value},
        )
    networks: list[dict[str, str]] = []
    for record in plugin_records(scope, "network_history"):
        name = text(record, "profile_name")
        gateway = text(record, "default_gateway_mac")
        if len(networks) < 500:
            networks.append(
                {"profile": name, "dns_suffix": text(record, "dns_suffix"), "gateway_mac": gateway}
            )
        yield from scope.event(
            as_utc(field(record, "created")),
            "windows:registry:network",
            f"Network profile {name} first connected",
            desc="First Connected",
            attributes={"profile": name, "gateway_mac": gateway},
        )
        yield from scope.event(
            as_utc(field(record, "last_connected")),
            "windows:registry:network",
            f"Network profile {name} last connected",
            desc="Last Connected",
            attributes={"profile": name, "gateway_mac": gateway},
        )
    if rdp or networks:
        yield Section("disk_network_history", {"rdp_servers": rdp, "networks": networks})


def installed_software(scope: Scope) -> Iterator[AnalyzerOutput]:
    programs: list[dict[str, str]] = []
    for record in plugin_records(scope, "applications"):
        name = text(record, "name")
        when = as_utc(field(record, "ts_installed")) or as_utc(field(record, "ts_modified"))
        if len(programs) < 2000:
            programs.append(
                {
                    "name": name,
                    "version": text(record, "version"),
                    "publisher": text(record, "author") or text(record, "publisher"),
                }
            )
        yield from scope.event(
            when,
            "windows:registry:software",
            f"Installed software: {name}",
            desc="Installed",
            attributes={"name": name},
        )
        product = next((p for p in _REMOTE_ACCESS_PRODUCTS if p in name.lower()), None)
        if product is not None:
            yield scope.finding(
                "disk-remote-access-software-installed",
                f"Remote-access software installed: {name}",
                Severity.MEDIUM,
                description=f"{name} is installed; check that the organisation uses it, "
                "since intruders install it for persistent access.",
                attack=("T1219",),
                timestamp=when,
                ja=(
                    f"リモートアクセスソフトウェアのインストール: {name}",
                    f"{name} がインストールされています。組織で利用しているか確認してください"
                    "（侵入者が永続的なアクセスのために導入することがあります）。",
                ),
                details={"software": name},
            )
    if programs:
        yield Section("disk_installed_software", {"programs": programs})
