"""Finding known indicators in text, files and observables.

``Matcher.build(indicators)`` compiles every active indicator (not flagged false
positive, not expired at ``as_of``) into one Aho-Corasick automaton over
lower-cased UTF-8 bytes. One pass over the text finds every candidate; each
candidate is then checked:

* boundaries per type (``madoguchi.intel.boundaries``), so ``evil.com`` is not found
  in ``notevil.com``;
* exact case where the type is case-sensitive (user agents, mutexes, ssdeep,
  Base58 wallets, the path of a URL);
* for CIDR networks, the automaton holds the dotted prefix every member address
  starts with; the full address after a hit is parsed and tested against a
  ``NetworkTable``. IPv6 networks need a regular-expression pass for addresses
  (IPv6 text has many spellings), which runs only when IPv6 networks are loaded.

Hashes and single addresses are exact keys in the same automaton: with boundaries
on both sides this is the same as cutting hex runs or addresses out of the text
and testing set membership, in a single pass.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ahocorasick

from madoguchi.domain.findings import Observable
from madoguchi.domain.indicator import Indicator, IndicatorType
from madoguchi.intel.boundaries import BOUNDARIES, Boundary, boundary_for
from madoguchi.intel.filescan import DEFAULT_CHUNK, Hit, scan_stream
from madoguchi.intel.networks import NetworkTable, ipv4_prefix_keys
from madoguchi.intel.normalise import normalise, refang

_IPV4_AT = re.compile(rb"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_IPV6_CANDIDATE = re.compile(rb"(?<![0-9a-z:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![0-9a-z:])")

#: Types whose stored value must match the text with its exact case.
_CASE_SENSITIVE = frozenset({IndicatorType.USER_AGENT, IndicatorType.MUTEX, IndicatorType.SSDEEP})

#: Indicator types an observable of a given indicator type can contain.
_CONTAINED: dict[IndicatorType, frozenset[IndicatorType]] = {
    IndicatorType.URL: frozenset(
        {
            IndicatorType.URL,
            IndicatorType.DOMAIN,
            IndicatorType.ONION,
            IndicatorType.IPV4,
            IndicatorType.IPV6,
            IndicatorType.CIDR,
            IndicatorType.FILENAME,
        }
    ),
    IndicatorType.EMAIL: frozenset({IndicatorType.EMAIL, IndicatorType.DOMAIN}),
    IndicatorType.DOMAIN: frozenset({IndicatorType.DOMAIN}),
    IndicatorType.ONION: frozenset({IndicatorType.ONION}),
    IndicatorType.IPV4: frozenset({IndicatorType.IPV4, IndicatorType.CIDR}),
    IndicatorType.IPV6: frozenset({IndicatorType.IPV6, IndicatorType.CIDR}),
    IndicatorType.CIDR: frozenset({IndicatorType.CIDR}),
    IndicatorType.FILENAME: frozenset({IndicatorType.FILENAME}),
    IndicatorType.IMPHASH: frozenset({IndicatorType.IMPHASH, IndicatorType.MD5}),
    IndicatorType.MD5: frozenset({IndicatorType.MD5, IndicatorType.IMPHASH}),
}


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence of an indicator.

    ``start``/``end`` index the searched text (characters for ``match_text``; bytes of
    the UTF-8 stream for ``scan_file``). ``line`` and ``context`` are set by
    ``scan_file``; ``observable`` by ``match_observables``.
    """

    indicator: Indicator
    start: int
    end: int
    text: str
    line: int | None = None
    context: str = ""
    observable: Observable | None = None

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class _Target:
    indicator: Indicator
    boundary: Boundary
    exact: bytes | None = None
    exact_from: int = 0


@dataclass(frozen=True, slots=True)
class _Entry:
    length: int
    targets: tuple[_Target, ...] = ()
    ipv4_prefix: bool = False


def _exact_part(indicator: Indicator, key: bytes) -> tuple[bytes | None, int]:
    """The bytes that must match with exact case, and where they start in the key."""
    kind = indicator.type
    if kind in _CASE_SENSITIVE:
        return key, 0
    if kind is IndicatorType.WALLET and not indicator.value.lower().startswith("bc1"):
        return key, 0
    if kind is IndicatorType.URL:
        scheme_end = key.find(b"://")
        path = key.find(b"/", scheme_end + 3 if scheme_end >= 0 else 0)
        if path >= 0 and path + 1 < len(key):
            return key[path:], path
    return None, 0


class Matcher:
    """Compiled indicators; build once, match many texts. Pure, no I/O but ``scan_file``."""

    def __init__(self) -> None:
        self._automaton: ahocorasick.Automaton | None = None
        self._entries: list[_Entry] = []
        self._ipv4 = NetworkTable[Indicator](32)
        self._ipv6 = NetworkTable[Indicator](128)
        self.indicators: tuple[Indicator, ...] = ()
        self.skipped_false_positive = 0
        self.skipped_expired = 0
        self.max_key = 64

    # --- building ----------------------------------------------------------------------

    @classmethod
    def build(cls, indicators: Iterable[Indicator], *, as_of: datetime | None = None) -> Matcher:
        """Compile ``indicators``; false positives and those expired at ``as_of`` are left out.

        ``as_of`` defaults to the current time (UTC).
        """
        moment = as_of or datetime.now(UTC)
        matcher = cls()
        keyed: dict[bytes, list[_Target]] = {}
        prefixes: set[bytes] = set()
        active: list[Indicator] = []
        for indicator in indicators:
            if indicator.false_positive:
                matcher.skipped_false_positive += 1
                continue
            if not indicator.is_active(moment):
                matcher.skipped_expired += 1
                continue
            active.append(indicator)
            matcher._add(indicator, keyed, prefixes)
        matcher.indicators = tuple(active)
        automaton = ahocorasick.Automaton()
        for key in sorted(keyed.keys() | prefixes):
            automaton.add_word(key.decode("latin-1"), len(matcher._entries))
            matcher._entries.append(_Entry(len(key), tuple(keyed.get(key, ())), key in prefixes))
        if len(automaton):
            automaton.make_automaton()
            matcher._automaton = automaton
        lengths = [entry.length for entry in matcher._entries]
        matcher.max_key = max([64, *lengths])
        return matcher

    def _add(
        self, indicator: Indicator, keyed: dict[bytes, list[_Target]], prefixes: set[bytes]
    ) -> None:
        kind = indicator.type
        if kind is IndicatorType.CIDR:
            network = ipaddress.ip_network(indicator.value, strict=False)
            if isinstance(network, ipaddress.IPv4Network):
                self._ipv4.add(network, indicator)
                prefixes.update(key.encode() for key in ipv4_prefix_keys(network))
            else:
                self._ipv6.add(network, indicator)
            return
        spellings = [indicator.value]
        if kind is IndicatorType.IPV6:
            address = ipaddress.IPv6Address(indicator.value)
            spellings = [address.compressed, address.exploded]
        for spelling in dict.fromkeys(spellings):
            key = spelling.encode("utf-8")
            low = key.lower()
            if len(low) < 3:
                continue
            exact, exact_from = _exact_part(indicator, key)
            target = _Target(indicator, boundary_for(kind, low), exact, exact_from)
            keyed.setdefault(low, []).append(target)

    def __len__(self) -> int:
        return len(self.indicators)

    # --- matching ----------------------------------------------------------------------

    def find(self, data: bytes) -> list[Hit]:
        """Every checked occurrence in UTF-8 ``data``, ordered by position."""
        if self._automaton is None and not self._ipv6:
            return []
        low = data.lower()
        hits: list[Hit] = []
        addresses: dict[int, tuple[int, int]] = {}
        if self._automaton is not None:
            for last, index in self._automaton.iter(low.decode("latin-1")):
                entry = self._entries[index]
                end = last + 1
                start = end - entry.length
                if entry.ipv4_prefix:
                    self._candidate_ipv4(low, start, addresses)
                for target in entry.targets:
                    if not target.boundary.accepts(low, start, end):
                        continue
                    if (
                        target.exact is not None
                        and data[start + target.exact_from : end] != target.exact
                    ):
                        continue
                    hits.append(Hit(start, end, target.indicator))
        for start, (end, address) in addresses.items():
            hits.extend(Hit(start, end, item) for item in self._ipv4.lookup(address))
        if self._ipv6:
            hits.extend(self._find_ipv6(low))
        hits.sort(key=lambda hit: (hit.start, hit.end))
        return hits

    def _candidate_ipv4(self, low: bytes, start: int, found: dict[int, tuple[int, int]]) -> None:
        if start in found:
            return
        match = _IPV4_AT.match(low, start)
        if match is None:
            return
        end = match.end()
        if not BOUNDARIES[IndicatorType.IPV4].accepts(low, start, end):
            return
        octets = [int(part) for part in match.groups()]
        if max(octets) > 255:
            return
        found[start] = (end, octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3])

    def _find_ipv6(self, low: bytes) -> Iterator[Hit]:
        for match in _IPV6_CANDIDATE.finditer(low):
            token = match.group()
            if b"::" not in token and token.count(b":") != 7:
                continue
            try:
                address = ipaddress.IPv6Address(token.decode("ascii"))
            except ValueError:
                continue
            for item in self._ipv6.lookup(int(address)):
                yield Hit(match.start(), match.end(), item)

    def match_text(self, text: str, *, defanged: bool = False) -> list[Match]:
        """Occurrences in ``text``; spans are character offsets.

        With ``defanged``, the text is refanged first (``hxxp``, ``[.]``) and spans
        refer to the refanged text, which is what ``Match.text`` shows.
        """
        if defanged:
            text = refang(text)
        data = text.encode("utf-8")
        hits = self.find(data)
        if text.isascii():
            return [Match(h.indicator, h.start, h.end, text[h.start : h.end]) for h in hits]
        offsets = _CharOffsets(data)
        result = []
        for hit in hits:
            start = offsets.at(hit.start)
            end = start + len(data[hit.start : hit.end].decode("utf-8", errors="replace"))
            result.append(Match(hit.indicator, start, end, text[start:end]))
        return result

    def match_observables(self, observables: Iterable[Observable]) -> list[Match]:
        """Observables that are, or contain, a known indicator of a compatible type.

        A URL observable matches a domain indicator for its host; an IPv4 observable
        matches the networks containing it. Spans index the observable's value.
        """
        result: list[Match] = []
        for observable in observables:
            kind = IndicatorType.from_observable_type(observable.type)
            try:
                value = normalise(observable.type, observable.value)
            except ValueError:
                value = observable.value.strip()
            allowed = _CONTAINED.get(kind, frozenset({kind})) if kind is not None else None
            for match in self.match_text(value):
                if allowed is None or match.indicator.type in allowed:
                    result.append(
                        Match(
                            match.indicator,
                            match.start,
                            match.end,
                            match.text,
                            observable=observable,
                        )
                    )
        return result

    def scan_file(
        self,
        path: Path,
        *,
        chunk: int = DEFAULT_CHUNK,
        on_warning: Callable[[str], None] | None = None,
    ) -> Iterator[Match]:
        """Stream ``path`` (gzip and any text encoding) and yield matches with line numbers.

        Memory stays bounded by ``chunk`` plus an overlap long enough for the longest
        indicator, so matches across chunk borders are found exactly once.
        """
        for found in scan_stream(
            self.find, path, overlap=self.max_key, chunk=chunk, on_warning=on_warning
        ):
            hit = found.hit
            yield Match(
                hit.indicator, found.start, found.end, found.text, found.line, found.context
            )


class _CharOffsets:
    """Byte offset → character offset in UTF-8 data, cheapest for increasing offsets."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._byte = 0
        self._char = 0

    def at(self, offset: int) -> int:
        if offset < self._byte:
            self._byte, self._char = 0, 0
        self._char += len(self._data[self._byte : offset].decode("utf-8", errors="replace"))
        self._byte = offset
        return self._char
