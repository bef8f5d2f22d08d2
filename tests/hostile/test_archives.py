"""Arbitrary and mutated archives: expansion stays inside ``dest`` and only ever
raises ``ArchiveError`` (problems with single members come back as items)."""

from __future__ import annotations

import io
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.analysis.archives import ArchiveLimits, MemberProblem, expand_archive
from madoguchi.domain.errors import ArchiveError

BUDGET = settings(max_examples=200, deadline=None, derandomize=True, database=None)
LIMITS = ArchiveLimits(max_member_size=1 << 20, max_total_size=4 << 20, ratio_floor=1 << 16)

NAMES = st.one_of(
    st.sampled_from(
        [
            "ok.txt",
            "../escape.txt",
            "../../etc/passwd",
            "/abs/path.txt",
            "C:\\windows\\evil.txt",
            "a/../../b.txt",
            "dir/",
            "a\x00b",
            "日本語/ファイル.log",
            "con",
            "..",
            ".",
            "",
            "nested.zip",
        ]
    ),
    st.text(min_size=0, max_size=20),
)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the test
        for name, data in members:
            # zipfile cuts names at NUL itself; a NUL-only name would break the builder
            archive.writestr(name.replace("\x00", "") or "_", data)
    return buffer.getvalue()


def _tar(members: list[tuple[str, bytes]], symlink: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name.replace("\x00", "") or "_")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = symlink
        archive.addfile(link)
    return buffer.getvalue()


member_lists = st.lists(st.tuples(NAMES, st.binary(max_size=200)), min_size=1, max_size=5)
mutations = st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8)


def _mutate(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for position, value in flips:
        if buffer:
            buffer[position % len(buffer)] = value
    return bytes(buffer[:cut] if cut is not None else buffer)


def _expand_and_check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source = root / "upload.bin"
        source.write_bytes(data)
        dest = root / "out"
        dest.mkdir()
        try:
            items = list(expand_archive(source, dest, passwords=["infected"], limits=LIMITS))
        except ArchiveError:
            items = []
        for item in items:
            if not isinstance(item, MemberProblem):
                assert item.local_path.resolve().is_relative_to(dest.resolve())
        outside = {p for p in root.rglob("*") if not p.is_relative_to(dest)} - {source, dest}
        assert outside == set(), f"wrote outside the destination: {outside}"
        for path in dest.rglob("*"):
            assert not path.is_symlink(), f"created a link: {path}"


@BUDGET
@given(member_lists, mutations, st.none() | st.integers(min_value=0, max_value=4096))
def test_mutated_zip(
    members: list[tuple[str, bytes]], flips: list[tuple[int, int]], cut: int | None
) -> None:
    _expand_and_check(_mutate(_zip(members), flips, cut))


@BUDGET
@given(
    member_lists,
    st.sampled_from(["../../outside", "/etc/passwd", "ok.txt", "."]),
    mutations,
    st.none() | st.integers(min_value=0, max_value=8192),
)
def test_mutated_tar(
    members: list[tuple[str, bytes]], symlink: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    _expand_and_check(_mutate(_tar(members, symlink), flips, cut))


@BUDGET
@given(
    st.sampled_from([b"PK\x03\x04", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"]),
    st.binary(max_size=400),
)
def test_arbitrary_bytes_behind_archive_magic(magic: bytes, rest: bytes) -> None:
    _expand_and_check(magic + rest)


@BUDGET
@given(member_lists)
def test_zip_inside_zip(members: list[tuple[str, bytes]]) -> None:
    inner = _zip(members)
    _expand_and_check(_zip([("inner.zip", inner), ("deeper/inner2.zip", _zip([("x.zip", inner)]))]))


def test_a_member_whose_name_reads_as_empty_is_skipped_not_a_crash(tmp_path: Path) -> None:
    # found by fuzz/archives.py: a NUL-led name reads back as "" and is_dir() failed
    data = _zip([("Qname.txt", b"hello"), ("ok.txt", b"fine")]).replace(b"Qname", b"\x00name")
    source = tmp_path / "upload.zip"
    source.write_bytes(data)
    dest = tmp_path / "out"
    dest.mkdir()
    items = list(expand_archive(source, dest, limits=LIMITS))
    written = [item for item in items if not isinstance(item, MemberProblem)]
    assert [item.local_path.read_bytes() for item in written] == [b"fine"]
    assert len(items) == 2
