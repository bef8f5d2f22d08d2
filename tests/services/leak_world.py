"""Helpers shared by the leak, exfiltration and advice tests: actors of the shared world,
evidence uploaded and analysed the way the desk does it, small event-log exports."""

from __future__ import annotations

import json
from typing import Any

from tests.world import World, store_bytes

from madoguchi.bootstrap import Desk
from madoguchi.domain.organisation import Actor
from madoguchi.ports import OutgoingMail
from madoguchi.services import accounts, analysis_runs, evidence

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def actor(desk: Desk, world: World, role: str) -> Actor:
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


def upload_and_analyse(
    desk: Desk, world: World, data: bytes, name: str, *, case_id: int | None = None
) -> int:
    """The reporter uploads a file; the analysis job runs on it as on the desk."""
    reporter = actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        result = evidence.attach_evidence(
            uow, desk.store, reporter, case_id or world.case_a, store_bytes(desk, data), name
        )
        uow.commit()
        evidence_id = result.evidence.id
    assert evidence_id is not None
    analysis_runs.run_evidence_analysis(desk.uow_factory, desk.store, {"evidence_id": evidence_id})
    return evidence_id


def event(
    record: int, when: str, event_id: int, channel: str, data: dict[str, Any], host: str
) -> dict[str, Any]:
    """One event as evtx_dump writes it in JSON lines."""
    provider = (
        "Microsoft-Windows-Sysmon" if channel == SYSMON else "Microsoft-Windows-Security-Auditing"
    )
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": provider}},
                "EventID": event_id,
                "TimeCreated": {"#attributes": {"SystemTime": when}},
                "EventRecordID": record,
                "Channel": channel,
                "Computer": host,
            },
            "EventData": data,
        }
    }


def jsonl(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode("utf-8")


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)
