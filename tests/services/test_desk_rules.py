"""The desk's own Sigma rule folders (``MADOGUCHI_RULE_DIRS``) and placeholder values
(``MADOGUCHI_SIGMA_PLACEHOLDERS``): used by every analysis job, picked up again by a
re-run after a rule changed, broken rules shown to desk staff only, checked by doctor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.analyzers.sigma.sigma_helpers import SIGMA1_AGGREGATION
from tests.services.test_analysis_runs import EVTX, _actor, _upload
from tests.world import build_world

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.domain.errors import ConfigurationError
from madoguchi.services import analysis_options, analysis_runs, operations
from madoguchi.storage.sql import migrate
from madoguchi.web.panels import analysis as analysis_panel

RULE_ID = "2f0c9a4e-7b1d-4c3e-9a8f-5d6e7f8a9b0c"


def desk_rule(command: str) -> str:
    return f"""
title: Site watch list command
id: {RULE_ID}
level: high
logsource: {{product: windows, category: process_creation}}
detection:
  selection:
    CommandLine|expand: '%watched_commands%'
  exclude:
    CommandLine|contains: '{command}'
  condition: selection and not exclude
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "desk-rules"
    folder.mkdir()
    (folder / "watch.yml").write_text(desk_rule("never-there"), encoding="utf-8")
    (folder / "old.yml").write_text(SIGMA1_AGGREGATION, encoding="utf-8")
    return folder


@pytest.fixture
def rules_desk(settings: Settings, rules: Path, tmp_path: Path) -> Iterator[Desk]:
    values = tmp_path / "site.yml"
    values.write_text("watched_commands: ['*shadowcopy delete*']\n", encoding="utf-8")
    configured = settings.model_copy(update={"rule_dirs": str(rules), "sigma_placeholders": values})
    built = build_desk(configured)
    migrate.upgrade(built.engine)
    yield built
    built.close()


def _document(desk: Desk, handler: object, case_id: int, evidence_id: int) -> dict:  # type: ignore[type-arg]
    with desk.uow_factory() as uow:
        records = analysis_runs.case_results(uow, handler, case_id)  # type: ignore[arg-type]
    (record,) = [r for r in records if r.evidence_id == evidence_id]
    assert record.document is not None
    return record.document


def test_the_desk_rules_and_placeholders_are_used_and_a_rerun_sees_a_changed_rule(
    rules_desk: Desk, rules: Path
) -> None:
    world = build_world(rules_desk)
    evidence_id = _upload(
        rules_desk, world, "party_reporter", world.case_a, EVTX.read_bytes(), "Security.evtx"
    )
    handler = _actor(rules_desk, world, "desk_handler")
    document = _document(rules_desk, handler, world.case_a, evidence_id)
    hits = [f for f in document["findings"] if f["rule_id"] == RULE_ID]
    assert [f["details"]["matched"]["CommandLine"] for f in hits] == [
        "wmic  shadowcopy delete /nointeractive"
    ]
    assert [Path(r["rule_file"]).name for r in document["rules_not_loaded"]] == ["old.yml"]

    # The desk edits its rule (now excluding that command) and runs the analyzers again.
    (rules / "watch.yml").write_text(desk_rule("/nointeractive"), encoding="utf-8")
    with rules_desk.uow_factory() as uow:
        items = analysis_runs.request_rerun(uow, handler, world.case_a)
        uow.commit()
    analysis_runs.queue_analysis(rules_desk.queue, items)
    assert rules_desk.inline_queue is not None
    rules_desk.inline_queue.run_pending()
    document = _document(rules_desk, handler, world.case_a, evidence_id)
    assert not [f for f in document["findings"] if f["rule_id"] == RULE_ID]


def test_rules_not_loaded_are_shown_to_the_desk_and_not_to_reporters(rules_desk: Desk) -> None:
    world = build_world(rules_desk)
    _upload(rules_desk, world, "party_reporter", world.case_a, EVTX.read_bytes(), "Security.evtx")
    for role, shown in (("desk_handler", ["old.yml"]), ("party_reporter", [])):
        actor = _actor(rules_desk, world, role)
        with rules_desk.uow_factory() as uow:
            context = analysis_panel.context(uow, actor, world.case_a)
        names = [Path(r["rule_file"]).name for r in context["analysis_rules_not_loaded"]]
        assert names == shown, role


def test_a_broken_placeholder_file_stops_the_job_and_doctor_says_why(
    settings: Settings, tmp_path: Path
) -> None:
    values = tmp_path / "site.yml"
    values.write_text("- not a mapping\n", encoding="utf-8")
    configured = settings.model_copy(
        update={"rule_dirs": str(tmp_path / "missing"), "sigma_placeholders": values}
    )
    with pytest.raises(ConfigurationError, match="MADOGUCHI_SIGMA_PLACEHOLDERS"):
        analysis_options.run_options(configured)
    problems = analysis_options.problems(configured)
    assert any("does not exist" in p for p in problems)
    assert any("must map placeholder names" in p for p in problems)
    check = operations._rules_check(configured)
    assert check.status is operations.Status.FAIL
    assert operations._rules_check(settings).message == "built-in rules only"
