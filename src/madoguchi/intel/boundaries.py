"""Where an indicator may start and end inside text, per indicator type.

The matcher finds raw substrings; a ``Boundary`` then decides whether the bytes
around a hit make it a real occurrence. ``evil.com`` occurs in ``notevil.com``
but is not found there; it *is* found in ``www.evil.com`` (a subdomain) and at
the end of a sentence (``… evil.com.``). Checks look at the lower-cased bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.domain.indicator import IndicatorType


def _table(chars: bytes) -> bytes:
    """A 256-byte lookup table: 1 where the byte is in ``chars``."""
    marks = bytearray(256)
    for char in chars:
        marks[char] = 1
    return bytes(marks)


_ALNUM = b"abcdefghijklmnopqrstuvwxyz0123456789"
_WORD = _ALNUM + b"_"
_NONE = bytes(256)


@dataclass(frozen=True, slots=True)
class Boundary:
    """``left``/``right``: tables of bytes that may not touch the hit on that side.

    With ``dot_continues``, a ``.`` right after the hit only counts as touching when
    a forbidden byte follows it (``evil.com.au`` continues, ``evil.com.`` ends).
    """

    left: bytes
    right: bytes
    dot_continues: bool = False

    def accepts(self, low: bytes, start: int, end: int) -> bool:
        if start > 0 and self.left[low[start - 1]]:
            return False
        if end < len(low):
            after = low[end]
            if self.right[after]:
                return False
            if self.dot_continues and after == 0x2E and end + 1 < len(low):
                return not self.right[low[end + 1]]
        return True


_HOST = Boundary(_table(_WORD + b"-"), _table(_WORD + b"-"), dot_continues=True)
_TOKEN = Boundary(_table(_WORD), _table(_WORD))

BOUNDARIES: dict[IndicatorType, Boundary] = {
    IndicatorType.DOMAIN: _HOST,
    IndicatorType.ONION: _HOST,
    IndicatorType.EMAIL: Boundary(_table(_WORD + b".-+%"), _table(_WORD + b"-"), True),
    IndicatorType.URL: Boundary(_table(_WORD), _table(_WORD + b"-~%"), dot_continues=True),
    IndicatorType.FILENAME: Boundary(_table(_WORD + b"-."), _table(_WORD + b"-"), True),
    IndicatorType.IPV4: Boundary(_table(_WORD + b"."), _table(_WORD), dot_continues=True),
    IndicatorType.CIDR: Boundary(_table(_WORD + b"."), _table(_WORD), dot_continues=True),
    IndicatorType.IPV6: Boundary(_table(_WORD + b":"), _table(_WORD + b":")),
    IndicatorType.SSDEEP: Boundary(_table(_WORD), _table(_WORD + b"/+")),
}


def boundary_for(kind: IndicatorType, key: bytes) -> Boundary:
    """The boundary for a key of ``kind``; types without their own use word boundaries.

    Word boundaries apply only on a side where the key itself ends in a word
    character, as ``\\b`` does in a regular expression.
    """
    found = BOUNDARIES.get(kind)
    if found is not None:
        return found
    if kind.is_hash or kind in (IndicatorType.TOX, IndicatorType.SESSION, IndicatorType.WALLET):
        return _TOKEN
    word = _TOKEN.left
    left = word if key and word[key[0]] else _NONE
    right = word if key and word[key[-1]] else _NONE
    return Boundary(left, right)
