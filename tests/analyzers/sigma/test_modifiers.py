"""Every field modifier, value wildcard and value type the engine supports."""

from __future__ import annotations

import base64
from collections.abc import Callable

CheckFn = Callable[..., Callable[..., bool]]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_plain_value_is_whole_value_and_ignores_case(check: CheckFn) -> None:
    hit = check({"sel": {"TargetUserName": "Administrator"}, "condition": "sel"})
    assert hit(TargetUserName="administrator")
    assert hit(TargetUserName="ADMINISTRATOR")
    assert not hit(TargetUserName="Administrator2")
    assert not hit()


def test_contains_startswith_endswith(check: CheckFn) -> None:
    contains = check({"sel": {"CommandLine|contains": "whoami"}, "condition": "sel"})
    assert contains(CommandLine="C:\\Windows\\System32\\WHOAMI.exe /all")
    assert not contains(CommandLine="who ami")
    starts = check({"sel": {"Image|startswith": "C:\\Users\\"}, "condition": "sel"})
    assert starts(Image="c:\\users\\bob\\evil.exe")
    assert not starts(Image="D:\\c:\\users\\x.exe")
    ends = check({"sel": {"Image|endswith": "\\rundll32.exe"}, "condition": "sel"})
    assert ends(Image="C:\\Windows\\System32\\RunDll32.EXE")
    assert not ends(Image="C:\\rundll32.exe.bak")


def test_list_values_are_ored_and_all_makes_them_anded(check: CheckFn) -> None:
    any_hit = check({"sel": {"CommandLine|contains": ["-enc", "-nop"]}, "condition": "sel"})
    assert any_hit(CommandLine="powershell -nop x")
    assert any_hit(CommandLine="powershell -enc x")
    assert not any_hit(CommandLine="powershell x")
    all_hit = check({"sel": {"CommandLine|contains|all": ["-enc", "-nop"]}, "condition": "sel"})
    assert all_hit(CommandLine="powershell -nop -enc AAAA")
    assert not all_hit(CommandLine="powershell -nop x")


def test_map_fields_are_anded(check: CheckFn) -> None:
    hit = check(
        {"sel": {"Image|endswith": "\\net.exe", "CommandLine|contains": "user"}, "condition": "sel"}
    )
    assert hit(Image="C:\\net.exe", CommandLine="net user x /add")
    assert not hit(Image="C:\\net.exe", CommandLine="net group")
    assert not hit(Image="C:\\cmd.exe", CommandLine="net user")


def test_list_of_maps_is_ored(check: CheckFn) -> None:
    hit = check(
        {"sel": [{"Image|endswith": "\\a.exe"}, {"OriginalFileName": "b.exe"}], "condition": "sel"}
    )
    assert hit(Image="x\\a.exe")
    assert hit(OriginalFileName="B.EXE")
    assert not hit(Image="x\\b.exe")


def test_wildcards_and_escapes(check: CheckFn) -> None:
    # Sigma escapes: "\\" before a wildcard is a backslash; "\*" is a literal star
    star = check({"sel": {"CommandLine": "*\\temp\\\\*.ps1"}, "condition": "sel"})
    assert star(CommandLine="powershell C:\\Temp\\run.ps1")
    assert not star(CommandLine="powershell C:\\Temp\\run.ps1 -x")
    single = check({"sel": {"ServiceName": "svc?"}, "condition": "sel"})
    assert single(ServiceName="svcA")
    assert not single(ServiceName="svcAB")
    escaped = check({"sel": {"ObjectName": "a\\*b"}, "condition": "sel"})
    assert escaped(ObjectName="a*b")
    assert not escaped(ObjectName="axb")
    question = check({"sel": {"ObjectName": "what\\?"}, "condition": "sel"})
    assert question(ObjectName="what?")
    assert not question(ObjectName="whatX")


def test_null_matches_missing_or_empty(check: CheckFn) -> None:
    hit = check({"sel": {"ParentImage": None}, "condition": "sel"})
    assert hit()
    assert hit(ParentImage="")
    assert not hit(ParentImage="C:\\x.exe")


def test_numbers_match_strings_and_hex(check: CheckFn) -> None:
    hit = check({"sel": {"LogonType": 3}, "condition": "sel"})
    assert hit(LogonType=3)
    assert hit(LogonType="3")
    assert not hit(LogonType="10")
    status = check({"sel": {"Status": 0xC000006D}, "condition": "sel"})
    assert status(Status="0xc000006d")
    assert status(Status="0xC000006D")
    assert not status(Status="0xc000006a")
    as_string = check({"sel": {"EventID": "4624"}, "condition": "sel"})
    assert as_string(EventID=4624)


def test_gt_gte_lt_lte(check: CheckFn) -> None:
    gt = check({"sel": {"LogonType|gt": 3}, "condition": "sel"})
    assert gt(LogonType="10")
    assert not gt(LogonType=3)
    gte = check({"sel": {"LogonType|gte": 3}, "condition": "sel"})
    assert gte(LogonType=3)
    assert not gte(LogonType="2")
    lt = check({"sel": {"Size|lt": 100}, "condition": "sel"})
    assert lt(Size=99)
    assert not lt(Size="100")
    assert not lt(Size="not a number")
    lte = check({"sel": {"Size|lte": 100}, "condition": "sel"})
    assert lte(Size="100")
    assert not lte(Size=101)


def test_regex_is_case_sensitive_search_with_flags(check: CheckFn) -> None:
    plain = check({"sel": {"CommandLine|re": "ab+c"}, "condition": "sel"})
    assert plain(CommandLine="xx abbbc yy")
    assert not plain(CommandLine="ABBC")
    ignore = check({"sel": {"CommandLine|re|i": "ab+c"}, "condition": "sel"})
    assert ignore(CommandLine="ABBC")
    multi = check({"sel": {"ScriptBlockText|re|m": "^evil$"}, "condition": "sel"})
    assert multi(ScriptBlockText="good\nevil\nmore")
    assert not check({"sel": {"ScriptBlockText|re": "^evil$"}, "condition": "sel"})(
        ScriptBlockText="good\nevil\nmore"
    )
    dotall = check({"sel": {"ScriptBlockText|re|s": "start.+end"}, "condition": "sel"})
    assert dotall(ScriptBlockText="start\n\nend")
    assert not check({"sel": {"ScriptBlockText|re": "start.+end"}, "condition": "sel"})(
        ScriptBlockText="start\n\nend"
    )


def test_regex_with_a_required_literal_still_sees_every_match(check: CheckFn) -> None:
    # A regular expression is only searched on a value holding a literal every match
    # needs; that must never hide a match: case, lists and letterless literals.
    ticks = check(
        {"sel": {"ScriptBlockText|re": "[A-Za-z]`[A-Za-z]{1,2}`[A-Za-z]"}, "condition": "sel"}
    )
    assert ticks(ScriptBlockText="I`nv`oke-Expression")
    assert not ticks(ScriptBlockText="Write-Host `n`n")  # back-ticks, but not between letters
    assert not ticks(ScriptBlockText="Invoke-Expression")
    ignore = check({"sel": {"CommandLine|re|i": "Invoke-Mimi[k]atz\\s"}, "condition": "sel"})
    assert ignore(CommandLine="IEX; INVOKE-MIMIKATZ -DumpCreds")
    assert not ignore(CommandLine="Invoke-Mimikat -DumpCreds")
    cased = check({"sel": {"CommandLine|re": "Foo[0-9]"}, "condition": "sel"})
    assert cased(CommandLine="x Foo1")
    assert not cased(CommandLine="x foo1")  # the literal is there lower-cased; the regex decides
    listed = check({"sel": {"Data|re": "sa_[0-9]+"}, "condition": "sel"})
    assert listed(Data=["first", "login sa_01 enabled"])
    assert not listed(Data=["first", "login sa_ enabled"])


def test_cased(check: CheckFn) -> None:
    hit = check({"sel": {"CommandLine|cased|contains": "-EncodedCommand"}, "condition": "sel"})
    assert hit(CommandLine="powershell -EncodedCommand AAA")
    assert not hit(CommandLine="powershell -encodedcommand AAA")


def test_base64(check: CheckFn) -> None:
    hit = check({"sel": {"Payload|base64": "hello"}, "condition": "sel"})
    assert hit(Payload=b64(b"hello"))
    assert not hit(Payload="hello")


def test_base64offset_contains_finds_text_at_any_offset(check: CheckFn) -> None:
    hit = check({"sel": {"CommandLine|base64offset|contains": "http://"}, "condition": "sel"})
    for prefix in (b"", b"x", b"xy", b"xyz"):
        encoded = b64(prefix + b"http://evil.example/a")
        assert hit(CommandLine=f"powershell -e {encoded}"), prefix
    assert not hit(CommandLine="powershell -e " + b64(b"https://good.example/"))


def test_wide_and_utf16le_with_base64offset(check: CheckFn) -> None:
    text = "IEX (New-Object Net.WebClient).DownloadString('x')".encode("utf-16-le")
    for modifier in ("wide", "utf16le"):
        hit = check(
            {
                "sel": {f"CommandLine|{modifier}|base64offset|contains": "DownloadString"},
                "condition": "sel",
            }
        )
        assert hit(CommandLine="powershell -enc " + b64(text)), modifier
        assert not hit(CommandLine="powershell -enc " + b64(b"DownloadString"))


def test_utf16be_and_utf16(check: CheckFn) -> None:
    be = check({"sel": {"Blob|utf16be|base64": "ping"}, "condition": "sel"})
    assert be(Blob=b64("ping".encode("utf-16-be")))
    assert not be(Blob=b64("ping".encode("utf-16-le")))
    bom = check({"sel": {"Blob|utf16|base64": "ping"}, "condition": "sel"})
    assert bom(Blob=b64(b"\xff\xfe" + "ping".encode("utf-16-le")))
    assert not bom(Blob=b64("ping".encode("utf-16-le")))


def test_windash(check: CheckFn) -> None:
    hit = check({"sel": {"CommandLine|windash|contains": " -exec "}, "condition": "sel"})
    assert hit(CommandLine="psexec -exec x")
    assert hit(CommandLine="psexec /exec x")
    assert hit(CommandLine="psexec \u2013exec x")  # en dash
    assert not hit(CommandLine="psexec +exec x")


def test_cidr(check: CheckFn) -> None:
    hit = check({"sel": {"IpAddress|cidr": ["10.0.0.0/8", "fe80::/10"]}, "condition": "sel"})
    assert hit(IpAddress="10.20.30.40")
    assert hit(IpAddress="::ffff:10.1.1.1")
    assert hit(IpAddress="fe80::1")
    assert not hit(IpAddress="11.0.0.1")
    assert not hit(IpAddress="-")


def test_cidr_bounds_and_ip_versions(check: CheckFn) -> None:
    hit = check(
        {
            "sel": {"IpAddress|cidr": ["192.168.0.0/16", "172.16.0.0/12", "::/96"]},
            "condition": "sel",
        }
    )
    assert hit(IpAddress="192.168.0.0")
    assert hit(IpAddress="192.168.255.255")
    assert hit(IpAddress="172.31.255.255")
    assert not hit(IpAddress="192.169.0.0")
    assert not hit(IpAddress="192.167.255.255")
    assert not hit(IpAddress="172.32.0.0")
    assert hit(IpAddress="::5")
    # 0.0.0.5 is the same number as ::5, but an IPv4 address is never in an IPv6 network
    assert not hit(IpAddress="0.0.0.5")
    assert hit(IpAddress=["203.0.113.9", "[192.168.1.1]"])
    outside = check(
        {
            "sel": {"EventID": 4625},
            "private": {"IpAddress|cidr": ["10.0.0.0/8", "192.168.0.0/16"]},
            "condition": "sel and not private",
        }
    )
    assert outside(EventID=4625, IpAddress="203.0.113.9")
    assert not outside(EventID=4625, IpAddress="10.255.255.255")


def test_exists(check: CheckFn) -> None:
    present = check({"sel": {"Hashes|exists": True}, "condition": "sel"})
    assert present(Hashes="SHA256=00")
    assert not present()
    absent = check({"sel": {"Hashes|exists": False}, "condition": "sel"})
    assert absent()
    assert not absent(Hashes="SHA256=00")


def test_expand_uses_placeholders(check: CheckFn) -> None:
    hit = check(
        {"sel": {"TargetUserName|expand": "%admins%"}, "condition": "sel"},
        placeholders={"admins": ["alice", "bob*"]},
    )
    assert hit(TargetUserName="Alice")
    assert hit(TargetUserName="bobby")
    assert not hit(TargetUserName="carol")


def test_fieldref(check: CheckFn) -> None:
    hit = check({"sel": {"SubjectUserName|fieldref": "TargetUserName"}, "condition": "sel"})
    assert hit(SubjectUserName="Bob", TargetUserName="bob")
    assert not hit(SubjectUserName="bob", TargetUserName="alice")
    assert not hit(SubjectUserName="bob")


def test_neq(check: CheckFn) -> None:
    hit = check({"sel": {"LogonType|neq": 3, "TargetUserName": "x"}, "condition": "sel"})
    assert hit(LogonType=10, TargetUserName="x")
    assert not hit(LogonType=3, TargetUserName="x")


def test_field_names_ignore_case_and_lists_in_events(check: CheckFn) -> None:
    hit = check({"sel": {"commandline|contains": "mimikatz"}, "condition": "sel"})
    assert hit(CommandLine="x mimikatz y")
    data = check({"sel": {"Data|contains": "evil"}, "condition": "sel"})
    assert data(Data=["good", "so EVIL"])
    assert not data(Data=["good", "fine"])


def test_keywords_search_every_value(check: CheckFn) -> None:
    hit = check({"keywords": ["mimikatz", "sekurlsa::*"], "condition": "keywords"})
    assert hit(CommandLine="run Mimikatz.exe")
    assert hit(ScriptBlockText="x SEKURLSA::logonpasswords")
    assert not hit(CommandLine="notepad")
