"""The containers victims and vendors send open like the raw image, and bad ones warn."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.analyzers.disk import planted
from tests.analyzers.disk.runs import analyze, findings, warnings

from madoguchi.analyzers import kinds

QEMU_FORMATS = {
    "qcow2": ("qcow2", []),
    "vmdk": ("vmdk", []),
    "vmdk-esxi-flat": ("vmdk", ["-o", "subformat=monolithicFlat"]),
    "vhd": ("vpc", []),
    "vhdx": ("vhdx", []),
    "vdi": ("vdi", []),
}


def _converted(source: Path, folder: Path, label: str) -> Path:
    if reason := planted.tool_missing("qemu-img"):
        pytest.skip(reason)
    fmt, options = QEMU_FORMATS[label]
    suffix = {"vpc": "vhd"}.get(fmt, fmt)
    target = folder / f"linux.{suffix}"
    subprocess.run(
        ["qemu-img", "convert", "-O", fmt, *options, str(source), str(target)],
        check=True,
        capture_output=True,
    )
    if label == "vmdk-esxi-flat":
        return folder / "linux-flat.vmdk"  # the extent: a raw image, as ESXi keeps it
    return target


@pytest.mark.parametrize("label", sorted(QEMU_FORMATS))
def test_converted_image_opens_with_the_same_findings(
    label: str, ext4_image: Path, tmp_path: Path
) -> None:
    image = _converted(ext4_image, tmp_path, label)
    with image.open("rb") as handle:
        assert kinds.detect_kind(handle.read(65536)) == kinds.DISK_IMAGE
    doc = analyze(image)
    assert doc.inputs[0].analyzers == ("disk-image",)
    assert findings(doc, "disk-cron-staging-path")
    assert findings(doc, "disk-shell-history-download-pipe-shell")
    assert any(t.source == "linux:auth" for t in doc.timeline)


def test_e01_made_by_ewfacquirestream_opens(ext4_image: Path, tmp_path: Path) -> None:
    if reason := planted.tool_missing("ewfacquirestream"):
        pytest.skip(reason)
    with ext4_image.open("rb") as source:
        subprocess.run(
            [
                "ewfacquirestream",
                "-q",
                "-c",
                "none",
                "-C",
                "case-1",
                "-D",
                "test",
                "-e",
                "desk",
                "-E",
                "1",
                "-N",
                "none",
                "-t",
                str(tmp_path / "linux"),
            ],
            stdin=source,
            check=True,
            capture_output=True,
        )
    image = tmp_path / "linux.E01"
    doc = analyze(image)
    assert doc.inputs[0].kind == kinds.DISK_IMAGE
    assert doc.inputs[0].analyzers == ("disk-image",)
    assert findings(doc, "disk-systemd-staging-path")
    assert doc.sections["disk_system"][0]["hostname"] == planted.LINUX_HOST


def test_second_ewf_segment_is_not_analysed_on_its_own(tmp_path: Path) -> None:
    segment = tmp_path / "case.E02"
    segment.write_bytes(b"EVF\x09\x0d\x0a\xff\x00\x01\x02\x00\x00\x00" + b"\x00" * 600)
    doc = analyze(segment)
    assert doc.inputs[0].kind == kinds.DISK_IMAGE
    assert doc.inputs[0].analyzers == ()


def test_corrupt_qcow2_is_a_clear_warning(tmp_path: Path) -> None:
    image = tmp_path / "broken.qcow2"
    image.write_bytes(b"QFI\xfb" + b"\xff" * 4096)
    doc = analyze(image)
    assert doc.inputs[0].analyzers == ("disk-image",)
    messages = warnings(doc)
    assert any(m.startswith("could not open image:") for m in messages), messages
    assert not any("analyzer failed" in m for m in messages)
    assert not doc.findings


def test_truncated_raw_image_without_a_file_system_is_a_clear_warning(tmp_path: Path) -> None:
    image = tmp_path / "disk.dd"
    mbr = bytearray(4096)
    mbr[446:462] = (
        bytes([0x80, 0, 0, 0, 0x07, 0, 0, 0])
        + (2048).to_bytes(4, "little")
        + (1_000_000).to_bytes(4, "little")
    )
    mbr[510:512] = b"\x55\xaa"
    image.write_bytes(bytes(mbr))
    doc = analyze(image)
    assert doc.inputs[0].kind == kinds.DISK_IMAGE
    messages = warnings(doc)
    assert any(m.startswith("could not open image:") for m in messages), messages
