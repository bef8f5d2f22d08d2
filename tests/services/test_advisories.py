"""Advisories: drafting from a case or a tag, four-eyes approval, the publication checks
(TLP, organisation names), revisions, and the STIX bundle."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import stix2
from tests.services.advisory_world import (
    AMBER_IP,
    CLEAR_IP,
    RED_HASH,
    actor,
    publish_from_case_a,
    seed_indicators,
)
from tests.world import VENDOR_NAME, VICTIM_NAME, World, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.advisory import (
    Advisory,
    AdvisoryStatus,
    AffectedProduct,
    Bilingual,
    fields_naming,
)
from madoguchi.domain.errors import ConflictError, MadoguchiError, ValidationError
from madoguchi.domain.indicator import IndicatorType
from madoguchi.domain.tlp import TLP
from madoguchi.services import advisories
from madoguchi.services.advisory_stix import advisory_bundle, report_id


@pytest.fixture
def world(desk: Desk) -> World:
    built = build_world(desk)
    seed_indicators(desk, built)
    return built


def _edit_from(advisory: Advisory, **changes: object) -> advisories.AdvisoryEdit:
    content = replace(advisory.content, **changes)  # type: ignore[arg-type]
    return advisories.AdvisoryEdit(
        content=content, tlp=advisory.tlp, indicator_ids=advisory.indicator_ids
    )


def test_a_draft_from_a_case_carries_only_clear_indicators_and_no_names(
    desk: Desk, world: World
) -> None:
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        draft = advisories.draft_from_case(uow, handler, world.case_a)
        assert draft.id is not None
        bench = advisories.open_advisory(uow, handler, draft.id)
        uow.commit()
    included = {c.dated.indicator.value for c in bench.choices if c.included}
    offered = {c.dated.indicator.value for c in bench.choices}
    assert included == {CLEAR_IP}
    assert {AMBER_IP, RED_HASH} <= offered  # candidates the handler can reclassify
    content = draft.content
    assert content.cves == ("CVE-2024-3400",)
    assert [p.product for p in content.affected] == ["PAN-OS 10.2.9"]
    assert "CVE-2024-3400" in content.title.en and "CVE-2024-3400" in content.title.ja
    assert "1 report" in content.observed.en and "1 件" in content.observed.ja
    assert "1 indicator (IP addresses: 1)" in content.observed.en
    assert "IP アドレス 1 件" in content.observed.ja
    everything = json.dumps(content.to_dict(), ensure_ascii=False)
    assert VICTIM_NAME not in everything and VENDOR_NAME not in everything
    assert draft.status is AdvisoryStatus.DRAFT and draft.tlp is TLP.CLEAR
    assert bench.problems == []
    assert bench.case_references and bench.case_references[0].startswith("MDG-")


def test_the_author_cannot_approve_and_a_second_member_can(desk: Desk, world: World) -> None:
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        admin = actor(uow, world, "desk_admin")
        draft = advisories.draft_from_case(uow, handler, world.case_a)
        assert draft.id is not None
        with pytest.raises(ConflictError, match="review"):
            advisories.approve(uow, admin, draft.id)
        advisories.request_review(uow, handler, draft.id)
        with pytest.raises(ConflictError) as refused:
            advisories.approve(uow, handler, draft.id)
        assert refused.value.where == "approved_by"
        with pytest.raises(ConflictError, match="approved"):
            advisories.publish(uow, handler, draft.id)
        approved = advisories.approve(uow, admin, draft.id)
        assert approved.approved_by == world.people["desk_admin"].user_id
        revision = advisories.publish(uow, handler, draft.id)
        uow.commit()
    assert revision.number == 1
    assert revision.approved_by == world.people["desk_admin"].user_id
    assert [i.value for i in revision.indicators] == [CLEAR_IP]
    with desk.uow_factory() as uow:
        public = advisories.public_advisory(uow, draft.slug)
        actions = [e.action for e in uow.audit.recent(50)]
    assert public.revision.number == 1 and public.latest
    assert {"advisory:create", "advisory:approve", "advisory:publish"} <= set(actions)


def _approved(desk: Desk, world: World, edit: dict[str, object] | None = None) -> int:
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        draft = advisories.draft_from_case(uow, handler, world.case_a)
        assert draft.id is not None
        if edit:
            tlp = edit.pop("tlp", draft.tlp)
            ids = edit.pop("indicator_ids", draft.indicator_ids)
            content = replace(draft.content, **edit)  # type: ignore[arg-type]
            advisories.edit_advisory(
                uow,
                handler,
                draft.id,
                advisories.AdvisoryEdit(content, tlp, ids),  # type: ignore[arg-type]
            )
        advisories.request_review(uow, handler, draft.id)
        uow.commit()
        return draft.id


def test_publication_refuses_an_advisory_above_clear(desk: Desk, world: World) -> None:
    advisory_id = _approved(desk, world, {"tlp": TLP.AMBER})
    with desk.uow_factory() as uow, pytest.raises(advisories.AdvisoryRefusedError) as refused:
        advisories.approve(uow, actor(uow, world, "desk_admin"), advisory_id)
    assert refused.value.where == "tlp"


def test_publication_refuses_an_indicator_reclassified_after_approval(
    desk: Desk, world: World
) -> None:
    advisory_id = _approved(desk, world)
    with desk.uow_factory() as uow:
        admin = actor(uow, world, "desk_admin")
        advisories.approve(uow, admin, advisory_id)
        found = uow.indicators.find(IndicatorType.IPV4, CLEAR_IP)
        assert found is not None and found.id is not None
        uow.indicators.set_flags(found.id, tlp=TLP.AMBER)
        with pytest.raises(advisories.AdvisoryRefusedError) as refused:
            advisories.publish(uow, admin, advisory_id)
        uow.commit()
    assert refused.value.where == f"indicators: {CLEAR_IP} (TLP:AMBER)"
    with desk.uow_factory() as uow:
        assert uow.advisories.revisions(advisory_id) == []
        assert "advisory:publish-refused" in [e.action for e in uow.audit.recent(20)]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("summary.ja", f"{VICTIM_NAME}で被害が確認されました。"),
        ("summary.ja", "ひみつ電機で被害が確認されました。"),  # without 株式会社
        ("mitigations.en", "Ask vendor security k.k. for help."),  # case and spacing differ
        ("affected.1", "ひみつ電機 社内ポータル"),
    ],
)
def test_publication_refuses_organisation_names_and_names_only_the_field(
    desk: Desk, world: World, field: str, text: str
) -> None:
    with desk.uow_factory() as uow:
        draft = advisories.draft_from_case(uow, actor(uow, world, "desk_handler"), world.case_a)
        uow.commit()
    name, _, lang = field.partition(".")
    if name == "affected":
        edit: dict[str, object] = {"affected": (AffectedProduct(product=text),)}
    else:
        current = draft.content.text(name)
        edit = {name: replace(current, **{lang: text})}
    advisory_id = _approved(desk, world, edit)
    with desk.uow_factory() as uow, pytest.raises(advisories.AdvisoryRefusedError) as refused:
        advisories.approve(uow, actor(uow, world, "desk_admin"), advisory_id)
    assert [p.where for p in refused.value.problems] == [field]
    assert "ひみつ" not in str(refused.value) and "Vendor" not in str(refused.value)


def test_a_free_text_victim_name_on_the_case_is_refused_too(desk: Desk, world: World) -> None:
    with desk.uow_factory() as uow:
        case = uow.cases.get(world.case_a)
        assert case is not None
        case.victim_name = "Sakura Logistics Co., Ltd."
        uow.commit()
    advisory_id = _approved(
        desk, world, {"observed": Bilingual(ja="観測内容", en="Seen at Sakura Logistics.")}
    )
    with desk.uow_factory() as uow, pytest.raises(advisories.AdvisoryRefusedError) as refused:
        advisories.approve(uow, actor(uow, world, "desk_admin"), advisory_id)
    assert refused.value.where == "observed.en"


def test_name_matching_needs_whole_words_for_latin_names() -> None:
    fields = {"a": "Vendorsecurity tools", "b": "the Acme team", "c": "ACME Corp."}
    assert fields_naming(fields, ["Acme Corporation"]) == ["b", "c"]
    assert fields_naming({"d": "see himitsu.co.jp logs"}, [], ["himitsu.co.jp"]) == ["d"]


def test_every_revision_is_kept_and_a_new_one_needs_a_change_note(desk: Desk, world: World) -> None:
    advisory_id, slug = publish_from_case_a(desk, world)
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        admin = actor(uow, world, "desk_admin")
        current = uow.advisories.get(advisory_id)
        assert current is not None
        title = Bilingual(ja="改訂版の題名", en="Revised title")
        edited = advisories.edit_advisory(
            uow, handler, advisory_id, _edit_from(current, title=title)
        )
        assert edited.status is AdvisoryStatus.DRAFT and edited.approved_by is None
        # the public page still shows revision 1 while the edit is pending
        assert advisories.public_advisory(uow, slug).revision.content.title.en != "Revised title"
        advisories.request_review(uow, handler, advisory_id)
        with pytest.raises(advisories.AdvisoryRefusedError) as refused:
            advisories.approve(uow, admin, advisory_id)
        assert refused.value.where == "change_note"
        note = Bilingual(ja="題名を修正", en="Title corrected")
        current = uow.advisories.get(advisory_id)
        assert current is not None
        advisories.edit_advisory(uow, handler, advisory_id, _edit_from(current, change_note=note))
        advisories.request_review(uow, handler, advisory_id)
        advisories.approve(uow, admin, advisory_id)
        advisories.publish(uow, admin, advisory_id)
        uow.commit()
    with desk.uow_factory() as uow:
        latest = advisories.public_advisory(uow, slug)
        first = advisories.public_advisory(uow, slug, 1)
    assert [r.number for r in latest.revisions] == [1, 2]
    assert latest.revision.content.title.en == "Revised title"
    assert first.revision.content.title.en != "Revised title" and not first.latest
    assert latest.advisory.published_at == first.revision.published_at


def test_the_address_cannot_change_after_publication(desk: Desk, world: World) -> None:
    advisory_id, _ = publish_from_case_a(desk, world)
    with desk.uow_factory() as uow:
        current = uow.advisories.get(advisory_id)
        assert current is not None
        edit = replace(_edit_from(current), slug="another-address")
        with pytest.raises(ValidationError) as refused:
            advisories.edit_advisory(uow, actor(uow, world, "desk_handler"), advisory_id, edit)
    assert refused.value.where == "slug"


def test_only_the_desk_drafts_and_reads_drafts(desk: Desk, world: World) -> None:
    advisory_id, _ = publish_from_case_a(desk, world)
    with desk.uow_factory() as uow:
        for role in ("party_reporter", "victim_reporter", "other_reporter"):
            someone = actor(uow, world, role)
            with pytest.raises(MadoguchiError):
                advisories.draft_from_case(uow, someone, world.case_a)
            with pytest.raises(MadoguchiError):
                advisories.open_advisory(uow, someone, advisory_id)
            with pytest.raises(MadoguchiError):
                advisories.list_advisories(uow, someone)


def test_a_draft_from_a_cve_tag_finds_tagged_indicators_and_cases(desk: Desk, world: World) -> None:
    with desk.uow_factory() as uow:
        draft = advisories.draft_from_tag(
            uow, actor(uow, world, "desk_handler"), "cve:cve-2024-3400"
        )
        uow.commit()
    assert draft.source == "cve:CVE-2024-3400"
    assert world.case_a in draft.case_ids and world.case_b in draft.case_ids
    assert "cve:CVE-2024-3400" in draft.content.tags
    with desk.uow_factory() as uow:
        values = {i.indicator.value for i in uow.advisories.dated_indicators(draft.indicator_ids)}
        with pytest.raises(ValidationError) as refused:
            advisories.draft_from_tag(uow, actor(uow, world, "desk_handler"), "nonsense")
    assert values == {CLEAR_IP}
    assert refused.value.where == "tag"


def test_the_stix_bundle_is_valid_stable_and_clear_only(desk: Desk, world: World) -> None:
    _, slug = publish_from_case_a(desk, world)
    with desk.uow_factory() as uow:
        public = advisories.public_advisory(uow, slug)
    url = f"https://desk.example/advisories/{slug}"
    bundle = advisory_bundle(public.advisory, public.revision, url)
    assert advisory_bundle(public.advisory, public.revision, url) == bundle
    parsed = stix2.parse(json.dumps(bundle), allow_custom=True)
    kinds = [obj.type for obj in parsed.objects]
    assert kinds.count("report") == 1 and "language-content" in kinds
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert report["id"] == report_id(slug)
    assert report["external_references"][0]["url"] == url
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert [o["pattern"] for o in indicators] == [f"[ipv4-addr:value = '{CLEAR_IP}']"]
    assert any(
        o["type"] == "vulnerability" and o["name"] == "CVE-2024-3400" for o in bundle["objects"]
    )
    markings = {ref for o in bundle["objects"] for ref in o.get("object_marking_refs", ())}
    assert markings == {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"}
    text = json.dumps(bundle, ensure_ascii=False)
    assert VICTIM_NAME not in text and VENDOR_NAME not in text and AMBER_IP not in text


def test_an_attacker_address_released_as_clear_can_join_the_draft(desk: Desk, world: World) -> None:
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        draft = advisories.draft_from_case(uow, handler, world.case_a)
        assert draft.id is not None
        amber = uow.indicators.find(IndicatorType.IPV4, AMBER_IP)
        assert amber is not None and amber.id is not None
        ids = (*draft.indicator_ids, amber.id)
        edit = advisories.AdvisoryEdit(draft.content, TLP.CLEAR, ids)
        advisories.edit_advisory(uow, handler, draft.id, edit)
        blocked = advisories.open_advisory(uow, handler, draft.id).problems
        assert [p.where for p in blocked] == [f"indicators: {AMBER_IP} (TLP:AMBER)"]
        uow.indicators.set_flags(amber.id, tlp=TLP.CLEAR)  # the desk releases it
        assert advisories.open_advisory(uow, handler, draft.id).problems == []
        advisories.request_review(uow, handler, draft.id)
        advisories.approve(uow, actor(uow, world, "desk_admin"), draft.id)
        revision = advisories.publish(uow, handler, draft.id)
        uow.commit()
    assert sorted(i.value for i in revision.indicators) == sorted([CLEAR_IP, AMBER_IP])
