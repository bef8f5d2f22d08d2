"""KAPE-style folders and zips, UAC and Linux trees are recognised as triage collections."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.analyzers.disk import planted
from tests.analyzers.disk.runs import analyze, findings, warnings

from madoguchi.analysis.walk import EvidenceWalk
from madoguchi.analyzers.disk import TriageCollectionAnalyzer
from madoguchi.analyzers.disk.layout import find_collection


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def _sniffed(root: Path) -> list[str]:
    analyzer = TriageCollectionAnalyzer()
    with EvidenceWalk([root]) as walk:
        return [e.path for e in walk if analyzer.sniff(e)]


def test_kape_folder_is_analysed_once_through_its_console_log(kape_tree: Path) -> None:
    sniffed = _sniffed(kape_tree)
    assert len(sniffed) == 1 and sniffed[0].endswith("_ConsoleLog.txt")
    collection = find_collection(kape_tree / "C/Windows/System32/config/SYSTEM")
    assert collection is not None and collection.layout == "kape"
    assert collection.root == kape_tree


def test_kape_folder_findings(kape_tree: Path) -> None:
    doc = analyze(kape_tree)
    analysed = [i for i in doc.inputs if "triage-collection" in i.analyzers]
    assert len(analysed) == 1
    (info,) = doc.sections["disk_triage_collection"]
    assert info["layout"] == "kape" and info["os"] == "windows"
    (task,) = findings(doc, "disk-task-msbuild-project")
    assert task.analyzer == "triage-collection"
    assert task.host == planted.WINDOWS_HOST
    (tool,) = findings(doc, "disk-tool-in-staging-folder")
    assert tool.evidence.path == f"{kape_tree.as_posix()}!C:/ProgramData/rclone.exe"
    assert findings(doc, "disk-service-staging-path")
    assert findings(doc, "disk-dll-side-loading-layout")
    assert findings(doc, "disk-msbuild-inline-task-project")
    assert not [w for w in warnings(doc) if "could not be read" in w]


def test_kape_zip_expanded_by_the_runner_is_recognised(kape_tree: Path, tmp_path: Path) -> None:
    archive = _zip(kape_tree.parent, tmp_path / "kape-HOST01.zip")
    doc = analyze(archive)
    analysed = [i.path for i in doc.inputs if "triage-collection" in i.analyzers]
    assert analysed == [f"{archive.as_posix()}!HOST01/2025-03-03T101500_ConsoleLog.txt"]
    (task,) = findings(doc, "disk-task-msbuild-project")
    assert task.evidence.path.startswith(f"{archive.as_posix()}!HOST01!C:/")


def test_drive_copy_without_a_tool_marker_is_anchored_on_the_system_hive(tmp_path: Path) -> None:
    root = planted.write_tree(tmp_path / "cylr" / "C", planted.windows_files()).parent
    archive = _zip(root, tmp_path / "cylr.zip")
    doc = analyze(archive)
    analysed = [i.path for i in doc.inputs if "triage-collection" in i.analyzers]
    assert analysed == [f"{archive.as_posix()}!C/Windows/System32/config/SYSTEM"]
    (info,) = doc.sections["disk_triage_collection"]
    assert info["layout"] == "windows-tree"
    assert findings(doc, "disk-runkey-staging-path")


def test_uac_collection_is_recognised(tmp_path: Path, linux_tree: Path) -> None:
    root = tmp_path / "uac-victim-web01-linux"
    planted.write_tree(root / "[root]", planted.linux_files())
    (root / "uac.log").write_text("UAC (Unix-like Artifacts Collector) 2.9.0\n")
    sniffed = _sniffed(root)
    assert [Path(s).name for s in sniffed] == ["uac.log"]
    doc = analyze(root)
    (info,) = doc.sections["disk_triage_collection"]
    assert info["layout"] == "uac"
    assert findings(doc, "disk-cron-staging-path")
    assert findings(doc, "disk-shell-history-download-pipe-shell")
    assert not [f for f in doc.findings if f.analyzer == "linux_auth"], (
        "in a collection the runner hands auth.log to its analyzer itself; no second copy"
    )


def test_a_folder_of_loose_logs_is_not_a_collection(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    (tmp_path / "logs" / "SYSTEM").write_bytes(b"regf" + b"\x00" * 100)
    assert _sniffed(tmp_path) == []


def test_velociraptor_offline_collection_is_recognised(tmp_path: Path) -> None:
    root = tmp_path / "Collection-HOST01-2025-03-03T10_15_00Z"
    planted.write_tree(root / "uploads" / "auto" / "C%3A", planted.windows_files())
    (root / "uploads.json").write_text("[]")
    (root / "results").mkdir()
    sniffed = _sniffed(root)
    assert [Path(s).name for s in sniffed] == ["uploads.json"]
    doc = analyze(root)
    (info,) = doc.sections["disk_triage_collection"]
    assert info["layout"] == "velociraptor" and info["os"] == "windows"
    (task,) = findings(doc, "disk-task-msbuild-project")
    assert task.host == planted.WINDOWS_HOST
