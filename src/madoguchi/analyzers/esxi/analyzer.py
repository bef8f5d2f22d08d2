"""VMware ESXi host logs: hostd, shell, auth, vobd, syslog, vmkernel and per-VM vmware.log.

``shell.log`` is the best source of attacker commands; ``auth.log`` shows SSH logins;
``hostd.log`` shows Host Client / API logins, VM power operations, guest operations
and advanced-setting changes (the "ESX Admins" group trick, CVE-2024-37085); ``vobd``
records when SSH or the ESXi Shell was switched on. Logs usually live on a RAM disk —
the guide tells callers to copy ``/var/log`` and ``/scratch/log`` before any reboot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ..devices.engine import FileState, LineRuleAnalyzer, Record
from ..devices.lines import any_line, parse_header

EXAMPLES = (Path(__file__).parent / "examples" / "esxi-host.log",)

_SNIFF = re.compile(
    r"^(?:<\d+>)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+"
    r"(?:(?:In|No|Wa|Er|Db|Al|Cr|Em)\(\d+\)\s+)?"
    r"(?:Hostd|hostd-probe|shell|sshd|SSH|vobd|vpxa|vmkernel|vmkwarning|sfcb\S*|ESXShell|"
    r"dropbearmulti|cpu\d+:\d+\)|(?:info|verbose|warning|error) hostd|vmx|vcpu-\d+|mks|svga)\b"
    r"|\[Originator@6876|\besx\.audit\.|\bvim-cmd\s|\besxcli\s",
)
_SHELL = re.compile(r"^\[(?P<user>[^\]]+)\]:\s*(?P<command>.*)$")
_SSH_OK = re.compile(
    r"Accepted (?:password|keyboard-interactive/pam|publickey) for (?P<user>\S+) "
    r"from (?P<ip>[0-9a-fA-F.:]+)"
)
_SSH_FAIL = re.compile(
    r"Failed (?:password|keyboard-interactive/pam|publickey|none) for (?:invalid user )?"
    r"(?P<user>\S+) from (?P<ip>[0-9a-fA-F.:]+)"
)
_HOSTD_OK = re.compile(r"Accepted password for user (?P<user>\S+) from (?P<ip>[0-9a-fA-F.:]+)")
_HOSTD_FAIL = re.compile(
    r"Rejected password for user (?P<user>\S+) from (?P<ip>[0-9a-fA-F.:]+)|"
    r"Cannot login (?P<user2>\S+)@(?P<ip2>[0-9a-fA-F.:]+)"
)
_USER_AT = re.compile(r"User (?P<user>[^@\s]+)@(?P<ip>[0-9a-fA-F.:]+)")


class EsxiAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "esxi"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "esxi"
    tracks_logins: ClassVar[bool] = True

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        head = parse_header(line)
        message = head.message
        fields: dict[str, str] = {"message": message, "program": (head.tag or "").lower()}
        shell = _SHELL.match(message)
        if shell and fields["program"] in {"shell", "esxshell", ""}:
            fields["user"] = shell["user"]
            fields["command"] = shell["command"]
        login = None
        for pattern, outcome in (
            (_SSH_OK, "success"),
            (_SSH_FAIL, "failure"),
            (_HOSTD_OK, "success"),
            (_HOSTD_FAIL, "failure"),
        ):
            found = pattern.search(message)
            if found:
                groups = found.groupdict()
                fields["user"] = groups.get("user") or groups.get("user2") or ""
                fields["src_ip"] = groups.get("ip") or groups.get("ip2") or ""
                login = outcome
                break
        else:
            user_at = _USER_AT.search(message)
            if user_at:
                fields["user"] = user_at["user"]
                fields["src_ip"] = user_at["ip"]
        return Record({k: v for k, v in fields.items() if v}, head.timestamp, head.host, login)
