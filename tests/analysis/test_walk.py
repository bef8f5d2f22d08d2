"""The walk: display paths, kinds, nested archives, warnings, clean-up."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
import pyzipper

from madoguchi.analysis.archives import ArchiveLimits
from madoguchi.analysis.walk import EvidenceWalk
from madoguchi.domain.errors import NotFoundError

EVTX_HEAD = b"ElfFile\x00" + bytes(120)


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_folder_walk_is_sorted_with_paths_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "case" / "b").mkdir(parents=True)
    (tmp_path / "case" / "b" / "z.log").write_text("line\n")
    (tmp_path / "case" / "a.json").write_text('{"a": 1}')
    (tmp_path / "case" / "Security.evtx").write_bytes(EVTX_HEAD)
    with EvidenceWalk([Path("case")]) as walk:
        found = [(e.path, e.kind) for e in walk]
    assert found == [
        ("case/Security.evtx", "evtx"),
        ("case/a.json", "json"),
        ("case/b/z.log", "text"),
    ]


def test_nested_archive_members_get_bang_paths_and_temp_is_removed(tmp_path: Path) -> None:
    inner = _zip_bytes({"Security.evtx": EVTX_HEAD})
    outer = tmp_path / "a.zip"
    outer.write_bytes(_zip_bytes({"b.zip": inner, "notes.txt": b"hello"}))
    walk = EvidenceWalk([outer])
    with walk:
        files = {e.path: e for e in walk}
        local = files[f"{outer.as_posix()}!b.zip!Security.evtx"].local_path
        assert local.read_bytes() == EVTX_HEAD
        assert files[f"{outer.as_posix()}!b.zip!Security.evtx"].kind == "evtx"
        assert files[outer.as_posix()].kind == "zip"
        assert f"{outer.as_posix()}!b.zip" in walk.containers
    assert not local.exists()


def test_tar_gz_members_are_named_inside_the_tar(tmp_path: Path) -> None:
    archive = tmp_path / "logs.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("var/log/auth.log")
        data = b"sshd: Failed password\n"
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with EvidenceWalk([archive]) as walk:
        paths = [e.path for e in walk]
    assert paths == [archive.as_posix(), f"{archive.as_posix()}!var/log/auth.log"]


def test_single_gzip_log_is_offered_decompressed(tmp_path: Path) -> None:
    archive = tmp_path / "access.log.gz"
    archive.write_bytes(gzip.compress(b'192.0.2.1 - - [01/May/2024] "GET / HTTP/1.1" 200\n'))
    with EvidenceWalk([archive]) as walk:
        kinds = {e.path: e.kind for e in walk}
    assert kinds == {archive.as_posix(): "gzip", f"{archive.as_posix()}!access.log": "text"}


def test_archive_problems_become_warnings_on_the_right_input(tmp_path: Path) -> None:
    inner = _zip_bytes({"../escape.txt": b"x", "ok.txt": b"ok"})
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip_bytes({"inner.zip": inner}))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with EvidenceWalk([outer, broken]) as walk:
        paths = [e.path for e in walk]
    assert f"{outer.as_posix()}!inner.zip!ok.txt" in paths
    assert broken.as_posix() in paths
    by_path = {w.path: w.message for w in walk.warnings}
    assert "leaving the archive" in by_path[f"{outer.as_posix()}!inner.zip"]
    assert "damaged zip" in by_path[broken.as_posix()]


def test_encrypted_zip_with_password_given_to_the_walk(tmp_path: Path) -> None:
    archive = tmp_path / "sample.zip"
    with pyzipper.AESZipFile(
        archive, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(b"infected")
        zf.writestr("readme.txt", b"YOUR FILES ARE ENCRYPTED\n")
    with EvidenceWalk([archive], passwords=["infected"]) as walk:
        members = [e for e in walk if "!" in e.path]
    assert [m.head for m in members] == [b"YOUR FILES ARE ENCRYPTED\n"]
    with EvidenceWalk([archive]) as walk:
        assert [e.path for e in walk] == [archive.as_posix()]
    assert "no password" in walk.warnings[0].message


def test_limits_reach_the_walk(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    archive.write_bytes(_zip_bytes({f"{n}.txt": b"x" for n in range(10)}))
    with EvidenceWalk([archive], limits=ArchiveLimits(max_members=3)) as walk:
        paths = [e.path for e in walk]
    assert len(paths) == 1 + 3
    assert "more than 3 members" in walk.warnings[0].message


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError), EvidenceWalk([tmp_path / "missing.evtx"]) as walk:
        list(walk)


def test_compressed_kinds_are_detected_by_content() -> None:
    import bz2
    import lzma

    from madoguchi.analyzers.kinds import ARCHIVES, detect_kind

    assert detect_kind(bz2.compress(b"log line\n")) == "bzip2"
    assert detect_kind(lzma.compress(b"log line\n")) == "xz"
    assert detect_kind(b"BZh9 is how a note might start\n") == "text"
    assert {"bzip2", "xz"} <= ARCHIVES
