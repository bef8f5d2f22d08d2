"""What the matcher remembers between events must never change an event's result.

The rule set keeps its (channel, EventID) buckets under the event's own spelling of
those values, and the ``cidr`` modifier remembers parsed addresses; an event seen
after another one with a similar but different spelling must still get its own answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc

from madoguchi.analyzers.sigma import RuleSet, events
from madoguchi.analyzers.sigma.events import EventView, FieldPicker

FAIL = rule_doc({"sel": {"EventID": 4625}, "condition": "sel"}, title="fail")
ANY = rule_doc({"sel": {"TargetUserName": "bob"}, "condition": "sel"}, title="any bob")


def titles(ruleset: RuleSet, event: dict[str, Any]) -> list[str]:
    return [m.rule.title for m in ruleset.match(event)]


def test_spellings_of_channel_and_event_id_share_nothing_wrong(load: Loader) -> None:
    ruleset, errors = load(FAIL, ANY)
    assert errors == []
    events = [
        ({"Channel": "Security", "EventID": 4625, "TargetUserName": "bob"}, ["fail", "any bob"]),
        ({"Channel": "SECURITY", "EventID": "4625", "TargetUserName": "bob"}, ["fail", "any bob"]),
        ({"Channel": "Security", "EventID": 4624, "TargetUserName": "bob"}, ["any bob"]),
        ({"Channel": "System", "EventID": 4625, "TargetUserName": "bob"}, []),
        ({"Channel": "Security", "EventID": 4625.0, "TargetUserName": "bob"}, ["fail", "any bob"]),
        ({"Channel": "Security", "EventID": True, "TargetUserName": "bob"}, ["any bob"]),
        ({"EventID": 4625, "TargetUserName": "bob"}, ["fail", "any bob"]),
        ({"Channel": "Security", "TargetUserName": "bob"}, ["any bob"]),
    ]
    for _ in range(2):  # the second round is answered from the remembered buckets
        for event, expected in events:
            assert titles(ruleset, event) == expected, event


def test_event_id_list_matches_numbers_and_their_text(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc({"sel": {"EventID": [4624, 4625, 4648]}, "condition": "sel"}, title="logon")
    )
    assert errors == []
    for eid in (4624, "4625", " 4648 ", "0x1210", 4648.0):
        assert titles(ruleset, {"Channel": "Security", "EventID": eid}) == ["logon"], eid
    for eid in (4634, "4625x", None, True, [4000, 4625]):
        expected = ["logon"] if isinstance(eid, list) else []
        assert titles(ruleset, {"Channel": "Security", "EventID": eid}) == expected, eid


def test_cidr_answers_each_network_for_the_same_address(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc({"sel": {"IpAddress|cidr": "10.0.0.0/8"}, "condition": "sel"}, title="ten"),
        rule_doc({"sel": {"IpAddress|cidr": "10.1.0.0/16"}, "condition": "sel"}, title="ten-one"),
        rule_doc({"sel": {"IpAddress|cidr": "fe80::/10"}, "condition": "sel"}, title="link"),
    )
    assert errors == []
    cases = [
        ("10.1.2.3", ["ten", "ten-one"]),
        ("10.2.2.3", ["ten"]),
        ("::ffff:10.1.2.3", ["ten", "ten-one"]),
        ("[fe80::1]", ["link"]),
        ("fe80::1", ["link"]),
        ("192.0.2.1", []),
        ("-", []),
        ("not an address", []),
    ]
    for _ in range(2):
        for address, expected in cases:
            event = {"Channel": "Security", "EventID": 4624, "IpAddress": address}
            assert titles(ruleset, event) == expected, address


def test_prefilter_reads_each_key_layout_by_its_own_keys(
    load: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-filter remembers, per layout of an event's keys, which keys hold the fields
    its rules name. Events that spell a field in another case, lack it, hold a list, or
    arrive after the memory is full each still get their own answer."""
    monkeypatch.setattr(events, "_SHAPES_KEPT", 2)
    ruleset, errors = load(
        rule_doc({"sel": {"CommandLine|contains": "vssadmin"}, "condition": "sel"}, title="vss"),
        rule_doc({"sel": {"Image|endswith": "\\wmic.exe"}, "condition": "sel"}, title="wmic"),
    )
    assert errors == []
    base = {"Channel": "Security", "EventID": 4688}
    events_and_titles = [
        (base | {"CommandLine": "vssadmin delete shadows"}, ["vss"]),
        (base | {"commandline": "VSSADMIN delete shadows"}, ["vss"]),
        (base | {"Other": "vssadmin"}, []),
        (base | {"CommandLine": ["x", "vssadmin"], "Image": "C:\\W\\wmic.exe"}, ["vss", "wmic"]),
        (base | {"IMAGE": "C:\\W\\WMIC.EXE", "CommandLine": "dir"}, ["wmic"]),
        (base | {"CommandLine": "dir"}, []),
        ({"EventID": 4688, "Channel": "Security", "commandline": "vssadmin"}, ["vss"]),
    ]
    for _ in range(2):  # the second round is answered from the remembered layouts
        for event, expected in events_and_titles:
            assert titles(ruleset, event) == expected, event


def test_field_picker_gives_the_text_of_fields_lowered() -> None:
    fields = (("CommandLine", "commandline"), ("Image", "image"), ("User", "user"))
    picker = FieldPicker(fields)
    samples: list[dict[Any, Any]] = [
        {"CommandLine": "A", "Image": "B", "User": "C"},
        {"image": "B", "COMMANDLINE": ["x", "Y"], "Extra": "Z"},
        {"User": 5, "Image": None},
        {"Nothing": "here"},
        {"Image": "only"},
        {1: "numeric key", "Image": "I"},
    ]
    for sample in samples * 2:
        assert picker.lowered(EventView(sample)) == EventView(sample).fields_lowered(fields)
