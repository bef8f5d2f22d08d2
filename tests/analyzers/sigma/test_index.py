"""The (channel, EventID) index and the logsource mapping."""

from __future__ import annotations

from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def titles(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.rule.title for m in matches]


def test_event_with_other_event_id_is_not_tested(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc({"sel": {"EventID": 4625}, "condition": "sel"}, title="fail"),
        rule_doc({"sel": {"TargetUserName": "x"}, "condition": "sel"}, title="any security"),
        rule_doc(
            {"sel": {"Image|endswith": "\\a.exe"}, "condition": "sel"},
            title="proc",
            logsource={"product": "windows", "category": "process_creation"},
        ),
    )
    assert errors == []
    on_4624 = [r.title for r in ruleset.candidates_for({"Channel": "Security", "EventID": 4624})]
    assert on_4624 == ["any security"]
    on_4625 = [r.title for r in ruleset.candidates_for({"Channel": "Security", "EventID": 4625})]
    assert on_4625 == ["fail", "any security"]
    on_sysmon1 = [r.title for r in ruleset.candidates_for({"Channel": SYSMON, "EventID": 1})]
    assert on_sysmon1 == ["proc"]
    assert ruleset.candidates_for({"Channel": SYSMON, "EventID": 3}) == []
    assert ruleset.candidates_for({"Channel": "System", "EventID": 4625}) == []


def test_process_creation_reads_security_4688_with_its_field_names(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc(
            {
                "sel": {"Image|endswith": "\\whoami.exe", "ParentImage|endswith": "\\cmd.exe"},
                "condition": "sel",
            },
            logsource={"product": "windows", "category": "process_creation"},
        )
    )
    assert errors == []
    sysmon = {
        "Channel": SYSMON,
        "EventID": 1,
        "Image": "C:\\W\\whoami.exe",
        "ParentImage": "C:\\W\\cmd.exe",
    }
    security = {
        "Channel": "Security",
        "EventID": 4688,
        "NewProcessName": "C:\\W\\whoami.exe",
        "ParentProcessName": "C:\\W\\cmd.exe",
    }
    assert len(ruleset.match(sysmon)) == 1
    found = ruleset.match(security)
    assert len(found) == 1
    assert found[0].fields == {
        "NewProcessName": "C:\\W\\whoami.exe",
        "ParentProcessName": "C:\\W\\cmd.exe",
    }
    assert ruleset.match({**security, "EventID": 4689}) == []


def test_services_and_categories_map_to_channels(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc(
            {"sel": {"EventID": 7045}, "condition": "sel"},
            title="service",
            logsource={"product": "windows", "service": "system"},
        ),
        rule_doc(
            {"sel": {"ScriptBlockText|contains": "iex"}, "condition": "sel"},
            title="script",
            logsource={"product": "windows", "category": "ps_script"},
        ),
        rule_doc(
            {"sel": {"TargetObject|contains": "\\Run\\"}, "condition": "sel"},
            title="registry",
            logsource={"product": "windows", "category": "registry_set"},
        ),
    )
    assert errors == []
    assert titles(ruleset.match({"Channel": "System", "EventID": 7045})) == ["service"]
    script = {
        "Channel": "Microsoft-Windows-PowerShell/Operational",
        "EventID": 4104,
        "ScriptBlockText": "IEX(x)",
    }
    assert titles(ruleset.match(script)) == ["script"]
    assert ruleset.match({**script, "EventID": 4103}) == []
    registry = {"Channel": SYSMON, "EventID": 13, "TargetObject": "HKLM\\...\\Run\\x"}
    assert titles(ruleset.match(registry)) == ["registry"]
    assert ruleset.match({**registry, "EventID": 12}) == []


def test_unknown_service_is_indexed_by_what_the_detection_names(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc(
            {
                "sel": {"Channel": "Microsoft-Windows-Foo/Operational", "EventID": 42},
                "condition": "sel",
            },
            title="foo",
            logsource={"product": "windows", "service": "foo-unknown"},
        ),
        rule_doc(
            {"sel": {"Bar": 1}, "condition": "sel"},
            title="unmappable",
            logsource={"product": "windows", "service": "bar-unknown"},
        ),
        rule_doc(
            {"sel": {"cmd": "x"}, "condition": "sel"},
            title="linux",
            logsource={"product": "linux", "service": "auditd"},
        ),
        name="mixed.yml",
    )
    assert titles_of(ruleset) == ["foo"]
    event = {"Channel": "Microsoft-Windows-Foo/Operational", "EventID": 42}
    assert titles(ruleset.match(event)) == ["foo"]
    assert ruleset.match({**event, "EventID": 43}) == []
    reasons = sorted(e.reason for e in errors)
    assert len(reasons) == 2
    assert all("unsupported logsource" in r for r in reasons)
    assert any("bar-unknown" in r for r in reasons)
    assert any("linux" in r for r in reasons)
    assert all(e.rule_file.endswith("mixed.yml") for e in errors)


def test_windows_product_alone_matches_any_channel(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc({"kw": ["mimikatz"], "condition": "kw"}, logsource={"product": "windows"})
    )
    assert errors == []
    assert len(ruleset.match({"Channel": "Application", "EventID": 1, "Msg": "mimikatz"})) == 1
    assert len(ruleset.match({"Channel": SYSMON, "EventID": 1, "CommandLine": "mimikatz"})) == 1


def test_event_id_as_string_and_channel_case(load: Loader) -> None:
    ruleset, _ = load(rule_doc({"sel": {"EventID": 4625}, "condition": "sel"}))
    assert len(ruleset.match({"Channel": "security", "EventID": "4625"})) == 1


def titles_of(ruleset) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.title for r in ruleset.rules]
