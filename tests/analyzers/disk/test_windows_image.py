"""An NTFS image made with mkntfs and libntfs-3g: every planted Windows artefact surfaces."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.analyzers.disk import planted
from tests.analyzers.disk.conftest import calibration_evtx
from tests.analyzers.disk.runs import analyze, findings, warnings

from madoguchi.analysis.result import ResultDocument


@pytest.fixture(scope="module")
def doc(windows_image: Path) -> ResultDocument:
    return analyze(windows_image)


def test_windows_is_recognised_with_its_host_name(doc: ResultDocument) -> None:
    (system,) = doc.sections["disk_system"]
    assert system["os"] == "windows"
    assert system["hostname"] == planted.WINDOWS_HOST
    assert not [w for w in warnings(doc) if "could not be read" in w]


def test_service_running_from_programdata(doc: ResultDocument) -> None:
    (service,) = findings(doc, "disk-service-staging-path")
    assert "EvilSvc" in service.title and "C:\\ProgramData\\evil\\svc.exe" in service.description
    assert service.attack == ("T1543.003",)
    assert service.host == planted.WINDOWS_HOST
    assert not [f for f in doc.findings if "Spooler" in f.title], "a normal service was flagged"
    assert any(
        t.source == "windows:registry:service" and "Spooler" in t.message for t in doc.timeline
    )


def test_run_key_pointing_into_users_public(doc: ResultDocument) -> None:
    (run,) = findings(doc, "disk-runkey-staging-path")
    assert "upd.exe" in run.description and "T1547.001" in run.attack


def test_scheduled_task_running_msbuild_with_an_xml_project(doc: ResultDocument) -> None:
    (task,) = findings(doc, "disk-task-msbuild-project")
    assert "OneDriveUpdater" in task.title
    assert {"T1053.005", "T1127.001"} <= set(task.attack)
    assert task.evidence.path.lower().endswith("system32/tasks/onedriveupdater")
    assert task.details["ja"]["title"].startswith("タスク")
    assert any(t.source == "windows:task" for t in doc.timeline)


def test_msbuild_inline_task_project_in_programdata(doc: ResultDocument) -> None:
    (project,) = findings(doc, "disk-msbuild-inline-task-project")
    assert project.evidence.path.endswith("!C:/ProgramData/Microsoft/update.xml")
    assert project.attack == ("T1127.001",)


def test_tool_in_programdata(doc: ResultDocument) -> None:
    (tool,) = findings(doc, "disk-tool-in-staging-folder")
    assert "rclone" in tool.title.lower() and "T1567.002" in tool.attack
    sha256 = hashlib.sha256(planted.windows_files()["ProgramData/rclone.exe"]).hexdigest()
    assert any(i.type == "ioc:sha256" and i.value == sha256 for i in doc.indicators)


def test_dll_side_loading_layout(doc: ResultDocument) -> None:
    (layout,) = findings(doc, "disk-dll-side-loading-layout")
    assert "version.dll" in layout.title and "setup.exe" in layout.title
    assert layout.attack == ("T1574.002",)


def test_windows_sandbox_configuration_file(doc: ResultDocument) -> None:
    (wsb,) = findings(doc, "disk-windows-sandbox-config")
    assert wsb.attack == ("T1564.006",)


def test_timestomped_file_si_earlier_than_fn(doc: ResultDocument) -> None:
    (stomp,) = findings(doc, "disk-ntfs-timestomp")
    assert stomp.evidence.path.endswith("!C:/Users/Public/upd.exe")
    assert stomp.details["si_created"].startswith("2015-01-01")
    assert stomp.details["fn_created"].startswith("2025-06-01")
    assert stomp.attack == ("T1070.006",)
    assert not [f for f in findings(doc, "disk-ntfs-timestomp") if "rclone" in f.description]


def test_remote_access_software_in_the_uninstall_key(doc: ResultDocument) -> None:
    (anydesk,) = findings(doc, "disk-remote-access-software-installed")
    assert "AnyDesk" in anydesk.title and anydesk.attack == ("T1219",)


def test_known_bad_hashes_from_the_indicator_store(windows_image: Path) -> None:
    data = planted.windows_files()["Users/Public/upd.exe"]
    bad = {hashlib.sha256(data).hexdigest(), "0" * 32}
    doc = analyze(windows_image, settings={"known_bad_hashes": sorted(bad)})
    (hit,) = findings(doc, "disk-known-bad-hash")
    assert hit.evidence.path.endswith("!C:/Users/Public/upd.exe")
    assert hit.severity == "critical"


def test_user_yara_rules_scan_the_file_system(windows_image: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "marker.yar").write_text(
        'rule DiskTestMarker { meta: attack = "T1574.002" strings: $m = "'
        + planted.YARA_MARKER.decode()
        + '" condition: $m }\n'
    )
    (rules / "broken.yar").write_text("rule Broken { condition: nonsense_identifier }\n")
    doc = analyze(windows_image, rule_dirs=[rules])
    (hit,) = findings(doc, "disk-yara-DiskTestMarker")
    assert hit.evidence.path.endswith("!C:/Users/alice/AppData/Local/Temp/app/version.dll")
    assert hit.attack == ("T1574.002",)
    assert any("broken.yar" in r.rule_file for r in doc.rules_not_loaded)


def test_event_log_in_the_image_goes_through_the_evtx_analyzer(doc: ResultDocument) -> None:
    if calibration_evtx() is None:
        pytest.skip("MADOGUCHI_CALIBRATION_DATA is not set: no CC0 event log to plant")
    handed = [f for f in doc.findings if f.analyzer == "windows-evtx"]
    assert handed, "Security.evtx inside the image was not analysed"
    assert all("winevt/logs/security.evtx" in f.evidence.path.lower() for f in handed)
    assert any("T1490" in f.attack or "shadow" in f.title.lower() for f in handed)
