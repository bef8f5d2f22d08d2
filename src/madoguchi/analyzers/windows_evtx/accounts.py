"""Who and from where: the account and source address a Windows event names.

Field names follow Microsoft's event schemas: ``TargetUserName``/``SubjectUserName``
(Security log), ``User`` (Sysmon, ``DOMAIN\\name``), ``AccountName`` (service
installs), ``IpAddress`` (logons, Kerberos), ``SourceAddress`` (filtering platform),
``SourceIp`` (Sysmon network events), ``ClientAddress`` (some exports).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_EMPTY = frozenset({"", "-", "n/a", "null", "none"})
_LONGEST_EMPTY = max(len(e) for e in _EMPTY)
_ACCOUNT_FIELDS = ("TargetUserName", "SubjectUserName", "User", "AccountName", "UserName")
_IP_FIELDS = ("IpAddress", "SourceAddress", "SourceIp", "ClientAddress", "SourceNetworkAddress")

#: Accounts Windows itself logs on with; they are not people and not worth a lookup.
BUILTIN_ACCOUNTS = frozenset(
    {
        "system",
        "local service",
        "network service",
        "localsystem",
        "anonymous logon",
        "ローカル サービス",
        "ネットワーク サービス",
    }
)
_BUILTIN_PREFIXES = ("dwm-", "umfd-", "font driver host\\", "window manager\\")


def present(value: Any) -> str | None:
    """A field value as text, or ``None`` when Windows wrote it as empty (``-``)."""
    if value is None or value == "-":
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if len(text) > _LONGEST_EMPTY:  # most values: no need to lower-case them to know
        return text
    return None if text.lower() in _EMPTY else text


def qualified(name: str | None, domain: Any) -> str | None:
    if name is None:
        return None
    dom = present(domain)
    if dom is None or "\\" in name or "@" in name:
        return name
    return f"{dom}\\{name}"


#: Group management events: the target is the group, the account is the member.
GROUP_EVENTS = frozenset({4728, 4729, 4732, 4733, 4756, 4757, 4727, 4731, 4754, 4735, 4737, 4755})


def account_of(event: Mapping[str, Any]) -> str | None:
    """The account an event is about (target first, then subject, then Sysmon ``User``).

    For group changes the target is the group, so the member (or, failing that, the
    account that made the change) is returned instead.
    """
    if event.get("EventID") in GROUP_EVENTS:
        member = present(event.get("MemberName")) or present(event.get("MemberSid"))
        if member is not None:
            return member
        return qualified(present(event.get("SubjectUserName")), event.get("SubjectDomainName"))
    for name in _ACCOUNT_FIELDS:
        value = present(event.get(name))
        if value is not None:
            if name == "TargetUserName":
                return qualified(value, event.get("TargetDomainName"))
            if name == "SubjectUserName":
                return qualified(value, event.get("SubjectDomainName"))
            return value
    return None


@lru_cache(maxsize=65536)
def is_builtin_account(account: str) -> bool:
    lowered = account.lower()
    short = lowered.rpartition("\\")[2]
    return (
        short in BUILTIN_ACCOUNTS
        or lowered.startswith(_BUILTIN_PREFIXES)
        or short.startswith(("dwm-", "umfd-"))
        or short.endswith("$")
    )


@lru_cache(maxsize=65536)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from ``10.0.0.1``, ``::ffff:10.0.0.1`` or ``[fe80::1]``; ``None`` otherwise."""
    value = text.strip().strip("[]")
    if not value or value == "-":
        return None
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=65536)
def normalise_ip(text: str) -> str | None:
    """The canonical text of an address, or ``None`` when ``text`` is not one."""
    address = parse_ip(text)
    return None if address is None else str(address)


def source_ip_of(event: Mapping[str, Any]) -> str | None:
    """The source address of an event, normalised, when a field holds a real address."""
    for name in _IP_FIELDS:
        value = event.get(name)
        if value and isinstance(value, str):
            address = normalise_ip(value)
            if address is not None:
                return address
    return None


#: Addresses that never come from the internet: RFC 1918, loopback, link-local, shared
#: address space (RFC 6598, carrier-grade NAT and many VPN pools), unique local IPv6.
#: The rule pack's ``cidr`` filters list the same networks.
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "::1/128",
        "fe80::/10",
        "fc00::/7",
        "::/128",
    )
)


@lru_cache(maxsize=65536)
def is_external(address: str) -> bool:
    """True for an address that can come from the internet (not internal, see above)."""
    parsed = parse_ip(address)
    if parsed is None or parsed.is_multicast:
        return False
    return not any(parsed.version == net.version and parsed in net for net in INTERNAL_NETWORKS)


def ip_type(address: str) -> str:
    parsed = parse_ip(address)
    return "ioc:ipv6" if isinstance(parsed, ipaddress.IPv6Address) else "ioc:ipv4"
