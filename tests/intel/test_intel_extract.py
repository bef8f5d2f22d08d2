"""Indicator extraction from free text: what an analyst pasting a report would expect."""

from __future__ import annotations

import base64
import hashlib

from madoguchi.domain.findings import EvidenceRef
from madoguchi.intel.extract import (
    extract_observables,
    valid_bech32,
    valid_onion_v3,
    valid_tox_id,
)


def make_onion(seed: bytes) -> str:
    key = hashlib.sha256(seed).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


def make_tox(seed: bytes) -> str:
    body = hashlib.sha256(seed).digest() + b"\x0a\x0b\x0c\x0d"
    check = [0, 0]
    for index, byte in enumerate(body):
        check[index % 2] ^= byte
    return (body + bytes(check)).hex().upper()


def values(text: str, kind: str) -> list[str]:
    return [o.value for o in extract_observables(text) if o.type == kind]


def test_defanged_url_domain_and_email_are_refanged_and_normalised() -> None:
    text = (
        "Payload from hxxps://Evil-Site[.]COM/a/b.php?x=1). Write to Support[@]Mail[.]Example.org."
    )
    observables = extract_observables(text)
    found = {(o.type, o.value) for o in observables}
    assert ("ioc:url", "https://evil-site.com/a/b.php?x=1") in found
    assert ("ioc:email", "support@mail.example.org") in found
    # The domain inside the URL is reported through the URL only.
    assert ("ioc:domain", "evil-site.com") not in found


def test_file_names_are_not_domains() -> None:
    text = "see readme.txt, setup.py, report.docx.id and info.hta; real one: c2.example.net"
    assert values(text, "ioc:domain") == ["c2.example.net"]


def test_ip_addresses_are_validated_and_canonical() -> None:
    text = "hosts 10.0.0.1, 999.1.1.1 and 2001:0db8:0000::0001 at 12:30:45 version 1.2.3.4.5"
    assert values(text, "ioc:ipv4") == ["10.0.0.1"]
    assert values(text, "ioc:ipv6") == ["2001:db8::1"]


def test_tor_v3_onion_checksum_is_checked() -> None:
    good = make_onion(b"a")
    bad = good[:10] + ("a" if good[10] != "a" else "b") + good[11:]
    assert valid_onion_v3(good)
    assert not valid_onion_v3(bad)
    assert values(f"visit {good.upper()} or {bad}", "ioc:onion") == [good]


def test_tox_ids_need_a_valid_checksum() -> None:
    good = make_tox(b"x")
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert valid_tox_id(good) and not valid_tox_id(broken)
    assert values(f"tox: {good.lower()} other: {broken}", "ioc:tox") == [good]


def test_session_id_btc_and_xmr() -> None:
    session = "05" + "ab" * 32
    xmr = (
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsa"
        "BYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
    )
    assert len(xmr) == 95
    text = (
        f"session {session} pay 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 or "
        f"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq or 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 "
        f"xmr {xmr}"
    )
    assert values(text, "ioc:session") == [session]
    assert values(text, "ioc:btc") == [
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ]
    assert values(text, "ioc:xmr") == [xmr]
    assert not valid_bech32("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr")


def test_hashes_cve_and_registry_paths() -> None:
    md5 = hashlib.md5(b"a", usedforsecurity=False).hexdigest()
    sha256 = hashlib.sha256(b"a").hexdigest()
    text = (
        f"{md5} {sha256.upper()} cve-2023-4966 "
        "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil."
    )
    assert values(text, "ioc:md5") == [md5]
    assert values(text, "ioc:sha256") == [sha256]
    assert values(text, "ioc:cve") == ["CVE-2023-4966"]
    assert values(text, "ioc:registry") == [
        "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil"
    ]


def test_context_and_evidence_are_kept_and_duplicates_dropped() -> None:
    ref = EvidenceRef("note.txt", line=3)
    observables = extract_observables(
        "mail a@b.example.com twice a@b.example.com", context="ransom note", evidence=ref
    )
    assert len(observables) == 1
    assert observables[0].context.startswith("ransom note: ")
    assert "a@b.example.com" in observables[0].context
    assert observables[0].evidence == ref


def test_types_filter() -> None:
    text = "http://x.example.com 10.1.1.1"
    assert [o.type for o in extract_observables(text, types={"ioc:ipv4"})] == ["ioc:ipv4"]


def test_common_domains_survive_the_file_name_filter() -> None:
    text = "beacons to update-check.com, cdn.example.cc and wp.pl; files a.tar.gz run.sh"
    assert values(text, "ioc:domain") == ["update-check.com", "cdn.example.cc", "wp.pl"]
