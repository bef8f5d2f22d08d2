"""Safe archive expansion: every attack archive is built here, in the test."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest
import pyzipper

from madoguchi.analysis.archives import (
    ArchiveLimits,
    ExpandedMember,
    ExpansionLimitError,
    MemberProblem,
    archive_format,
    expand_archive,
    safe_member_name,
)
from madoguchi.domain.errors import ArchiveError

SMALL_RATIO_FLOOR = ArchiveLimits(ratio_floor=64 * 1024)


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _expand(
    archive: Path, dest: Path, **kwargs: object
) -> tuple[list[ExpandedMember], list[MemberProblem]]:
    members: list[ExpandedMember] = []
    problems: list[MemberProblem] = []
    for item in expand_archive(archive, dest, **kwargs):  # type: ignore[arg-type]
        (members if isinstance(item, ExpandedMember) else problems).append(item)  # type: ignore[arg-type]
    return members, problems


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def test_plain_zip_members_are_streamed_with_sizes(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "logs.zip", {"a/Security.evtx": b"x" * 1000, "b.txt": b"hello"})
    members, problems = _expand(archive, tmp_path / "out")
    assert problems == []
    assert [(m.member_path, m.size) for m in members] == [("a/Security.evtx", 1000), ("b.txt", 5)]
    assert members[1].local_path.read_bytes() == b"hello"
    assert all(_inside(m.local_path, tmp_path / "out") for m in members)


def test_traversal_absolute_and_drive_names_are_refused_and_others_kept(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "evil.zip",
        {
            "../../escape.txt": b"evil",
            "/etc/passwd-copy": b"evil",
            "C:\\Windows\\evil.dll": b"evil",
            "ok/../../../up.txt": b"evil",
            "good.txt": b"fine",
        },
    )
    members, problems = _expand(archive, tmp_path / "out")
    assert [m.member_path for m in members] == ["good.txt"]
    messages = " | ".join(p.message for p in problems)
    assert len(problems) == 4
    assert "leaving the archive" in messages
    assert "absolute" in messages
    assert "drive letter" in messages
    assert not (tmp_path / "escape.txt").exists()
    assert not list(tmp_path.glob("**/up.txt"))
    assert all(str(p.error).startswith("evil.zip") for p in problems)


def test_zip_symlink_member_is_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("passwd")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("real.txt", b"data")
    members, problems = _expand(archive, tmp_path / "out")
    assert [m.member_path for m in members] == ["real.txt"]
    assert len(problems) == 1
    assert "link" in problems[0].message
    assert not (tmp_path / "out" / "0" / "passwd").exists()


def test_tar_links_are_skipped_and_regular_files_kept(tmp_path: Path) -> None:
    archive = tmp_path / "links.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, kind, target in (
            ("sym", tarfile.SYMTYPE, "/etc/passwd"),
            ("hard", tarfile.LNKTYPE, "../../outside"),
        ):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tf.addfile(info)
        data = b"auth log line\n"
        info = tarfile.TarInfo("var/log/auth.log")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        evil = tarfile.TarInfo("../evil.txt")
        evil.size = 4
        tf.addfile(evil, io.BytesIO(b"evil"))
    members, problems = _expand(archive, tmp_path / "out")
    assert [m.member_path for m in members] == ["var/log/auth.log"]
    assert members[0].local_path.read_bytes() == b"auth log line\n"
    assert sorted(p.member_path for p in problems) == ["../evil.txt", "hard", "sym"]
    assert not (tmp_path / "evil.txt").exists()
    assert not any(p.is_symlink() for p in (tmp_path / "out").rglob("*"))


@pytest.mark.parametrize(
    ("mode", "suffix"), [("w:bz2", ".tar.bz2"), ("w:xz", ".tar.xz"), ("w", ".tar")]
)
def test_tar_variants_expand(tmp_path: Path, mode: str, suffix: str) -> None:
    archive = tmp_path / f"logs{suffix}"
    with tarfile.open(archive, mode) as tf:  # type: ignore[call-overload]
        info = tarfile.TarInfo("x.log")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    members, problems = _expand(archive, tmp_path / "out")
    assert problems == []
    assert [(m.member_path, m.local_path.read_bytes()) for m in members] == [("x.log", b"abc")]


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("access.log.gz", gzip.compress),
        ("access.log.bz2", bz2.compress),
        ("access.log.xz", lzma.compress),
    ],
)
def test_single_compressed_file_expands_to_its_name(
    tmp_path: Path, name: str, compress: object
) -> None:
    archive = tmp_path / name
    archive.write_bytes(compress(b"GET / HTTP/1.1\n" * 100))  # type: ignore[operator]
    members, problems = _expand(archive, tmp_path / "out")
    assert problems == []
    assert members[0].member_path == "access.log"
    assert members[0].size == 1500


def test_zip_bomb_of_zero_bytes_is_refused_with_default_limits(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("zeros.bin", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(200):
                member.write(chunk)
        zf.writestr("note.txt", b"still here")
    members, problems = _expand(archive, tmp_path / "out")
    assert [m.member_path for m in members] == ["note.txt"]
    assert len(problems) == 1
    assert "bomb" in problems[0].message
    assert not list((tmp_path / "out").rglob("zeros.bin"))


def test_bomb_with_lying_sizes_is_stopped_while_streaming(tmp_path: Path) -> None:
    # Declared sizes can lie; the streamed ratio still stops the member.
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 8 * 1024 * 1024
        tf.addfile(info, io.BytesIO(bytes(info.size)))
    limits = ArchiveLimits(ratio_floor=1024 * 1024, max_member_ratio=50, max_total_ratio=50)
    with pytest.raises(ArchiveError, match="bomb"):
        _expand(archive, tmp_path / "out", limits=limits)
    assert not list((tmp_path / "out").rglob("zeros.bin"))


def test_total_size_and_member_count_limits_stop_the_expansion(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" * 100 for i in range(20)})
    with pytest.raises(ExpansionLimitError, match="more than 5 members"):
        _expand(archive, tmp_path / "a", limits=ArchiveLimits(max_members=5))
    with pytest.raises(ExpansionLimitError, match="in total"):
        _expand(archive, tmp_path / "b", limits=ArchiveLimits(max_total_size=1000))


def test_nested_archives_expand_with_bang_paths_until_the_depth_limit(tmp_path: Path) -> None:
    inner = _zip(tmp_path / "level3.zip", {"deep.txt": b"deepest"})
    for level in (2, 1):
        inner = _zip(
            tmp_path / f"level{level}.zip", {inner.name: inner.read_bytes(), f"l{level}.txt": b"x"}
        )
    members, problems = _expand(inner, tmp_path / "all")
    paths = [m.member_path for m in members]
    assert "level2.zip!level3.zip!deep.txt" in paths
    assert problems == []

    members, problems = _expand(inner, tmp_path / "limited", limits=ArchiveLimits(max_depth=2))
    paths = [m.member_path for m in members]
    assert "level2.zip!l2.txt" in paths
    assert "level2.zip!level3.zip" in paths
    assert not any(p.endswith("deep.txt") for p in paths)
    assert len(problems) == 1
    assert "deeper than 2" in problems[0].message
    assert problems[0].archive == "level2.zip"


def test_damaged_nested_archive_is_a_problem_not_a_stop(tmp_path: Path) -> None:
    outer = _zip(tmp_path / "outer.zip", {"broken.zip": b"PK\x03\x04garbage", "ok.txt": b"ok"})
    members, problems = _expand(outer, tmp_path / "out")
    assert {m.member_path for m in members} == {"broken.zip", "ok.txt"}
    assert len(problems) == 1
    assert "outer.zip!broken.zip" in str(problems[0].error)


def _aes_zip(path: Path, password: bytes) -> Path:
    with pyzipper.AESZipFile(
        path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(password)
        zf.writestr("sample.txt", b"malware report\n")
    return path


def test_aes_zip_with_the_right_password(tmp_path: Path) -> None:
    archive = _aes_zip(tmp_path / "sample.zip", b"infected")
    members, problems = _expand(archive, tmp_path / "out", passwords=["wrong", "infected"])
    assert problems == []
    assert members[0].local_path.read_bytes() == b"malware report\n"


def test_aes_zip_with_a_wrong_or_missing_password_names_the_archive(tmp_path: Path) -> None:
    archive = _aes_zip(tmp_path / "sample.zip", b"infected")
    _, problems = _expand(archive, tmp_path / "a", passwords=["nope"])
    assert len(problems) == 1
    assert "wrong password" in problems[0].message
    assert str(problems[0].error).startswith("sample.zip")
    _, problems = _expand(archive, tmp_path / "b")
    assert "no password was given" in problems[0].message


def _zipcrypto_zip(path: Path, name: str, data: bytes, password: bytes) -> Path:
    """A one-member stored zip with traditional PKWARE (ZipCrypto) encryption.

    Python's zipfile and pyzipper can read ZipCrypto but not write it, so the test
    writes the format itself (APPNOTE.TXT section 6.1).
    """
    mask = 0xFFFFFFFF
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_step(crc: int, byte: int) -> int:
        return ~zlib.crc32(bytes([byte]), ~crc & mask) & mask

    def update(byte: int) -> None:
        keys[0] = crc_step(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & mask
        keys[2] = crc_step(keys[2], (keys[1] >> 24) & 0xFF)

    def encrypt(plain: bytes) -> bytes:
        out = bytearray()
        for byte in plain:
            temp = (keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            update(byte)
        return bytes(out)

    for byte in password:
        update(byte)
    crc = zlib.crc32(data)
    body = encrypt(bytes(range(11)) + bytes([crc >> 24])) + encrypt(data)
    raw_name = name.encode()
    local = (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            1,
            0,
            0,
            0x21,
            crc,
            len(body),
            len(data),
            len(raw_name),
            0,
        )
        + raw_name
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            1,
            0,
            0,
            0x21,
            crc,
            len(body),
            len(data),
            len(raw_name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + raw_name
    )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(body), 0)
    path.write_bytes(local + body + central + end)
    return path


def test_zipcrypto_zip_with_right_and_wrong_password(tmp_path: Path) -> None:
    archive = _zipcrypto_zip(tmp_path / "zc.zip", "a.txt", b"alpha beta gamma", b"pw")
    with zipfile.ZipFile(archive) as check:  # the hand-made archive is a valid ZipCrypto zip
        assert check.read("a.txt", pwd=b"pw") == b"alpha beta gamma"
    members, problems = _expand(archive, tmp_path / "out", passwords=["pw"])
    assert problems == []
    assert members[0].local_path.read_bytes() == b"alpha beta gamma"
    members, problems = _expand(archive, tmp_path / "bad", passwords=["wrong"])
    assert members == []
    assert "password" in problems[0].message
    assert str(problems[0].error).startswith("zc.zip")


def test_7z_with_password(tmp_path: Path) -> None:
    archive = tmp_path / "evidence.7z"
    source = tmp_path / "auth.log"
    source.write_bytes(b"Failed password for root\n" * 50)
    with py7zr.SevenZipFile(archive, "w", password="s3cret") as szf:
        szf.write(source, "logs/auth.log")
    members, problems = _expand(archive, tmp_path / "ok", passwords=["s3cret"])
    assert problems == []
    assert [(m.member_path, m.local_path.read_bytes()) for m in members] == [
        ("logs/auth.log", source.read_bytes())
    ]
    with pytest.raises(ArchiveError, match=r"evidence\.7z.*(wrong password|no password)"):
        _expand(archive, tmp_path / "wrong", passwords=["guess"])
    with pytest.raises(ArchiveError, match="no password was given"):
        _expand(archive, tmp_path / "none")


def test_7z_plain_and_with_encrypted_names(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"alpha")
    plain = tmp_path / "plain.7z"
    with py7zr.SevenZipFile(plain, "w") as szf:
        szf.write(source, "a.txt")
    members, _ = _expand(plain, tmp_path / "p")
    assert [m.member_path for m in members] == ["a.txt"]
    hidden = tmp_path / "hidden.7z"
    with py7zr.SevenZipFile(hidden, "w", password="pw", header_encryption=True) as szf:
        szf.write(source, "a.txt")
    with pytest.raises(ArchiveError, match=r"hidden\.7z"):
        _expand(hidden, tmp_path / "h")
    members, _ = _expand(hidden, tmp_path / "h2", passwords=["pw"])
    assert members[0].local_path.read_bytes() == b"alpha"


def test_corrupt_archives_raise_a_clear_error(tmp_path: Path) -> None:
    truncated = tmp_path / "cut.zip"
    data = _zip(tmp_path / "whole.zip", {"a.txt": b"a" * 5000}).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"cut\.zip"):
        _expand(truncated, tmp_path / "z")
    bad_gz = tmp_path / "bad.log.gz"
    bad_gz.write_bytes(gzip.compress(b"line\n" * 1000)[:-20])
    with pytest.raises(ArchiveError, match=r"bad\.log\.gz"):
        _expand(bad_gz, tmp_path / "g")
    with pytest.raises(ArchiveError, match="not an archive"):
        plain = tmp_path / "plain.txt"
        plain.write_text("hello")
        _expand(plain, tmp_path / "p")


def test_japanese_zip_names_in_cp932_are_decoded(tmp_path: Path) -> None:
    # Japanese Windows writes names in cp932 without the UTF-8 flag: build such a zip by
    # writing an ASCII placeholder of the same byte length and patching the bytes.
    name = "ログ/セキュリティ.txt"
    encoded = name.encode("cp932")
    placeholder = b"p" * len(encoded)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(placeholder.decode("ascii"), b"data")
    archive = tmp_path / "jp.zip"
    archive.write_bytes(buf.getvalue().replace(placeholder, encoded))
    members, problems = _expand(archive, tmp_path / "out")
    assert problems == []
    assert members[0].member_path == name
    assert members[0].local_path.name == "セキュリティ.txt"


def test_safe_member_name_normalises_backslashes_and_dots() -> None:
    assert safe_member_name("a\\b\\.\\c.txt") == "a/b/c.txt"
    for bad in ("..", "a/../../b", "/x", "C:x", "", "a\x00b"):
        with pytest.raises(ArchiveError):
            safe_member_name(bad)


def test_archive_format_detection() -> None:
    assert archive_format(b"PK\x03\x04rest") == "zip"
    assert archive_format(gzip.compress(b"x")) == "gzip"
    assert archive_format(bz2.compress(b"x")) == "bzip2"
    assert archive_format(lzma.compress(b"x")) == "xz"
    assert archive_format(b"BZh is just text") is None
    assert archive_format(b"plain text") is None
