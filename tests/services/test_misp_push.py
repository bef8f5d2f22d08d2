"""The push to a MISP instance: the real PyMISP, through the real service and job, over
HTTP to the MISP-compatible server of ``tests/misp_server.py``, on SQLite and PostgreSQL.

``case_a`` holds indicators at every TLP level (``tests/services/advisory_world.py`` plus
an AMBER+STRICT one and one whose description names the reporting vendor).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import free_port
from tests.misp_server import MispServer, serve_misp
from tests.services.advisory_world import (
    AMBER_IP,
    AMBER_OTHER_IP,
    CLEAR_IP,
    GREEN_DOMAIN,
    RED_HASH,
    Seeded,
    actor,
    add_indicator,
    seed_indicators,
)
from tests.world import OTHER_NAME, VENDOR_NAME, VICTIM_NAME, World, build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import ConfigurationError, ConflictError, NotFoundError
from madoguchi.domain.indicator import IndicatorType
from madoguchi.domain.misp_push import MispPush, PushState
from madoguchi.domain.tlp import TLP
from madoguchi.services import misp_client, misp_push, outbound

KEY = "misp-test-key-0123456789abcdef"
STRICT_URL = "http://amber-strict.example/panel"
NAMING_IP = "203.0.113.77"
SEEN = datetime(2026, 3, 2, 4, 5, tzinfo=UTC)


@dataclass
class Pushing:
    desk: Desk
    world: World
    seeded: Seeded
    monkeypatch: pytest.MonkeyPatch

    def configure(self, url: str, **settings: str) -> None:
        for name in (
            "MADOGUCHI_MISP_URL",
            "MADOGUCHI_MISP_KEY",
            "MADOGUCHI_MISP_VERIFY_TLS",
            "MADOGUCHI_MISP_ALLOW_PRIVATE",
            "MADOGUCHI_MISP_DISTRIBUTION",
            "MADOGUCHI_MISP_TLP_CEILING",
        ):
            self.monkeypatch.delenv(name, raising=False)
        values = {"KEY": KEY, "ALLOW_PRIVATE": "true", **settings}
        self.monkeypatch.setenv("MADOGUCHI_MISP_URL", url)
        for name, value in values.items():
            self.monkeypatch.setenv(f"MADOGUCHI_MISP_{name}", value)

    def push(self, role: str = "desk_handler", case_id: int | None = None) -> MispPush:
        case = self.world.case_a if case_id is None else case_id
        with self.desk.uow_factory() as uow:
            who = actor(uow, self.world, role)
            misp_push.request_push(uow, who, case)
            uow.commit()
        self.desk.queue.enqueue(misp_push.PUSH_JOB, misp_push.job_payload(who, case))
        assert self.desk.inline_queue is not None
        self.desk.inline_queue.run_pending()
        return self.status()

    def status(self) -> MispPush:
        with self.desk.uow_factory() as uow:
            found = uow.misp_pushes.get(self.world.case_a)
        assert found is not None
        return found

    def audit(self) -> list[str]:
        with self.desk.uow_factory() as uow:
            return [e.action for e in uow.audit.for_case(self.world.case_a)]


def _indicator(
    desk: Desk, case_id: int, kind: IndicatorType, value: str, tlp: TLP, **more: str
) -> int:
    with desk.uow_factory() as uow:
        number = add_indicator(
            uow, kind, value, tlp, case_id, description=more.get("description", ""), count=1
        )
        uow.commit()
    return number


@pytest.fixture
def pushing(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Pushing:
    for name in ("MADOGUCHI_MISP_URL", "MADOGUCHI_MISP_KEY"):
        monkeypatch.delenv(name, raising=False)
    world = build_world(desk)
    seeded = seed_indicators(desk, world)
    seeded.ids["strict"] = _indicator(
        desk, world.case_a, IndicatorType.URL, STRICT_URL, TLP.AMBER_STRICT
    )
    seeded.ids["naming"] = _indicator(
        desk,
        world.case_a,
        IndicatorType.IPV4,
        NAMING_IP,
        TLP.AMBER,
        description=f"VPN gateway of {VENDOR_NAME}",
    )
    return Pushing(desk, world, seeded, monkeypatch)


@pytest.fixture
def misp() -> Iterator[MispServer]:
    with serve_misp(KEY) as server:
        yield server


def _reference(desk: Desk, case_id: int) -> str:
    with desk.uow_factory() as uow:
        case = uow.cases.get(case_id)
        assert case is not None
        return case.reference


def test_a_push_sends_only_what_the_ceiling_allows(pushing: Pushing, misp: MispServer) -> None:
    pushing.configure(misp.url)
    push = pushing.push()
    assert push.state is PushState.DONE, push.error_detail
    assert push.error == "" and push.pushed_at is not None and push.misp_event_id == "1"
    assert (push.sent, push.withheld, push.ceiling) == (3, 3, "amber")
    assert list(misp.state.events) == [push.event_uuid]
    assert misp.state.live_values(push.event_uuid) == {CLEAR_IP, GREEN_DOMAIN, AMBER_IP}
    event = misp.state.events[push.event_uuid]
    assert event["info"] == f"madoguchi {_reference(pushing.desk, pushing.world.case_a)}"
    assert str(event["distribution"]) == "0"
    assert {t["name"] for t in event["Tag"]} == {"tlp:amber"}
    # Nothing above the ceiling, from another case or naming an organisation ever left.
    sent = misp.state.bodies()
    for secret in (RED_HASH, STRICT_URL, NAMING_IP, AMBER_OTHER_IP):
        assert secret not in sent
    for name in (VICTIM_NAME, VENDOR_NAME, OTHER_NAME):
        assert name not in sent and json.dumps(name)[1:-1] not in sent
    assert all(seen.keyed for seen in misp.state.requests)
    actions = pushing.audit()
    assert {"misp:push_requested", "indicators:export", "misp:pushed"} <= set(actions)


def test_a_second_push_edits_the_same_event(pushing: Pushing, misp: MispServer) -> None:
    pushing.configure(misp.url)
    first = pushing.push()
    assert first.state is PushState.DONE
    # The amber address is reclassified RED and a new CLEAR one is found; the ceiling drops
    # to GREEN.
    with pushing.desk.uow_factory() as uow:
        uow.indicators.set_flags(pushing.seeded.ids["amber"], tlp=TLP.RED)
        uow.commit()
    _indicator(pushing.desk, pushing.world.case_a, IndicatorType.IPV4, "198.51.100.99", TLP.CLEAR)
    pushing.configure(misp.url, TLP_CEILING="green")
    second = pushing.push()
    assert second.state is PushState.DONE, second.error_detail
    assert second.event_uuid == first.event_uuid and second.misp_event_id == first.misp_event_id
    assert list(misp.state.events) == [first.event_uuid]  # edited, not duplicated
    assert misp.state.live_values(first.event_uuid) == {CLEAR_IP, GREEN_DOMAIN, "198.51.100.99"}
    withdrawn = [
        a for a in misp.state.events[first.event_uuid]["Attribute"] if a["value"] == AMBER_IP
    ]
    assert len(withdrawn) == 1 and withdrawn[0]["deleted"] is True
    assert (second.sent, second.ceiling) == (3, "green")
    assert [s.path for s in misp.state.requests if s.method == "POST"] == [
        "/events/add",
        f"/events/edit/{first.event_uuid}",
    ]


def test_a_wrong_key_is_recorded_and_nothing_is_lost(pushing: Pushing, misp: MispServer) -> None:
    pushing.configure(misp.url)
    first = pushing.push()
    before = json.dumps(misp.state.events)
    pushing.configure(misp.url, KEY="not-the-key")
    failed = pushing.push()
    assert failed.state is PushState.FAILED
    assert "MADOGUCHI_MISP_KEY" in failed.error and failed.error_detail == "403"
    assert "403" in str(misp_client.MispPushError(failed.error, failed.error_detail))
    # The earlier push stays recorded, and the event on the instance is untouched.
    assert (failed.pushed_at, failed.misp_event_id, failed.sent) == (
        first.pushed_at,
        first.misp_event_id,
        first.sent,
    )
    assert failed.event_uuid == first.event_uuid
    assert json.dumps(misp.state.events) == before
    assert "misp:push_failed" in pushing.audit()
    pushing.configure(misp.url)
    again = pushing.push()
    assert again.state is PushState.DONE and again.error == ""
    assert list(misp.state.events) == [first.event_uuid]


def test_an_unreachable_instance_is_recorded(pushing: Pushing) -> None:
    pushing.configure(f"http://127.0.0.1:{free_port()}")
    failed = pushing.push()
    assert failed.state is PushState.FAILED
    assert "cannot be reached" in failed.error and "MADOGUCHI_MISP_URL" in failed.error
    assert failed.pushed_at is None


def test_an_untrusted_certificate_is_refused_until_its_ca_is_given(
    pushing: Pushing, tmp_path: Path
) -> None:
    with serve_misp(KEY, tls_dir=tmp_path) as server:
        pushing.configure(server.url)
        failed = pushing.push()
        assert failed.state is PushState.FAILED
        assert "TLS certificate" in failed.error and "MADOGUCHI_MISP_VERIFY_TLS" in failed.error
        assert server.state.requests == []  # the key never went out
        pushing.configure(server.url, VERIFY_TLS=str(server.ca_file))
        done = pushing.push()
        assert done.state is PushState.DONE, done.error_detail
        assert server.state.live_values(done.event_uuid) == {CLEAR_IP, GREEN_DOMAIN, AMBER_IP}


def test_a_private_address_is_refused_unless_allowed(
    pushing: Pushing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_misp(KEY, tls_dir=tmp_path) as server:
        pushing.configure(server.url, ALLOW_PRIVATE="false", VERIFY_TLS=str(server.ca_file))
        failed = pushing.push()
        assert failed.state is PushState.FAILED
        assert "private or local" in failed.error_detail
        assert "MADOGUCHI_MISP_ALLOW_PRIVATE" in failed.error_detail
        # A name that resolves to a public address but connects to loopback (DNS
        # rebinding) is refused on the connected address, before TLS.
        monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])
        rebound = pushing.push()
        assert rebound.state is PushState.FAILED
        assert "connected to a private or local address" in rebound.error_detail
        assert server.state.requests == []


def test_a_redirect_is_not_followed(pushing: Pushing, misp: MispServer) -> None:
    with serve_misp(KEY) as elsewhere:
        misp.state.redirect = elsewhere.url
        pushing.configure(misp.url)
        failed = pushing.push()
        assert failed.state is PushState.FAILED
        assert "redirect" in failed.error and "302" in failed.error_detail
        assert elsewhere.state.requests == []
        assert len(misp.state.requests) == 1


def test_nothing_to_send_is_said(pushing: Pushing, misp: MispServer) -> None:
    pushing.configure(misp.url, TLP_CEILING="clear")
    with pushing.desk.uow_factory() as uow:
        uow.indicators.set_flags(pushing.seeded.ids["clear"], false_positive=True)
        uow.commit()
    failed = pushing.push()
    assert failed.state is PushState.FAILED
    assert failed.error.startswith("nothing to send") and failed.error_detail == "TLP:CLEAR"
    assert misp.state.requests == []


def test_only_the_desk_may_push_and_only_when_configured(
    pushing: Pushing, misp: MispServer
) -> None:
    desk, world = pushing.desk, pushing.world
    with desk.uow_factory() as uow:
        handler = actor(uow, world, "desk_handler")
        with pytest.raises(ConflictError, match="no MISP instance is configured"):
            misp_push.request_push(uow, handler, world.case_a)
    pushing.configure(misp.url)
    with desk.uow_factory() as uow:
        for role in ("party_reporter", "party_org_admin", "victim_reporter", "other_reporter"):
            with pytest.raises(NotFoundError):
                misp_push.request_push(uow, actor(uow, world, role), world.case_a)
            with pytest.raises(NotFoundError):
                misp_push.push_status(uow, actor(uow, world, role), world.case_a)
        with pytest.raises(NotFoundError):
            misp_push.request_push(uow, handler, 999_999)
        assert uow.misp_pushes.get(world.case_a) is None
    pushing.configure(misp.url, TLP_CEILING="red")
    with desk.uow_factory() as uow, pytest.raises(ConflictError, match="never leave"):
        misp_push.request_push(uow, handler, world.case_a)
    assert misp.state.requests == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MADOGUCHI_MISP_URL": "ftp://misp.example/"}, "https://"),
        ({"MADOGUCHI_MISP_URL": "https://misp.example/"}, "MADOGUCHI_MISP_KEY is not set"),
        ({"MADOGUCHI_MISP_URL": "http://misp.example/", "MADOGUCHI_MISP_KEY": "k"}, "https"),
        (
            {
                "MADOGUCHI_MISP_URL": "http://10.0.0.5/",
                "MADOGUCHI_MISP_KEY": "k",
                "MADOGUCHI_MISP_ALLOW_PRIVATE": "true",
            },
            "loopback",
        ),
        (
            {
                "MADOGUCHI_MISP_URL": "https://misp.example/",
                "MADOGUCHI_MISP_KEY": "k",
                "MADOGUCHI_MISP_TLP_CEILING": "amber+strict",
            },
            "never leave",
        ),
        (
            {
                "MADOGUCHI_MISP_URL": "https://misp.example/",
                "MADOGUCHI_MISP_KEY": "k",
                "MADOGUCHI_MISP_DISTRIBUTION": "4",
            },
            "0, 1, 2 or 3",
        ),
        (
            {
                "MADOGUCHI_MISP_URL": "https://misp.example/",
                "MADOGUCHI_MISP_KEY": "k",
                "MADOGUCHI_MISP_VERIFY_TLS": "/nonexistent/ca.pem",
            },
            "CA bundle",
        ),
    ],
)
def test_wrong_settings_are_refused(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        misp_client.misp_config(settings)


def test_settings_and_their_defaults() -> None:
    assert misp_client.misp_config({}) is None
    config = misp_client.misp_config(
        {"MADOGUCHI_MISP_URL": "https://misp.example/", "MADOGUCHI_MISP_KEY": "s3cr3t-k3y"}
    )
    assert config is not None
    assert (config.verify, config.allow_private, config.distribution, config.ceiling) == (
        True,
        False,
        0,
        TLP.AMBER,
    )
    assert "s3cr3t-k3y" not in repr(config)
    local = misp_client.misp_config(
        {
            "MADOGUCHI_MISP_URL": "http://127.0.0.1:8443/",
            "MADOGUCHI_MISP_KEY": "k",
            "MADOGUCHI_MISP_ALLOW_PRIVATE": "yes",
            "MADOGUCHI_MISP_VERIFY_TLS": "false",
            "MADOGUCHI_MISP_DISTRIBUTION": "1",
            "MADOGUCHI_MISP_TLP_CEILING": "TLP:GREEN",
        }
    )
    assert local is not None
    assert (local.verify, local.allow_private, local.distribution, local.ceiling) == (
        False,
        True,
        1,
        TLP.GREEN,
    )


def test_two_requests_before_the_worker_runs_make_one_event(
    pushing: Pushing, misp: MispServer
) -> None:
    pushing.configure(misp.url)
    desk, world = pushing.desk, pushing.world
    for _ in range(2):
        with desk.uow_factory() as uow:
            who = actor(uow, world, "desk_handler")
            misp_push.request_push(uow, who, world.case_a)
            uow.commit()
        desk.queue.enqueue(misp_push.PUSH_JOB, misp_push.job_payload(who, world.case_a))
    assert desk.inline_queue is not None and desk.inline_queue.run_pending() == 2
    push = pushing.status()
    assert push.state is PushState.DONE and list(misp.state.events) == [push.event_uuid]
    assert misp.state.live_values(push.event_uuid) == {CLEAR_IP, GREEN_DOMAIN, AMBER_IP}
    assert pushing.audit().count("misp:pushed") == 2
