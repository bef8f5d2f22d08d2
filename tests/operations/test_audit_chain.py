"""The hash-chained audit log: appends chain, tampering is found, exports stay private."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.world import OTHER_NAME, VENDOR_NAME, VICTIM_NAME, build_world
from typer.testing import CliRunner

from madoguchi.bootstrap import Desk
from madoguchi.cli import build_app
from madoguchi.services import audit


def _append(desk: Desk, count: int, **detail: object) -> None:
    with desk.uow_factory() as uow:
        for number in range(count):
            audit.record(uow, None, "case:read", "case", number, case_id=number, **detail)
        uow.commit()


def _allow_tampering(desk: Desk) -> None:
    """What an attacker with database access does first."""
    with desk.engine.begin() as conn:
        if desk.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def _verify(desk: Desk) -> audit.ChainReport:
    with desk.uow_factory() as uow:
        return audit.verify_chain(uow)


@pytest.fixture
def cli_env(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", desk.settings.effective_database_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(desk.settings.data_dir))
    return CliRunner()


def test_entries_link_to_their_predecessor(desk: Desk) -> None:
    _append(desk, 3, note="日本語の詳細")
    with desk.uow_factory() as uow:
        events = list(uow.audit_chain.walk())
    assert events[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.entry_hash for e in events[:-1]]
    report = _verify(desk)
    assert report.ok and report.checked == 3 and report.head == events[-1].entry_hash


def test_a_changed_entry_is_named_by_verify(desk: Desk, cli_env: CliRunner) -> None:
    _append(desk, 5)
    assert cli_env.invoke(build_app(), ["audit", "verify"]).exit_code == 0
    with desk.uow_factory() as uow:
        target = list(uow.audit_chain.walk())[2].id
    _allow_tampering(desk)
    with desk.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET object_id = 'forged' WHERE id = :id"), {"id": target}
        )
    report = _verify(desk)
    assert [b.event_id for b in report.breaks] == [target]
    assert "content changed" in report.breaks[0].reason
    result = cli_env.invoke(build_app(), ["audit", "verify"], terminal_width=200)
    assert result.exit_code == 1
    assert f"audit entry {target}:" in result.output


def test_a_removed_entry_breaks_the_link_of_the_next(desk: Desk) -> None:
    _append(desk, 4)
    with desk.uow_factory() as uow:
        ids = [e.id for e in uow.audit_chain.walk()]
    _allow_tampering(desk)
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    report = _verify(desk)
    assert [b.event_id for b in report.breaks] == [ids[2]]
    assert "does not follow" in report.breaks[0].reason


def test_concurrent_appends_never_fork_the_chain(desk: Desk) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                _append(desk, 2)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = _verify(desk)
    assert report.ok and report.checked == 80


def test_export_holds_only_the_organisations_own_trail(
    desk: Desk, cli_env: CliRunner, tmp_path: Path
) -> None:
    world = build_world(desk)
    out = tmp_path / "trail.jsonl"
    result = cli_env.invoke(
        build_app(), ["audit", "export", "--org", VENDOR_NAME, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = out.read_text(encoding="utf-8")
    records = [json.loads(line) for line in raw.splitlines()]
    assert records, "the vendor opened case A, so it has a trail"
    assert {r["case_id"] for r in records} - {None} == {world.case_a}
    assert all(r["organisation_id"] in (None, world.vendor_org) for r in records)
    for secret in (VICTIM_NAME, OTHER_NAME, world.internal_note, world.other_case_title):
        assert secret not in raw
    assert not any(
        r["object_type"] == "organisation" and r["object_id"] == str(world.other_org)
        for r in records
    )
    # the export itself is on the record, and the chain still holds
    assert _verify(desk).ok
    with desk.uow_factory() as uow:
        assert any(e.action == "audit:export" for e in uow.audit.recent(5))


def test_export_of_an_unknown_organisation_fails_cleanly(
    desk: Desk, cli_env: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "none.jsonl"
    result = cli_env.invoke(build_app(), ["audit", "export", "--org", "Nope", "--out", str(out)])
    assert result.exit_code == 1 and "no such organisation" in result.output
    assert not out.exists()


APPENDER = """
import sys
from madoguchi.services import audit
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWork

factory = make_session_factory(make_engine(sys.argv[1]))
for number in range(int(sys.argv[2])):
    with SqlUnitOfWork(factory) as uow:
        audit.record(uow, None, "case:read", "case", number, process=sys.argv[3])
        uow.commit()
"""


def test_appends_from_several_processes_never_fork_the_chain(desk: Desk) -> None:
    url = desk.settings.effective_database_url
    processes = [
        subprocess.Popen([sys.executable, "-c", APPENDER, url, "15", str(n)]) for n in range(4)
    ]
    assert [process.wait(120) for process in processes] == [0, 0, 0, 0]
    report = _verify(desk)
    assert report.ok and report.checked == 60
