"""Every input format the analyzer reads, built here as a user would export it."""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
from tests.analyzers.windows_evtx.evtx_helpers import (
    DATA,
    evidence,
    logon,
    run,
    security_event,
    write_jsonl,
)

from madoguchi.analyzers.base import AnalysisContext
from madoguchi.analyzers.windows_evtx.events import flatten_event
from madoguchi.analyzers.windows_evtx.evtx_file import read_evtx
from madoguchi.analyzers.windows_evtx.json_export import read_json
from madoguchi.analyzers.windows_evtx.readers import format_for
from madoguchi.analyzers.windows_evtx.text_export import read_export
from madoguchi.analyzers.windows_evtx.xml_export import element_to_event, read_xml

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def _xml_event(record: int, when: str, ip: str, user: str = "alice") -> str:
    return (
        f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing'/>"
        f"<EventID>4624</EventID><Level>0</Level><Task>12544</Task><Keywords>0x8020000000000000"
        f"</Keywords><TimeCreated SystemTime='{when}'/><EventRecordID>{record}</EventRecordID>"
        "<Channel>Security</Channel><Computer>FS01</Computer><Security UserID='S-1-5-18'/>"
        f"</System><EventData><Data Name='TargetUserName'>{user}</Data>"
        "<Data Name='TargetDomainName'>EXAMPLE</Data><Data Name='LogonType'>10</Data>"
        f"<Data Name='IpAddress'>{ip}</Data></EventData></Event>"
    )


def test_evtx_reader_flattens_real_records() -> None:
    ctx = AnalysisContext(analyzer="t")
    events = list(read_evtx(evidence(DATA / "vss-delete-wmic.evtx"), ctx))
    assert events and ctx.skipped_records == 0
    first = events[0].event
    assert first["EventID"] == 4688 and first["Channel"] == "Security"
    assert first["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert first["CommandLine"] == "wmic  shadowcopy delete /nointeractive"
    assert first["TimeCreated"].endswith("Z") and events[0].timestamp is not None
    assert events[0].record_id == first["EventRecordID"] == 1210381


def test_wevtutil_xml_without_root(tmp_path: Path) -> None:
    path = tmp_path / "sec.xml"
    path.write_text(
        _xml_event(10, "2024-04-12T00:13:42.1234567Z", "203.0.113.9")
        + "\n"
        + _xml_event(11, "2024-04-12T00:14:00Z", "10.0.0.5", "bob"),
        encoding="utf-8",
    )
    ctx = AnalysisContext(analyzer="t")
    events = list(read_xml(evidence(path), ctx))
    assert [e.record_id for e in events] == [10, 11]
    flat = events[0].event
    assert flat["EventID"] == 4624 and flat["LogonType"] == "10"
    assert flat["IpAddress"] == "203.0.113.9" and flat["SecurityUserID"] == "S-1-5-18"
    assert events[0].timestamp is not None and events[0].timestamp.microsecond == 123456


def test_event_viewer_save_as_xml_utf16_with_root(tmp_path: Path) -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>'
        + _xml_event(1, "2024-04-12T00:00:00Z", "198.51.100.7")
        + "</Events>"
    )
    path = tmp_path / "saved.xml"
    path.write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))
    result = run(path)
    assert "Remote Desktop logon from an internet address" in result.titles()


def test_damaged_xml_event_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    broken = _xml_event(2, "2024-04-12T00:00:01Z", "10.0.0.1").replace("</System>", "</Sys>")
    path = tmp_path / "sec.xml"
    path.write_text(
        _xml_event(1, "2024-04-12T00:00:00Z", "10.0.0.1")
        + "\n"
        + broken
        + "\n"
        + _xml_event(3, "2024-04-12T00:00:02Z", "10.0.0.1")
        + "\n<Event xmlns='x'><System>",
        encoding="utf-8",
    )
    ctx = AnalysisContext(analyzer="t")
    events = list(read_xml(evidence(path), ctx))
    assert [e.record_id for e in events] == [1, 3]
    assert ctx.skipped_records == 2
    assert {w.line for w in ctx.warnings} == {2, 4}


def test_xml_entity_declarations_are_refused(tmp_path: Path) -> None:
    bomb = '<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + _xml_event(
        1, "2024-04-12T00:00:00Z", "10.0.0.1"
    ).replace("alice", "&b;")
    path = tmp_path / "bomb.xml"
    path.write_text(bomb, encoding="utf-8")
    ctx = AnalysisContext(analyzer="t")
    assert list(read_xml(evidence(path), ctx)) == []
    assert ctx.skipped_records == 1


def test_jsonl_nested_and_flat_shapes(tmp_path: Path) -> None:
    nested = logon(7, "2024-04-12T01:00:00.000000Z", "carol", "10.1.1.1")
    flat = {
        "EventID": "4625",
        "Channel": "Security",
        "Computer": "FS01",
        "EventRecordID": "8",
        "TimeCreated": {"SystemTime": "2024-04-12T01:00:01Z"},
        "Provider_Name": "Microsoft-Windows-Security-Auditing",
        "TargetUserName": "dave",
        "IpAddress": "10.1.1.2",
    }
    path = write_jsonl(tmp_path / "events.jsonl", [nested, flat])
    with path.open("ab") as handle:
        handle.write(b"{not json\n")
    ctx = AnalysisContext(analyzer="t")
    events = list(read_json(evidence(path), ctx))
    assert [e.event["EventID"] for e in events] == [4624, 4625]
    assert events[1].record_id == 8 and events[1].event["TargetUserName"] == "dave"
    assert ctx.skipped_records == 1 and ctx.warnings[0].line == 3


def test_get_winevent_convertto_json_reads_message_fields(tmp_path: Path) -> None:
    message = (
        "An account failed to log on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-0-0\r\n"
        "\tAccount Name:\t\t-\r\n\r\nLogon Type:\t\t\t3\r\n\r\n"
        "Account For Which Logon Failed:\r\n\tSecurity ID:\t\tS-1-0-0\r\n"
        "\tAccount Name:\t\tadministrator\r\n\tAccount Domain:\t\tEXAMPLE\r\n\r\n"
        "Network Information:\r\n\tWorkstation Name:\tKALI\r\n"
        "\tSource Network Address:\t198.51.100.23\r\n\tSource Port:\t\t0\r\n"
    )
    doc = {
        "Id": 4625,
        "LogName": "Security",
        "ProviderName": "Microsoft-Windows-Security-Auditing",
        "MachineName": "FS01",
        "RecordId": 99,
        "TimeCreated": "/Date(1712884422123)/",
        "Message": message,
        "Properties": [{"Value": "S-1-0-0"}, {"Value": "-"}],
    }
    path = tmp_path / "winevent.json"
    path.write_bytes(codecs.BOM_UTF8 + orjson.dumps([doc]))
    assert format_for(evidence(path)) is not None
    ctx = AnalysisContext(analyzer="t")
    (item,) = read_json(evidence(path), ctx)
    flat = item.event
    assert flat["TargetUserName"] == "administrator" and flat["TargetDomainName"] == "EXAMPLE"
    assert flat["IpAddress"] == "198.51.100.23" and flat["LogonType"] == "3"
    assert flat["WorkstationName"] == "KALI" and flat["Data"] == ["S-1-0-0", "-"]
    assert item.timestamp is not None and item.timestamp.isoformat().startswith(
        "2024-04-12T01:13:42"
    )


def test_winlogbeat_ecs_documents(tmp_path: Path) -> None:
    doc = {
        "@timestamp": "2024-04-12T02:00:00.000Z",
        "winlog": {
            "event_id": "7045",
            "channel": "System",
            "provider_name": "Service Control Manager",
            "computer_name": "FS01",
            "record_id": 42,
            "event_data": {"ServiceName": "PSEXESVC", "ImagePath": "C:\\Windows\\PSEXESVC.exe"},
        },
    }
    path = write_jsonl(tmp_path / "beats.jsonl", [doc, doc])
    result = run(path)
    assert "PsExec-style remote execution service installed" in result.titles()


def test_winlogbeat_log_cleared_keeps_the_system_channel(tmp_path: Path) -> None:
    doc = {
        "@timestamp": "2024-04-12T03:10:00.000Z",
        "winlog": {
            "event_id": 104,
            "channel": "System",
            "provider_name": "Microsoft-Windows-Eventlog",
            "computer_name": "FS01.example.local",
            "record_id": 5120,
            "user_data": {
                "SubjectUserName": "admin01",
                "SubjectDomainName": "EXAMPLE",
                "Channel": "Application",
                "BackupPath": "",
            },
        },
    }
    (item,) = read_json(
        evidence(write_jsonl(tmp_path / "beats.jsonl", [doc])), AnalysisContext(analyzer="t")
    )
    assert item.event["Channel"] == "System" and item.event["UserData_Channel"] == "Application"


def test_english_csv_export(tmp_path: Path) -> None:
    message = (
        "A new process has been created.\n\nCreator Subject:\n\tAccount Name:\t\tadmin\n\n"
        "Process Information:\n\tNew Process Name:\tC:\\Windows\\System32\\vssadmin.exe\n"
        "\tProcess Command Line:\tvssadmin delete shadows /all /quiet\n"
        "\tCreator Process Name:\tC:\\Windows\\System32\\cmd.exe\n"
    )
    text = (
        "Level,Date and Time,Source,Event ID,Task Category\r\n"
        "Information,4/12/2024 9:13:42 AM,Microsoft-Windows-Security-Auditing,4688,"
        f'Process Creation,"{message}"\r\n'
    )
    path = tmp_path / "security.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    result = run(path, settings={"evtx_export_utc_offset": "+02:00"})
    (finding,) = [f for f in result.findings if f.title == "Shadow copies deleted with vssadmin"]
    assert (
        finding.timestamp is not None
        and finding.timestamp.isoformat() == "2024-04-12T07:13:42+00:00"
    )
    assert finding.evidence is not None and finding.evidence.line == 2


def test_japanese_csv_export_in_cp932(tmp_path: Path) -> None:
    message = (
        "アカウントがログオンに失敗しました。\n\nサブジェクト:\n\tアカウント名:\t\t-\n\n"
        "ログオンに失敗したアカウント:\n\tセキュリティ ID:\t\tS-1-0-0\n\tアカウント名:\t\t山田\n"
        "\tアカウント ドメイン:\t\tEXAMPLE\n\nログオン情報:\n\tログオン タイプ:\t\t3\n\n"
        "ネットワーク情報:\n\tワークステーション名:\tKALI\n"
        "\tソース ネットワーク アドレス:\t198.51.100.23\n"
    )
    text = (
        "レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n"
        "失敗の監査,2024/04/12 9:13:42,Microsoft-Windows-Security-Auditing,4625,"
        f'Logon,"{message}"\r\n'
    )
    path = tmp_path / "security-ja.csv"
    path.write_bytes(text.encode("cp932"))
    ctx = AnalysisContext(analyzer="t")
    (item,) = read_export(evidence(path), ctx)
    flat = item.event
    assert flat["EventID"] == 4625 and flat["Channel"] == "Security"
    assert flat["TargetUserName"] == "山田" and flat["IpAddress"] == "198.51.100.23"
    assert flat["LogonType"] == "3" and flat["SubjectUserName"] == "-"
    assert item.timestamp is not None and item.timestamp.isoformat() == "2024-04-12T00:13:42+00:00"
    assert any("JST" in w.message for w in ctx.warnings)
    result = run(path)
    assert "Failed logon from an internet address" in result.titles()


def test_utf16_tab_separated_text_export(tmp_path: Path) -> None:
    message = (
        "サービスがシステムにインストールされました。\n\nサービス名:  PSEXESVC\n"
        "サービス ファイル名:  %SystemRoot%\\PSEXESVC.exe\n"
    )
    text = (
        "レベル\t日付と時刻\tソース\tイベント ID\tタスクのカテゴリ\r\n"
        f'情報\t2024/04/12 9:25:10\tService Control Manager\t7045\tなし\t"{message}"\r\n'
    )
    path = tmp_path / "system.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    ev = evidence(path)
    assert format_for(ev) is not None
    result = run(path)
    assert "PsExec-style remote execution service installed" in result.titles()
    (observable,) = [o for o in result.observables if o.type == "ioc:filename"]
    assert observable.value == "%SystemRoot%\\PSEXESVC.exe"


def test_powershell_export_csv_named_columns(tmp_path: Path) -> None:
    text = (
        '"Message","Id","RecordId","ProviderName","LogName","MachineName","TimeCreated"\r\n'
        '"The Security log was cleared.","1102","77","Microsoft-Windows-Eventlog","Security",'
        '"FS01","2024-04-12T09:00:00+09:00"\r\n'
    )
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    result = run(path)
    (finding,) = [f for f in result.findings if f.title == "Security log cleared (1102)"]
    assert finding.host == "FS01" and finding.evidence is not None
    assert finding.evidence.record_id == 77
    assert finding.timestamp is not None and finding.timestamp.hour == 0


def test_other_csv_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,age,city,country\nalice,30,Tokyo,JP\n", encoding="utf-8")
    assert format_for(evidence(path)) is None


def test_forwarded_events_keep_their_channel(tmp_path: Path) -> None:
    events = [
        security_event(
            7045,
            5,
            "2024-04-12T00:00:00Z",
            {"ServiceName": "PSEXESVC", "ImagePath": "x"},
            channel="System",
            provider="Service Control Manager",
            computer="WS01",
        ),
        security_event(
            1102,
            9,
            "2024-04-12T00:00:01Z",
            {"SubjectUserName": "bob"},
            provider="Microsoft-Windows-Eventlog",
            computer="WS02",
        ),
    ]
    result = run(write_jsonl(tmp_path / "forwarded.jsonl", events))
    hosts = {f.title: f.host for f in result.findings}
    assert hosts["PsExec-style remote execution service installed"] == "WS01"
    assert hosts["Security log cleared (1102)"] == "WS02"
    sources = {t.source for t in result.timeline}
    assert {"windows:evtx:system", "windows:evtx:security"} <= sources


def test_single_pretty_printed_object(tmp_path: Path) -> None:
    doc = {
        "Id": 1102,
        "LogName": "Security",
        "ProviderName": "Microsoft-Windows-Eventlog",
        "MachineName": "FS01",
        "RecordId": 5,
        "TimeCreated": "/Date(1712884422123)/",
        "Message": "The audit log was cleared.",
    }
    path = tmp_path / "one.json"
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    result = run(path)
    assert "Security log cleared (1102)" in result.titles()
    assert result.ctx.skipped_records == 0


def _log_cleared_104(cleared: str) -> dict[str, object]:
    """System 104 as ``evtx`` writes it: the cleared log is named in UserData."""
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Eventlog"}},
                "EventID": 104,
                "EventRecordID": 5120,
                "TimeCreated": {"#attributes": {"SystemTime": "2024-04-12T03:10:00.000000Z"}},
                "Channel": "System",
                "Computer": "FS01.example.local",
            },
            "UserData": {
                "LogFileCleared": {
                    "#attributes": {
                        "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
                    },
                    "SubjectUserName": "admin01",
                    "SubjectDomainName": "EXAMPLE",
                    "Channel": cleared,
                    "BackupPath": "",
                }
            },
        }
    }


def test_cleared_log_named_in_user_data_keeps_the_event_in_the_system_log(
    tmp_path: Path,
) -> None:
    flat = flatten_event(_log_cleared_104("Application"))
    assert flat["Channel"] == "System" and flat["UserData_Channel"] == "Application"
    xml = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Microsoft-Windows-Eventlog"/><EventID>104</EventID>'
        '<TimeCreated SystemTime="2024-04-12T03:10:00.000000Z"/><EventRecordID>5120</EventRecordID>'
        "<Channel>System</Channel><Computer>FS01.example.local</Computer></System>"
        '<UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">'
        "<SubjectUserName>admin01</SubjectUserName><SubjectDomainName>EXAMPLE</SubjectDomainName>"
        "<Channel>Windows PowerShell</Channel><BackupPath></BackupPath></LogFileCleared></UserData>"
        "</Event>"
    )
    from_xml = element_to_event(ET.fromstring(xml))
    assert from_xml["Channel"] == "System"
    assert from_xml["UserData_Channel"] == "Windows PowerShell"

    result = run(write_jsonl(tmp_path / "cleared.jsonl", [_log_cleared_104("Application")]))
    assert "Event log cleared (104)" in result.titles()
    messages = [t.message for t in result.timeline]
    assert any(
        m.startswith("Event log cleared (Application) by EXAMPLE\\admin01") for m in messages
    )


def test_event_data_named_like_a_system_field_does_not_replace_it() -> None:
    document = _log_cleared_104("Application")
    event = document["Event"]
    assert isinstance(event, dict)
    event["EventData"] = {"Computer": "OTHER-HOST", "TargetUserName": "user01"}
    flat = flatten_event(document)
    assert flat["Computer"] == "FS01.example.local" and flat["EventData_Computer"] == "OTHER-HOST"
    assert flat["TargetUserName"] == "user01" and flat["UserData_Channel"] == "Application"
