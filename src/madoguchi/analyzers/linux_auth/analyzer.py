"""Linux authentication logs: ``/var/log/auth.log`` (Debian/Ubuntu), ``/var/log/secure``
(RHEL family), or the same lines relayed through syslog or exported from journald.

Reads sshd logins (accepted / failed), sudo, su, useradd/usermod/gpasswd and passwd.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..devices.engine import FileState, LineRuleAnalyzer, Record
from ..devices.lines import any_line, parse_header

EXAMPLES = (Path(__file__).parent / "examples" / "auth.log",)

_PROGRAMS = (
    r"sshd|sudo|su|useradd|usermod|userdel|groupadd|groupmod|gpasswd|passwd|chpasswd|"
    r"systemd-logind|login|CRON|cron|crond|polkitd|unix_chkpwd|sshd-session|doas"
)
_SNIFF = re.compile(
    r"^(?:<\d+>)?(?:[A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+)\s+"
    rf"(?!(?:In|No|Wa|Er|Db)\(\d+\))[\w.\-]+\s+(?:{_PROGRAMS})(?:\[\d+\])?:"
)
_ACCEPTED = re.compile(r"Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>[0-9a-fA-F.:]+)")
_FAILED = re.compile(
    r"Failed (?:password|publickey|keyboard-interactive/pam|none) for (?:invalid user )?"
    r"(?P<user>\S*) from (?P<ip>[0-9a-fA-F.:]+)"
)
_SUDO = re.compile(
    r"^\s*(?P<user>\S+) : (?:(?P<problem>[^;]*?) ; )?TTY=\S* ; PWD=\S* ; USER=(?P<target>\S+) ;"
    r"(?: [A-Z]+=\S* ;)* COMMAND=(?P<command>.*)$"
)


class LinuxAuthAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "linux_auth"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "linux:auth"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        year = state.ctx.options.settings.get("syslog_year")
        head = parse_header(line, year=int(year) if year else None)
        if head.tag is None:
            return None
        if not head.has_year and not year and not state.extra.get("year_warned"):
            state.extra["year_warned"] = True
            state.ctx.warn(
                "linux_auth: syslog timestamps carry no year; the current year was assumed "
                "(set the run setting 'syslog_year' to override)",
                path=state.evidence.path,
                line=number,
            )
        message = head.message
        fields = {"message": message, "program": head.tag}
        login = None
        accepted = _ACCEPTED.search(message)
        failed = _FAILED.search(message) if accepted is None else None
        if accepted:
            fields.update(user=accepted["user"], src_ip=accepted["ip"], method=accepted["method"])
            login = "success"
        elif failed:
            fields.update(user=failed["user"], src_ip=failed["ip"])
            login = "failure"
        elif head.tag == "sudo":
            sudo = _SUDO.match(message)
            if sudo:
                fields.update(
                    user=sudo["user"],
                    target_user=sudo["target"],
                    command=sudo["command"],
                    problem=sudo["problem"] or "",
                )
        return Record({k: v for k, v in fields.items() if v}, head.timestamp, head.host, login)
