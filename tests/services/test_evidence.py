"""Evidence on a case: content-addressed storage, archives expanded safely, malware
served only inside a password-protected zip, every download audited."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
import pyzipper
from tests.world import World, build_world, store_bytes

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.evidence import EvidenceStatus
from madoguchi.services import accounts, evidence


def _actor(desk: Desk, world: World, role: str):  # type: ignore[no-untyped-def]
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people[role].user_id)
        assert user is not None
        return accounts.actor_for(uow, user)


def _attach(
    desk: Desk, world: World, data: bytes, name: str, role: str = "party_reporter", **kwargs: object
) -> evidence.AttachResult:
    actor = _actor(desk, world, role)
    with desk.uow_factory() as uow:
        result = evidence.attach_evidence(
            uow,
            desk.store,
            actor,
            world.case_a,
            store_bytes(desk, data),
            name,
            **kwargs,  # type: ignore[arg-type]
        )
        uow.commit()
    return result


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_identical_content_is_stored_once(desk: Desk) -> None:
    world = build_world(desk)
    first = _attach(desk, world, b"same bytes", "one.txt")
    second = _attach(desk, world, b"same bytes", "two.txt")
    assert first.evidence.sha256 == second.evidence.sha256
    objects = list((desk.store.root / "objects").rglob(first.evidence.sha256))
    assert len(objects) == 1
    assert not list((desk.store.root / "tmp").glob("*.part"))


def test_a_zip_of_logs_becomes_child_evidence_with_paths(desk: Desk) -> None:
    world = build_world(desk)
    data = _zip({"logs/Security.evtx.txt": b"event", "logs/vpn/gp.log": b"line\n"})
    result = _attach(desk, world, data, "logs.zip")
    assert result.evidence.status is EvidenceStatus.EXPANDED
    paths = sorted(c.member_path for c in result.children)
    assert paths == ["logs.zip!logs/Security.evtx.txt", "logs.zip!logs/vpn/gp.log"]
    assert all(c.shared_with == result.evidence.shared_with for c in result.children)


def test_path_traversal_and_absolute_members_are_refused(desk: Desk) -> None:
    world = build_world(desk)
    data = _zip({"../../etc/evil.sh": b"x", "/abs/path.txt": b"y", "ok.txt": b"z"})
    result = _attach(desk, world, data, "attack.zip")
    stored = [c for c in result.children if c.status is EvidenceStatus.STORED]
    refused = [c for c in result.children if c.status is EvidenceStatus.REFUSED]
    assert [c.filename for c in stored] == ["ok.txt"]
    assert len(refused) == 2 and all(c.problem for c in refused)
    assert len(result.problems) == 2
    root = desk.store.root.parent
    assert not any(p.name == "evil.sh" for p in root.rglob("*"))


def test_symlinks_in_a_tar_are_not_followed(desk: Desk) -> None:
    world = build_world(desk)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
        data = b"hello"
        info = tarfile.TarInfo("notes.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    result = _attach(desk, world, buffer.getvalue(), "collection.tar.gz")
    stored = [c for c in result.children if c.status is EvidenceStatus.STORED]
    assert [c.filename for c in stored] == ["notes.txt"]
    assert any("link" in p.lower() for p in result.problems)


def test_a_zip_bomb_is_refused_with_a_clear_message(desk: Desk) -> None:
    world = build_world(desk)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(300):  # 300 MiB of zeros compress to about 300 KiB
            member.write(chunk)
    result = _attach(desk, world, buffer.getvalue(), "bomb.zip")
    assert result.problems
    assert any("ratio" in p.lower() or "bomb" in p.lower() for p in result.problems)
    assert not [c for c in result.children if c.status is EvidenceStatus.STORED]


def _aes_zip(password: bytes) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password)
        archive.writestr("secret.log", b"confidential log line\n")
    return buffer.getvalue()


def test_password_protected_zip_with_the_right_and_a_wrong_password(desk: Desk) -> None:
    world = build_world(desk)
    good = _attach(desk, world, _aes_zip(b"s3cret"), "p.zip", passwords=["s3cret"])
    assert [c.filename for c in good.children if c.status is EvidenceStatus.STORED] == [
        "secret.log"
    ]
    bad = _attach(desk, world, _aes_zip(b"s3cret"), "q.zip", passwords=["wrong"])
    assert not [c for c in bad.children if c.status is EvidenceStatus.STORED]
    assert any("password" in p.lower() for p in bad.problems)
    # The archive itself is kept, so it can be expanded again with the right password.
    assert bad.evidence.sha256 and desk.store.exists(bad.evidence.sha256)


def test_malware_is_served_only_inside_a_zip_with_the_password_infected(desk: Desk) -> None:
    world = build_world(desk)
    sample = b"MZ" + b"\x90" * 200
    result = _attach(desk, world, sample, "dropper.exe")
    assert result.evidence.is_malware  # a PE is a sample
    actor = _actor(desk, world, "desk_handler")
    assert result.evidence.id is not None
    with desk.uow_factory() as uow:
        found = evidence.download(uow, desk.store, actor, result.evidence.id, ip="192.0.2.9")
        uow.commit()
    assert found.filename.endswith(".zip") and found.path.read_bytes()[:2] == b"PK"
    with pyzipper.AESZipFile(found.path) as archive:
        with pytest.raises(RuntimeError):
            archive.read(archive.namelist()[0])
        archive.setpassword(b"infected")
        assert archive.read(archive.namelist()[0]) == sample
    with desk.uow_factory() as uow:
        trail = evidence.custody(uow, actor, result.evidence.id)
    assert [e.action for e in trail] == ["evidence:upload", "evidence:download"]
    assert trail[-1].ip == "192.0.2.9"


def test_reporters_see_only_evidence_shared_with_them(desk: Desk) -> None:
    world = build_world(desk)
    other = _actor(desk, world, "other_reporter")
    victim = _actor(desk, world, "victim_reporter")
    with desk.uow_factory() as uow:
        with pytest.raises(NotFoundError):
            evidence.get_evidence(uow, other, world.evidence_a)
        # The victim is a party, but the vendor's upload was shared with the vendor only.
        with pytest.raises(NotFoundError):
            evidence.get_evidence(uow, victim, world.evidence_a)
        assert evidence.visible_evidence(uow, victim, world.case_a) == []


def test_the_desk_shares_evidence_only_with_parties(desk: Desk) -> None:
    world = build_world(desk)
    handler = _actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow, pytest.raises(ValidationError):
        evidence.set_sharing(uow, handler, world.evidence_a, [world.other_org])


def test_oversized_upload_leaves_nothing_behind(desk: Desk) -> None:
    writer = desk.store.writer(max_bytes=10)
    with pytest.raises(ValidationError):
        writer.write(b"x" * 11)
    assert not list((desk.store.root / "tmp").glob("*.part"))


def test_filenames_lose_paths_and_control_characters() -> None:
    assert evidence.clean_filename("..\\..\\Windows\\evil\x00.exe") == "evil.exe"
    assert evidence.clean_filename("") == "upload.bin"
    assert Path(evidence.clean_filename("a/b/../c.txt")).name == "c.txt"
