"""Traffic Light Protocol 2.0 levels and the sharing rules the desk enforces."""

from __future__ import annotations

from enum import StrEnum

from madoguchi.domain.errors import ValidationError


class UnknownTLPError(ValidationError, ValueError):
    """Text that names no TLP level; a ``ValueError`` too, for parsers that skip it."""


class TLP(StrEnum):
    """TLP 2.0 labels, ordered from least to most restricted."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def label(self) -> str:
        """The label as printed on documents, e.g. ``TLP:AMBER+STRICT``."""
        return "TLP:" + self.value.upper()

    def at_most(self, ceiling: TLP) -> bool:
        """True when this level may be released under ``ceiling``."""
        return self.rank <= ceiling.rank

    @classmethod
    def parse(cls, text: str) -> TLP:
        """Accept ``amber``, ``TLP:AMBER``, ``tlp:amber+strict``, ``WHITE`` (TLP 1.0)."""
        value = text.strip().lower().removeprefix("tlp:").replace(" ", "")
        if value == "white":
            return cls.CLEAR
        try:
            return cls(value)
        except ValueError:
            raise UnknownTLPError("unknown TLP level", where="tlp") from None


_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


def most_restrictive(levels: list[TLP]) -> TLP:
    """The most restrictive level of several (CLEAR when given none)."""
    return max(levels, key=lambda level: level.rank, default=TLP.CLEAR)
