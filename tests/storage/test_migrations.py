from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from madoguchi.bootstrap import Desk
from madoguchi.domain.audit import AuditEvent
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.db import make_engine
from madoguchi.storage.sql.tables import metadata


def test_upgrade_creates_every_table_on_an_empty_database(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_match_the_table_definitions(desk: Desk) -> None:
    with desk.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_audit_log_refuses_updates_and_deletes(desk: Desk) -> None:
    with desk.uow_factory() as uow:
        uow.audit.append(AuditEvent("case:read", None, "case", "1", datetime.now(UTC)))
        uow.commit()
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), desk.engine.begin() as conn:
            conn.execute(text(statement))
    with desk.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_events")).scalar_one() == "case:read"
