"""What every import and export returns: the indicators, what was dropped, what went wrong.

Imports never drop an entry silently: anything they cannot turn into an indicator
is an ``ImportProblem`` with where it was and why. Exports take a TLP ceiling and
count what they left out because it was above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from madoguchi.domain.indicator import Indicator
from madoguchi.domain.tlp import TLP


@dataclass(frozen=True, slots=True)
class ImportProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportResult:
    indicators: list[Indicator] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    def extend(self, other: ImportResult) -> None:
        self.indicators.extend(other.indicators)
        self.problems.extend(other.problems)


def within_ceiling(indicators: Iterable[Indicator], ceiling: TLP) -> tuple[list[Indicator], int]:
    """The indicators releasable under ``ceiling`` and how many were above it."""
    kept: list[Indicator] = []
    dropped = 0
    for indicator in indicators:
        if indicator.tlp.at_most(ceiling):
            kept.append(indicator)
        else:
            dropped += 1
    return kept, dropped
