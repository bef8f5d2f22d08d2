"""Linux and ESXi artefacts: auth logs, shell history, cron, systemd units, SSH keys and
ESXi start-up scripts.

Log files themselves are also handed to the Linux-auth and ESXi analyzers (see
:mod:`handoff`), so their rules apply; here the records feed the timeline and the
persistence checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from madoguchi.analyzers.disk.fsview import entry_kind, list_folder, read_head
from madoguchi.analyzers.disk.judgements import command_hits, is_unix_staging
from madoguchi.analyzers.disk.records import field, plugin_records, text
from madoguchi.analyzers.disk.scope import Scope, as_utc
from madoguchi.domain.findings import AnalyzerOutput, Section, Severity

MAX_UNIT_BYTES = 256 * 1024
UNIT_DIRS = (
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    "/run/systemd/system",
    "/etc/systemd/user",
)
_EXEC_LINE = re.compile(
    r"^\s*(ExecStart|ExecStartPre|ExecStartPost|ExecReload|ExecStop)\s*=\s*(.+)$"
)
_TOKEN = re.compile(r"[^\s'\";|&]+")


def staged_tokens(command: str) -> list[str]:
    """Paths in the command that lie in /tmp, /dev/shm or a hidden folder."""
    return [t for t in _TOKEN.findall(command) if t.startswith("/") and is_unix_staging(t)]


def judge_unix_command(
    scope: Scope,
    *,
    artifact: str,
    command: str,
    inner: str,
    when: datetime | None,
    attack: tuple[str, ...],
    what: str,
    what_ja: str,
    account: str | None = None,
) -> Iterator[AnalyzerOutput]:
    hits = command_hits(command)
    for hit in hits:
        yield scope.finding(
            f"disk-{artifact}-{hit.rule}",
            f"{what}: {hit.title}",
            Severity.HIGH,
            description=f"{what}: {command}",
            attack=tuple(dict.fromkeys(attack + hit.attack)),
            inner=inner,
            timestamp=when,
            account=account,
            ja=(f"{what_ja}: {hit.ja}", f"{what_ja}: {command}"),
            details={"command": command},
        )
    staged = staged_tokens(command)
    if staged and attack:
        yield scope.finding(
            f"disk-{artifact}-staging-path",
            f"{what} runs a program from a temporary or hidden folder",
            Severity.HIGH,
            description=f"{what} runs {command}; {', '.join(staged)} is in /tmp, /dev/shm or "
            "a hidden folder, where installed software does not live.",
            attack=attack,
            inner=inner,
            timestamp=when,
            account=account,
            ja=(
                f"{what_ja}が一時ディレクトリまたは隠しディレクトリのプログラムを実行",
                f"{what_ja}: {command}（{', '.join(staged)} は通常のソフトウェアの配置場所では"
                "ありません）",
            ),
            details={"command": command, "staged_paths": staged},
        )


def auth_log(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "authlog"):
        message = text(record, "message")
        service = text(record, "service")
        remote = text(record, "remote_ip")
        yield from scope.event(
            as_utc(field(record, "ts")),
            "linux:auth",
            f"{service}: {message}" if service else message,
            inner=text(record, "source"),
            account=text(record, "user") or None,
            attributes={"service": service, "source_ip": remote, "action": text(record, "action")},
        )


def shell_history(scope: Scope) -> Iterator[AnalyzerOutput]:
    for record in plugin_records(scope, "commandhistory"):
        command = text(record, "command")
        source = text(record, "source")
        user = text(record, "username") or None
        when = as_utc(field(record, "ts"))
        shell = text(record, "shell") or "shell"
        yield from scope.event(
            when, f"linux:history:{shell}", command, desc="Command Run", inner=source, account=user
        )
        yield from judge_unix_command(
            scope,
            artifact="shell-history",
            command=command,
            inner=source,
            when=when,
            attack=(),
            what=f"{shell} history of {user or 'a user'}",
            what_ja=f"{user or 'ユーザー'} の {shell} 履歴",
            account=user,
        )


def cron(scope: Scope) -> Iterator[AnalyzerOutput]:
    entries: list[dict[str, str]] = []
    for record in plugin_records(scope, "cronjobs"):
        command = text(record, "command")
        source = text(record, "source")
        schedule = " ".join(text(record, f) for f in ("minute", "hour", "day", "month", "weekday"))
        if len(entries) < 1000:
            entries.append({"schedule": schedule.strip(), "command": command, "source": source})
        yield from judge_unix_command(
            scope,
            artifact="cron",
            command=command,
            inner=source,
            when=_mtime(scope, source),
            attack=("T1053.003",),
            what=f"Cron entry in {source}",
            what_ja=f"{source} の cron 設定",
            account=text(record, "username") or None,
        )
    if entries:
        yield Section("disk_cron", {"entries": entries})


def systemd_units(scope: Scope) -> Iterator[AnalyzerOutput]:
    for unit_path in _unit_files(scope):
        raw = read_head(scope, str(unit_path), MAX_UNIT_BYTES)
        if raw is None:
            continue
        content = raw.decode("utf-8", errors="replace")
        when = _mtime(scope, str(unit_path))
        for line in content.splitlines():
            match = _EXEC_LINE.match(line)
            if match is None:
                continue
            command = match.group(2).strip().lstrip("-@:+!")
            if str(unit_path).startswith("/etc/"):
                yield from scope.event(
                    when,
                    "linux:systemd:unit",
                    f"Unit {unit_path.name}: {match.group(1)}={command}",
                    desc="File Modified",
                    inner=str(unit_path),
                )
            yield from judge_unix_command(
                scope,
                artifact="systemd",
                command=command,
                inner=str(unit_path),
                when=when,
                attack=("T1543.002",),
                what=f"systemd unit {unit_path.name}",
                what_ja=f"systemd ユニット {unit_path.name}",
            )


def _unit_files(scope: Scope) -> Iterator[Any]:
    folders = list(UNIT_DIRS)
    for home in _homes(scope):
        folders.append(f"{home}/.config/systemd/user")
    seen: set[str] = set()
    for folder in folders:
        for child in list_folder(scope, folder, recursive=True):
            if child.suffix not in (".service", ".timer", ".socket", ".path"):
                continue
            if entry_kind(scope, child) == "file" and str(child) not in seen:
                seen.add(str(child))
                yield child


def _homes(scope: Scope) -> list[str]:
    homes = ["/root"]
    for user in plugin_records(scope, "users"):
        home = text(user, "home")
        if home and home not in homes:
            homes.append(home)
    return homes


def ssh_keys(scope: Scope) -> Iterator[AnalyzerOutput]:
    candidates = [f"{home}/.ssh/authorized_keys" for home in _homes(scope)]
    candidates.append("/etc/ssh/keys-root/authorized_keys")  # ESXi
    for candidate in candidates:
        data = read_head(scope, candidate, MAX_UNIT_BYTES)
        if data is None:
            continue
        lines = data.decode("utf-8", errors="replace").splitlines()
        keys = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        when = _mtime(scope, candidate)
        for key in keys:
            parts = key.split()
            comment = parts[-1] if len(parts) >= 3 else ""
            yield from scope.event(
                when,
                "linux:ssh:authorized_keys",
                f"Authorized SSH key {parts[0] if parts else ''} {comment}",
                desc="File Modified",
                inner=candidate,
            )
        if keys:
            yield Section(
                "disk_ssh_keys",
                {
                    "file": candidate,
                    "keys": len(keys),
                    "comments": [k.split()[-1] for k in keys[:50]],
                },
            )


def esxi_startup(scope: Scope) -> Iterator[AnalyzerOutput]:
    """Commands added to ESXi's /etc/rc.local.d/local.sh run at every boot."""
    inner = "/etc/rc.local.d/local.sh"
    data = read_head(scope, inner, MAX_UNIT_BYTES)
    if data is None:
        return
    content = data.decode("utf-8", errors="replace")
    commands = [
        line.strip()
        for line in content.splitlines()
        if line.strip() and not line.strip().startswith("#") and line.strip() != "exit 0"
    ]
    when = _mtime(scope, inner)
    for command in commands:
        yield from scope.event(
            when,
            "esxi:local.sh",
            f"local.sh runs at boot: {command}",
            desc="File Modified",
            inner=inner,
        )
    if commands:
        yield scope.finding(
            "disk-esxi-local-sh",
            "ESXi start-up script local.sh runs commands",
            Severity.MEDIUM,
            description="/etc/rc.local.d/local.sh holds commands run at every boot: "
            + "; ".join(commands[:10]),
            attack=("T1037.004",),
            inner=inner,
            timestamp=when,
            ja=(
                "ESXi の起動スクリプト local.sh にコマンドがあります",
                "/etc/rc.local.d/local.sh に起動時に実行されるコマンドがあります: "
                + "; ".join(commands[:10]),
            ),
            details={"commands": commands[:50]},
        )
    for command in commands:
        yield from judge_unix_command(
            scope,
            artifact="esxi-local-sh",
            command=command,
            inner=inner,
            when=when,
            attack=("T1037.004",),
            what="ESXi local.sh",
            what_ja="ESXi の local.sh",
        )


def _mtime(scope: Scope, inner: str) -> datetime | None:
    try:
        stat = scope.target.fs.path(inner).stat()
    except Exception:
        return None
    try:
        return as_utc(datetime.fromtimestamp(float(stat.st_mtime), tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None
