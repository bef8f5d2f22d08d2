"""Intake, hearing, support plan and workflow, as the desk and a reporter use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.world import VICTIM_NAME, World, build_world, store_bytes

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import CaseStatus, Category, PartyRole, Purpose, ReporterKind, Urgency
from madoguchi.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from madoguchi.domain.support import SupportStatus
from madoguchi.ports import CaseQuery
from madoguchi.services import (
    accounts,
    cases,
    evidence,
    hearing,
    intake,
    support_plan,
    workflow,
)


def _actor(desk: Desk, world: World, role: str):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


RANSOMWARE_REPORT = intake.Report(
    title="ESXi hosts encrypted at our customer",
    reporter_kind=ReporterKind.SECURITY_VENDOR,
    on_behalf=True,
    victim_name="株式会社かくれ製作所",
    hide_victim=True,
    purpose=Purpose.SUPPORT,
    categories=(Category.RANSOMWARE.value,),
    products=("VMware ESXi 7.0",),
    description="All VMs are encrypted. Could you also write our incident report for the board?",
)


def test_a_vendor_reports_for_a_hidden_victim(desk: Desk) -> None:
    world = build_world(desk)
    vendor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        submission = intake.submit(uow, vendor, RANSOMWARE_REPORT)
        uow.commit()
    case = submission.case
    assert case.reference.startswith("MDG-")
    assert case.urgency is Urgency.HIGH
    assert [p.role for p in case.parties] == [PartyRole.REPORTER]
    assert [m.item_id for m in submission.out_of_scope] == ["incident_report_writing"]
    assert case.id is not None
    with desk.uow_factory() as uow:
        seen_by_vendor = cases.view_case(uow, vendor, case.id)
        seen_by_desk = cases.view_case(uow, _actor(desk, world, "desk_handler"), case.id)
    assert "株式会社かくれ製作所" not in {p.name for p in seen_by_vendor.parties}
    assert "株式会社かくれ製作所" in {p.name for p in seen_by_desk.parties}


def test_out_of_scope_request_gets_the_standard_reply_in_the_plan(desk: Desk) -> None:
    world = build_world(desk)
    vendor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        case = intake.submit(uow, vendor, RANSOMWARE_REPORT).case
        uow.commit()
    assert case.id is not None
    with desk.uow_factory() as uow:
        plan = support_plan.plan_for(uow, vendor, case.id)
    [entry] = plan
    assert entry.out_of_scope and entry.item.status is SupportStatus.DECLINED
    assert entry.description.en and entry.description.ja  # the standard reply, both languages


def test_intake_rejects_what_a_person_can_correct(desk: Desk) -> None:
    world = build_world(desk)
    vendor = _actor(desk, world, "party_reporter")
    now = datetime.now(UTC)
    bad = [
        intake.Report(title=" "),
        intake.Report(title="x", cves=("CVE-24-1",)),
        intake.Report(title="x", on_behalf=True),
        intake.Report(title="x", started_at=now, noticed_at=now - timedelta(days=1)),
        intake.Report(title="x", categories=("not-a-category",)),
    ]
    for report in bad:
        with desk.uow_factory() as uow, pytest.raises(ValidationError):
            intake.submit(uow, vendor, report)


def test_newcomers_report_only_when_the_desk_allows_it(desk: Desk) -> None:
    newcomer = intake.Newcomer("New Victim K.K.", "Taro", "taro@newvictim.example")
    report = intake.Report(title="Strange logins on our VPN")
    with desk.uow_factory() as uow, pytest.raises(NotFoundError):
        intake.submit_as_newcomer(uow, newcomer, report)
    with desk.uow_factory() as uow:
        uow.desk_settings.set(intake.ALLOW_ANONYMOUS, True)
        submission = intake.submit_as_newcomer(uow, newcomer, report)
        uow.commit()
    assert submission.login_token and submission.user is not None
    with desk.uow_factory() as uow:
        org = uow.organisations.get(submission.case.parties[0].organisation_id)
        assert org is not None and not org.verified
        user = intake.redeem_login_link(uow, submission.login_token)
        uow.commit()
        assert user.email == "taro@newvictim.example" and user.must_change_password
    with desk.uow_factory() as uow, pytest.raises(NotFoundError):
        intake.redeem_login_link(uow, submission.login_token)  # only once


def test_hearing_answers_keep_their_history(desk: Desk) -> None:
    world = build_world(desk)
    handler = _actor(desk, world, "desk_handler")
    vendor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        view = hearing.view_hearing(uow, handler, world.case_a)
        ids = {q.id for qn in view.questionnaires for q in qn.questions}
        assert "ransomware.backups_intact" in ids  # chosen by the ransomware category
        hearing.save_answers(uow, handler, world.case_a, {"ransomware.backups_intact": "no"})
        hearing.save_answers(uow, handler, world.case_a, {"ransomware.backups_intact": "yes"})
        with pytest.raises(ValidationError):
            hearing.save_answers(uow, handler, world.case_a, {"ransomware.backups_intact": "maybe"})
        uow.commit()
    with desk.uow_factory() as uow:
        view = hearing.view_hearing(uow, handler, world.case_a)
        assert view.answers["ransomware.backups_intact"] == "yes"
        assert [h.value for h in view.history] == ["no", "yes"]
        with pytest.raises(NotFoundError):  # the hearing is not open to the reporter yet
            hearing.save_answers(uow, vendor, world.case_a, {"ransomware.backups_intact": "no"})
        hearing.open_to_reporter(uow, handler, world.case_a, True)
        uow.commit()
    with desk.uow_factory() as uow:
        assert hearing.save_answers(uow, vendor, world.case_a, {"ransomware.backups_intact": "no"})
        uow.commit()


NOTE = (
    b"Your files have been encrypted. To decrypt them contact us in the chat: "
    b"http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion/ "
    b"Do not rename the encrypted files and do not try to recover them yourself.\n"
)


def test_plan_is_recommended_with_reasons_then_accepted_and_shown(desk: Desk) -> None:
    world = build_world(desk)
    handler = _actor(desk, world, "desk_handler")
    vendor = _actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        attached = evidence.attach_evidence(
            uow, desk.store, vendor, world.case_a, store_bytes(desk, NOTE), "README.txt"
        )
        assert attached.evidence.kind == "ransom-note"
        added = support_plan.recommend_plan(uow, handler, world.case_a)
        uow.commit()
    assert "ransomware_family_identification" in {i.item_id for i in added}
    assert all(i.reasons and i.status is SupportStatus.PROPOSED for i in added)
    with desk.uow_factory() as uow:
        assert support_plan.plan_for(uow, vendor, world.case_a) == []  # proposals are internal
        support_plan.accept_proposals(uow, handler, world.case_a)
        support_plan.set_status(
            uow,
            handler,
            world.case_a,
            "ransomware_family_identification",
            SupportStatus.IN_PROGRESS,
        )
        uow.commit()
    with desk.uow_factory() as uow:
        shown = {
            e.item.item_id: e.item.status for e in support_plan.plan_for(uow, vendor, world.case_a)
        }
    assert shown["ransomware_family_identification"] is SupportStatus.IN_PROGRESS
    with desk.uow_factory() as uow, pytest.raises(PermissionDeniedError):
        support_plan.recommend_plan(uow, vendor, world.case_a)  # the web answers 404


def test_workflow_status_assignment_merge_and_queue_order(desk: Desk) -> None:
    world = build_world(desk)
    handler = _actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        workflow.change_status(uow, handler, world.case_a, CaseStatus.HEARING)
        with pytest.raises(ValidationError):
            workflow.change_status(uow, handler, world.case_a, CaseStatus.NEW)
        assert handler.user_id is not None
        workflow.assign(uow, handler, world.case_a, handler.user_id)
        with pytest.raises(ValidationError):
            workflow.assign(uow, handler, world.case_a, world.people["party_reporter"].user_id)
        workflow.set_urgency(uow, handler, world.case_b, Urgency.CRITICAL)
        uow.commit()
    with desk.uow_factory() as uow:
        queue = workflow.desk_queue(uow, handler, CaseQuery(by_urgency=True))
        assert [c.id for c in queue][:1] == [world.case_b]
        mine = workflow.desk_queue(uow, handler, CaseQuery(assignee_id=handler.user_id))
        assert [c.id for c in mine] == [world.case_a]
        by_category = workflow.desk_queue(uow, handler, CaseQuery(category="ransomware"))
        assert [c.id for c in by_category] == [world.case_a]
        by_org = workflow.desk_queue(uow, handler, CaseQuery(organisation_id=world.victim_org))
        assert [c.id for c in by_org] == [world.case_a]
        target = workflow.merge(uow, handler, world.case_b, world.case_a)
        uow.commit()
    assert world.other_org in target.party_org_ids()
    with desk.uow_factory() as uow:
        merged = uow.cases.get(world.case_b)
        assert merged is not None and merged.status is CaseStatus.MERGED
        assert merged.merged_into_id == world.case_a
        links = workflow.linked_cases(uow, handler, world.case_a)
        assert [(link.kind, other.id) for link, other in links] == [("duplicate", world.case_b)]


def test_victim_name_stays_hidden_through_the_queue_search(desk: Desk) -> None:
    world = build_world(desk)
    other = _actor(desk, world, "other_reporter")
    with desk.uow_factory() as uow:
        found = cases.list_cases(uow, other, CaseQuery(text=VICTIM_NAME))
    assert found == []
