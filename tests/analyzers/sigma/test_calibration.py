"""On real Windows events (the public calibration EVTX files), indexed matching loses nothing.

Rules are made here from values seen in those events (a random piece of a field value,
with a random modifier), so they do match; for every event, ``RuleSet.match`` must
return exactly the rules that its (channel, EventID) candidates match when each is
tested directly. Needs ``MADOGUCHI_CALIBRATION_DATA`` (the data folder); skipped without.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc

DATA = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
pytestmark = pytest.mark.skipif(
    not DATA, reason="MADOGUCHI_CALIBRATION_DATA is not set (folder of public calibration data)"
)


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    event = record.get("Event", {})
    flat: dict[str, Any] = {}
    for key, value in event.get("System", {}).items():
        if key == "EventID":
            flat[key] = value.get("#text") if isinstance(value, dict) else value
        elif isinstance(value, str | int):
            flat[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict) and section == "UserData" and len(data) == 1:
            (data,) = data.values()
        if isinstance(data, dict):
            flat.update({k: v for k, v in data.items() if k != "#attributes"})
    return flat


def _real_events(limit: int) -> list[dict[str, Any]]:
    import evtx

    events: list[dict[str, Any]] = []
    for path in sorted(Path(str(DATA), "evtx").rglob("*.evtx")):
        try:
            for record in evtx.PyEvtxParser(str(path)).records_json():
                events.append(_flatten(json.loads(record["data"])))
                if len(events) >= limit:
                    return events
        except (OSError, RuntimeError):
            continue
    return events


MODIFIERS = ["", "|contains", "|startswith", "|endswith", "|re|i", "|cased|contains"]


def _rule_from(rng: random.Random, event: dict[str, Any], n: int) -> dict[str, Any] | None:
    fields = [
        k
        for k, v in event.items()
        if isinstance(v, str) and len(v) >= 6 and k not in ("Channel", "Computer")
    ]
    if not fields:
        return None
    field = rng.choice(fields)
    value: str = event[field]
    modifier = rng.choice(MODIFIERS)
    start = rng.randrange(0, max(1, len(value) - 4))
    piece = value[start : start + rng.randint(4, 16)]
    if modifier == "":
        piece = value
    elif modifier == "|startswith":
        piece = value[: rng.randint(3, 12)]
    elif modifier == "|endswith":
        piece = value[-rng.randint(3, 12) :]
    if modifier.startswith("|re"):
        import re

        piece = re.escape(piece)
    else:
        piece = piece.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
    selection: dict[str, Any] = {field + modifier: piece}
    if rng.random() < 0.5 and isinstance(event.get("EventID"), int):
        selection["EventID"] = event["EventID"]
    detection: dict[str, Any] = {"selection": selection, "condition": "selection"}
    if rng.random() < 0.3:
        detection["filter"] = {"Computer|endswith": rng.choice(["x", "01", ".local"])}
        detection["condition"] = "selection and not filter"
    return rule_doc(detection, title=f"real {n}", logsource={"product": "windows"})


@pytest.mark.slow
def test_indexed_matching_on_real_events(load: Loader) -> None:
    events = _real_events(6000)
    assert len(events) > 1000, "expected the calibration EVTX files to hold events"
    rng = random.Random(11)
    rules = [r for n in range(400) if (r := _rule_from(rng, rng.choice(events), n))]
    ruleset, errors = load(*rules)
    assert errors == []
    total = 0
    for event in events:
        expected = [r.id for r in ruleset.candidates_for(event) if r.matches(event)]
        got = [m.rule.id for m in ruleset.match(event)]
        assert got == expected, event
        total += len(got)
    assert total > 400
