"""Images and collections built once per test session, from what planted.py plants."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.analyzers.disk import ntfs_builder, planted

EVTX_SAMPLE = (
    "evtx/mdecrevoisier-evtx-to-mitre-attack/TA0040-Impact/"
    "T1490-Inhibit System Recovery/ID4688-Delete VSS backup (WMI).evtx"
)


def calibration_evtx() -> Path | None:
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        return None
    path = Path(root) / EVTX_SAMPLE
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def linux_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted.write_tree(tmp_path_factory.mktemp("linux") / "root", planted.linux_files())


@pytest.fixture(scope="session")
def ext4_image(tmp_path_factory: pytest.TempPathFactory, linux_tree: Path) -> Path:
    pytest.importorskip(
        "dissect.extfs", reason="dissect.extfs reads ext4 (pip install dissect.extfs)"
    )
    if reason := planted.tool_missing("mkfs.ext4"):
        pytest.skip(reason)
    return planted.make_ext4(linux_tree, tmp_path_factory.mktemp("ext4") / "linux.img")


@pytest.fixture(scope="session")
def windows_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NTFS image with registry hives, a task, staged tools and a timestomped file;
    with MADOGUCHI_CALIBRATION_DATA set it also holds a CC0 event log as Security.evtx."""
    if reason := ntfs_builder.available():
        pytest.skip(reason)
    path = tmp_path_factory.mktemp("ntfs") / "windows.img"
    with ntfs_builder.NtfsImage(path, size_mb=32) as image:
        for relative, data in planted.windows_files().items():
            image.write("/" + relative, data)
        evtx = calibration_evtx()
        if evtx is not None:
            image.write("/Windows/System32/winevt/Logs/Security.evtx", evtx.read_bytes())
        image.set_times("/Users/Public/upd.exe", datetime(2015, 1, 1, tzinfo=UTC))
    assert ntfs_builder.set_file_name_times(path, "upd.exe", datetime(2025, 6, 1, tzinfo=UTC))
    return path


@pytest.fixture(scope="session")
def kape_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KAPE-style target folder: a console log and the collected C drive."""
    root = tmp_path_factory.mktemp("kape") / "HOST01"
    planted.write_tree(root / "C", planted.windows_files())
    (root / "2025-03-03T101500_ConsoleLog.txt").write_text("KAPE version 1.3.0.2\n")
    return root


@pytest.fixture
def copy_of(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _copy(source: Path, name: str | None = None) -> Path:
        target = tmp_path / (name or source.name)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
        return target

    return _copy
