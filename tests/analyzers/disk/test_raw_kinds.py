"""Raw images are recognised from their content (kinds.py detection added for issue 9)."""

from __future__ import annotations

from pathlib import Path

from madoguchi.analyzers import kinds


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(65536)


def test_ext4_and_ntfs_volumes_are_disk_images(ext4_image: Path, windows_image: Path) -> None:
    assert kinds.detect_kind(_head(ext4_image)) == kinds.DISK_IMAGE
    assert kinds.detect_kind(_head(windows_image)) == kinds.DISK_IMAGE


def test_partitioned_disk_is_a_disk_image() -> None:
    mbr = bytearray(1024)
    mbr[446:462] = (
        bytes([0x80, 1, 1, 0, 0x83, 0, 0, 0])
        + (2048).to_bytes(4, "little")
        + (4096).to_bytes(4, "little")
    )
    mbr[510:512] = b"\x55\xaa"
    assert kinds.detect_kind(bytes(mbr)) == kinds.DISK_IMAGE


def test_boot_signature_with_a_garbage_partition_table_is_not() -> None:
    garbage = bytearray(b"\x11" * 1024)
    garbage[510:512] = b"\x55\xaa"
    assert kinds.detect_kind(bytes(garbage)) != kinds.DISK_IMAGE
