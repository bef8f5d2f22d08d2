"""Indicators as CSV, both ways.

Export writes one row per indicator with a header; every cell that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) gets a leading ``'``. Import reads ``type,value[,tag…]`` rows, with or
without a header; a header may also name ``tlp``, ``confidence``, ``tags`` and
``description`` columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import Indicator, IndicatorSource, SourceKind
from madoguchi.domain.tlp import TLP
from madoguchi.intel.classifier import make_indicator
from madoguchi.intel.exchange import ImportProblem, ImportResult, within_ceiling

COLUMNS = (
    "type",
    "value",
    "tlp",
    "confidence",
    "tags",
    "first_seen",
    "last_seen",
    "expires_at",
    "source",
    "description",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    """``'=cmd|…`` instead of ``=cmd|…``: keep spreadsheets from running a cell."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class CsvExport:
    text: str
    exported: int
    dropped: int


def export_csv(indicators: Iterable[Indicator], *, ceiling: TLP) -> CsvExport:
    """CSV of the indicators at or below ``ceiling`` (formula-guarded cells)."""
    kept, dropped = within_ceiling(indicators, ceiling)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for indicator in kept:
        row = [
            indicator.type.value,
            indicator.value,
            indicator.tlp.value,
            str(indicator.confidence),
            ";".join(indicator.tags),
            *(
                moment.isoformat() if moment else ""
                for moment in (indicator.first_seen, indicator.last_seen, indicator.expires_at)
            ),
            f"{indicator.source.kind.value}:{indicator.source.name}".rstrip(":"),
            indicator.description,
        ]
        writer.writerow([guard_cell(cell) for cell in row])
    return CsvExport(buffer.getvalue(), len(kept), dropped)


def import_csv(
    text: str,
    *,
    source: IndicatorSource | None = None,
    default_tlp: TLP = TLP.AMBER,
    where: str = "csv",
) -> ImportResult:
    """Indicators from CSV text; bad rows become problems, with their line number."""
    result = ImportResult()
    origin = source or IndicatorSource(SourceKind.FEED, where)
    rows = list(csv.reader(io.StringIO(text)))
    header: list[str] | None = None
    if rows and [cell.strip().lower() for cell in rows[0][:2]] == ["type", "value"]:
        header = [cell.strip().lower() for cell in rows[0]]
    for number, row in enumerate(rows, start=1):
        if (number == 1 and header) or not any(cell.strip() for cell in row):
            continue
        if row[0].lstrip().startswith("#"):
            continue
        cells = [
            cell[1:] if cell.startswith("'") and cell[1:2] in _FORMULA_START else cell
            for cell in row
        ]
        try:
            result.indicators.append(_row(cells, header, origin, default_tlp))
        except (ValidationError, ValueError) as error:
            message = error.message if isinstance(error, ValidationError) else str(error)
            result.problems.append(ImportProblem(f"{where}:{number}", message))
    return result


def _row(
    cells: list[str], header: list[str] | None, origin: IndicatorSource, default_tlp: TLP
) -> Indicator:
    if len(cells) < 2:
        raise ValidationError("expected type,value")
    if header is None:
        tags = [tag for cell in cells[2:] for tag in cell.split(";")]
        return make_indicator(cells[0] or None, cells[1], source=origin, tlp=default_tlp, tags=tags)
    named = dict(zip(header, cells, strict=False))
    extra = [cells[i] for i in range(len(header), len(cells))]
    return make_indicator(
        named.get("type") or None,
        named.get("value", ""),
        source=origin,
        tlp=TLP.parse(named["tlp"]) if named.get("tlp") else default_tlp,
        confidence=int(named["confidence"]) if named.get("confidence") else 50,
        tags=[tag for cell in [named.get("tags", ""), *extra] for tag in cell.split(";")],
        description=named.get("description", ""),
    )
