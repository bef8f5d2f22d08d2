"""Address ranges (CIDR indicators) and fast membership tests for addresses.

``NetworkTable`` keeps one hash table per prefix length: testing an address costs
one dictionary lookup per distinct prefix length in use (at most 33 for IPv4,
129 for IPv6), however many networks there are, and returns every containing
network, nested ones included.

``ipv4_prefix_keys`` gives the dotted text every address of a network starts with
(``203.0.113.`` for ``203.0.113.0/24``) so the string matcher can find candidate
addresses in text without a regular-expression pass over every byte.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class NetworkTable(Generic[T]):
    """Networks of one IP version, each with the items (indicators) attached to it."""

    bits: int
    _by_length: dict[int, dict[int, list[T]]] = field(default_factory=dict)
    _lengths: tuple[int, ...] = ()

    def add(self, network: IPNetwork, item: T) -> None:
        if network.max_prefixlen != self.bits:
            raise ValueError(f"{network} is not an IPv{4 if self.bits == 32 else 6} network")
        length = network.prefixlen
        bucket = self._by_length.setdefault(length, {})
        bucket.setdefault(int(network.network_address) >> (self.bits - length), []).append(item)
        self._lengths = tuple(sorted(self._by_length, reverse=True))

    def __len__(self) -> int:
        return sum(len(items) for bucket in self._by_length.values() for items in bucket.values())

    def __bool__(self) -> bool:
        return bool(self._by_length)

    def lookup(self, address: int) -> list[T]:
        """Items of every network containing ``address``, most specific first."""
        found: list[T] = []
        for length in self._lengths:
            items = self._by_length[length].get(address >> (self.bits - length))
            if items:
                found.extend(items)
        return found


#: A network wider than this many /8s is looked for through its first octets only.
_MAX_KEYS_PER_NETWORK = 16


def ipv4_prefix_keys(network: ipaddress.IPv4Network) -> Iterator[str]:
    """Dotted prefixes (``10.``, ``192.168.4.``) that every address in ``network`` starts with.

    Aligned octets give one key; a partly fixed octet (``/20``) gives one key per
    value it can take, up to 16, else the shorter aligned key. The matcher checks
    each candidate address against the table afterwards, so keys may be wider than
    the network but never narrower.
    """
    octets = network.network_address.packed
    length = min(network.prefixlen, 24)
    whole, partial = divmod(length, 8)
    fixed = ".".join(str(octet) for octet in octets[:whole])
    if partial and (1 << (8 - partial)) <= _MAX_KEYS_PER_NETWORK:
        first = octets[whole]
        for value in range(first, first + (1 << (8 - partial))):
            yield f"{fixed}.{value}." if fixed else f"{value}."
        return
    if whole == 0:
        # Wider than /4: the first octet can take many values; list them all.
        size = 1 << (8 - partial) if partial else 256
        first = octets[0]
        for value in range(first, first + size):
            yield f"{value}."
        return
    yield fixed + "."
