"""Imperative mapping of the pure domain dataclasses onto the tables.

The domain classes stay free of SQLAlchemy imports; ``start_mappers`` wires them once
per process (it is idempotent and never runs at import time).
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import registry, relationship

from madoguchi.domain.audit import AuditEvent
from madoguchi.domain.case import Case, CaseParty
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.hearing import HearingAnswer
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import ApiToken, Membership, Organisation, User
from madoguchi.domain.support import CaseLink, LoginLink, SupportItem
from madoguchi.storage.sql import tables

mapper_registry = registry(metadata=tables.metadata)
_lock = threading.Lock()
_state = {"started": False}


def start_mappers() -> None:
    with _lock:
        if _state["started"]:
            return
        mapper_registry.map_imperatively(Organisation, tables.organisations)
        mapper_registry.map_imperatively(User, tables.users)
        mapper_registry.map_imperatively(Membership, tables.memberships)
        mapper_registry.map_imperatively(ApiToken, tables.api_tokens)
        mapper_registry.map_imperatively(CaseParty, tables.case_parties)
        mapper_registry.map_imperatively(
            Case,
            tables.cases,
            properties={
                "parties": relationship(
                    CaseParty,
                    lazy="selectin",
                    cascade="all, delete-orphan",
                    order_by=tables.case_parties.c.id,
                )
            },
        )
        mapper_registry.map_imperatively(Message, tables.messages)
        mapper_registry.map_imperatively(AuditEvent, tables.audit_events)
        mapper_registry.map_imperatively(Evidence, tables.evidence)
        mapper_registry.map_imperatively(HearingAnswer, tables.hearing_answers)
        mapper_registry.map_imperatively(SupportItem, tables.support_items)
        mapper_registry.map_imperatively(CaseLink, tables.case_links)
        mapper_registry.map_imperatively(LoginLink, tables.login_links)
        _state["started"] = True
