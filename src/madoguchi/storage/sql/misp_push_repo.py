"""The state of each case's MISP event (SQLAlchemy Core)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from madoguchi.domain.misp_push import MispPush, PushState
from madoguchi.storage.sql import tables

M = tables.misp_pushes.c


class SqlMispPushRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, case_id: int) -> MispPush | None:
        row = self.session.execute(select(tables.misp_pushes).where(M.case_id == case_id)).first()
        if row is None:
            return None
        values = dict(row._mapping)
        values["state"] = PushState(values["state"])
        return MispPush(**values)

    def save(self, push: MispPush) -> None:
        values = asdict(push)
        values["state"] = push.state.value
        values["error"] = push.error[:2000]
        values["error_detail"] = push.error_detail[:4000]
        exists = self.session.execute(select(M.case_id).where(M.case_id == push.case_id)).first()
        if exists is None:
            self.session.execute(insert(tables.misp_pushes).values(**values))
        else:
            del values["case_id"]
            self.session.execute(
                update(tables.misp_pushes).where(M.case_id == push.case_id).values(**values)
            )
