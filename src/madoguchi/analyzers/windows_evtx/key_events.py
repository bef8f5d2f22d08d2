"""Events worth a timeline line even when no rule fires, and the values worth a lookup.

Key events (per Microsoft's Security/System event documentation and Sysmon's):
logons 4624/4625/4648, service installs 7045/4697, scheduled tasks 4698 and Task
Scheduler 106, log clearing 1102/104, account creation and group additions
4720/4728/4732/4756, process creation 4688 and Sysmon 1.

Observables: source addresses of logons (internet-routable only: private addresses of
different organisations collide), logon and created accounts, file hashes from
Sysmon's ``Hashes`` field, service image paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from madoguchi.analyzers.windows_evtx.accounts import (
    account_of,
    ip_type,
    is_builtin_account,
    is_external,
    present,
    qualified,
    source_ip_of,
)
from madoguchi.analyzers.windows_evtx.logons import LOGON_TYPES

Event = Mapping[str, Any]
SECURITY = "security"
SYSTEM = "system"
SYSMON = "microsoft-windows-sysmon/operational"
TASKS = "microsoft-windows-taskscheduler/operational"

_SERVICE_ACCOUNTS_SKIP = frozenset({"5"})


def _v(event: Event, name: str) -> str:
    return present(event.get(name)) or "-"


def _logon(event: Event) -> str | None:
    account = account_of(event) or "-"
    logon_type = present(event.get("LogonType"))
    if logon_type in _SERVICE_ACCOUNTS_SKIP or is_builtin_account(account):
        return None
    kind = LOGON_TYPES.get(logon_type or "", logon_type or "?")
    source = source_ip_of(event) or present(event.get("WorkstationName")) or "local"
    verb = "Logon" if event.get("EventID") == 4624 else "Failed logon"
    return f"{verb} type {logon_type} ({kind}) by {account} from {source}"


def _explicit(event: Event) -> str | None:
    who = qualified(present(event.get("SubjectUserName")), event.get("SubjectDomainName"))
    target = qualified(present(event.get("TargetUserName")), event.get("TargetDomainName"))
    if target is None or is_builtin_account(target):
        return None
    server = _v(event, "TargetServerName")
    return f"Explicit credentials of {target} used by {who or '-'} for {server}"


def _service(event: Event) -> str:
    image = present(event.get("ImagePath")) or _v(event, "ServiceFileName")
    return f"Service installed: {_v(event, 'ServiceName')} ({image})"


def _task(event: Event) -> str:
    who = account_of(event) or _v(event, "UserContext")
    return f"Scheduled task created: {_v(event, 'TaskName')} by {who}"


def _cleared(event: Event) -> str:
    who = qualified(present(event.get("SubjectUserName")), event.get("SubjectDomainName"))
    # 104 names the cleared log in its data (UserData/LogFileCleared/Channel); 1102 is the
    # Security log's own record of being cleared
    channel = present(event.get("UserData_Channel")) or present(event.get("Channel")) or "?"
    return f"Event log cleared ({channel}) by {who or _v(event, 'SubjectUserName')}"


def _account_created(event: Event) -> str:
    who = qualified(present(event.get("SubjectUserName")), event.get("SubjectDomainName"))
    return f"Account created: {account_of(event) or '-'} by {who or '-'}"


def _group_added(event: Event) -> str:
    member = present(event.get("MemberName")) or _v(event, "MemberSid")
    who = qualified(present(event.get("SubjectUserName")), event.get("SubjectDomainName"))
    return f"Member {member} added to group {_v(event, 'TargetUserName')} by {who or '-'}"


def _process(event: Event) -> str:
    image = present(event.get("Image")) or _v(event, "NewProcessName")
    parent = present(event.get("ParentImage")) or _v(event, "ParentProcessName")
    command = present(event.get("CommandLine")) or image
    return f"Process created: {command[:500]} (parent {parent})"


Describe = Callable[[Event], str | None]

#: EventID → (channel (lower case), timeline source suffix, message builder).
KEY_EVENTS: Mapping[int, tuple[tuple[str, str, Describe], ...]] = {
    4624: ((SECURITY, "logon", _logon),),
    4625: ((SECURITY, "logon", _logon),),
    4648: ((SECURITY, "logon", _explicit),),
    7045: ((SYSTEM, "service", _service),),
    4697: ((SECURITY, "service", _service),),
    4698: ((SECURITY, "task", _task),),
    106: ((TASKS, "task", _task),),
    1102: ((SECURITY, "log-cleared", _cleared),),
    104: ((SYSTEM, "log-cleared", _cleared),),
    4720: ((SECURITY, "account", _account_created),),
    4728: ((SECURITY, "account", _group_added),),
    4732: ((SECURITY, "account", _group_added),),
    4756: ((SECURITY, "account", _group_added),),
    4688: ((SECURITY, "process", _process),),
    1: ((SYSMON, "process", _process),),
}


def describe(event: Event) -> str | None:
    """A one-line message for a key event, or ``None`` when it is not one."""
    eid = event.get("EventID")
    entries = KEY_EVENTS.get(eid) if isinstance(eid, int) else None
    if entries is None:
        return None
    channel = event.get("Channel")
    lowered = channel.lower() if isinstance(channel, str) else None
    for wanted, _, build in entries:
        if lowered is None or lowered == wanted:
            return build(event)
    return None


def plain_message(event: Event) -> str:
    """A fallback line for an event that matched a rule but is not a key event."""
    account = account_of(event)
    parts = [f"{event.get('Channel') or '?'} event {event.get('EventID')}"]
    if account:
        parts.append(f"account {account}")
    image = present(event.get("Image")) or present(event.get("NewProcessName"))
    if image:
        parts.append(image)
    return ", ".join(parts)


_HASH_TYPES = {
    "md5": "ioc:md5",
    "sha1": "ioc:sha1",
    "sha256": "ioc:sha256",
    "imphash": "ioc:imphash",
}


def hashes(value: str) -> Iterator[tuple[str, str]]:
    """``SHA1=…,MD5=…,SHA256=…,IMPHASH=…`` (Sysmon ``Hashes``) → (ioc type, value)."""
    for part in value.split(","):
        name, sep, digest = part.partition("=")
        kind = _HASH_TYPES.get(name.strip().lower())
        digest = digest.strip().lower()
        if sep and kind and digest and set(digest) <= set("0123456789abcdef") and digest.strip("0"):
            yield kind, digest


#: Events :func:`observables` reads besides any event carrying ``Hashes``.
OBSERVABLE_EVENTS = frozenset({4624, 4625, 4648, 4720, 7045, 4697})


def observables(event: Event) -> Iterator[tuple[str, str, str]]:
    """(type, value, context) worth matching against the indicator store."""
    eid = event.get("EventID")
    if eid in (4624, 4625, 4648):
        address = source_ip_of(event)
        if address is not None and is_external(address):
            yield ip_type(address), address, f"source address of logon event {eid}"
        if eid != 4648:
            account = account_of(event)
            if account is not None and not is_builtin_account(account):
                yield "ioc:account", account, f"account in logon event {eid}"
    elif eid == 4720:
        account = account_of(event)
        if account is not None:
            yield "ioc:account", account, "account created (4720)"
    elif eid in (7045, 4697):
        image = present(event.get("ImagePath")) or present(event.get("ServiceFileName"))
        if image is not None:
            yield "ioc:filename", image, f"service image path ({eid})"
    value = event.get("Hashes")
    if isinstance(value, str) and value:
        for kind, digest in hashes(value):
            yield kind, digest, f"file hash in Sysmon event {eid}"
