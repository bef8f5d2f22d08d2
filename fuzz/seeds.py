"""Write small seed inputs for every harness: ``python fuzz/seeds.py CORPUS_DIR``.

Creates ``CORPUS_DIR/<harness>/`` folders with a few valid inputs each, so the
fuzzer starts from real structure (zip, tar, gzip, STIX, MISP, HTML, RTF, PDF).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/auth.log", b"Jan  5 10:00:00 host sshd[1]: Accepted\n")
        archive.writestr("../escape.txt", b"x")
    return buffer.getvalue()


def _tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"hello\n"
        info = tarfile.TarInfo("a/b.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../outside"
        archive.addfile(link)
    return buffer.getvalue()


def _pdf() -> bytes:
    stream = zlib.compress(b"BT /F1 12 Tf (Your files are encrypted) Tj ET")
    return (
        b"%PDF-1.4\n1 0 obj << /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream\nendobj\n%%EOF\n"
    )


EVTX_FIXTURES = Path(__file__).resolve().parent.parent / "tests/analyzers/windows_evtx/data"
EVTX_SEEDS = [
    *(path.read_bytes() for path in sorted(EVTX_FIXTURES.glob("*.evtx"))),
    b'{"Event": {"System": {"EventID": 4624, "Channel": "Security"}, "EventData": {}}}\n',
    "レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n"
    "情報,2024/04/12 10:00:00,Microsoft-Windows-Security-Auditing,4624,Logon\r\n".encode("cp932"),
]

SEEDS: dict[str, list[bytes]] = {
    "evtx_wrapper": EVTX_SEEDS,
    "textio": [
        "ログ\r\n行".encode("shift_jis"),
        "\ufeffline".encode("utf-16"),
        gzip.compress(b"a\nb\n"),
    ],
    "device_lines": [
        b"\x07<34>1 2024-01-05T10:00:00.123Z fw01 app - - - msg",
        b"\x00Jan  5 10:00:00 host sshd[123]: Failed password",
        b'\x01date=2024-01-05 time=10:00:00 devname="fg" srcip=10.0.0.1 action="deny"',
    ],
    "note_text": [
        b"\x00Your files are encrypted. Contact us at example@example.test",
        b"\x02<html><body><p>README</p><script>var k='abcdefghij';</script></body></html>",
        b"\x04{\\rtf1\\ansi {\\*\\generator x}Hello \\'82\\'a0 \\u12354?}",
        b"\x05" + _pdf(),
    ],
    "archives": [_zip(), _tar(), gzip.compress(b"plain\n")],
    "stix_import": [
        json.dumps(
            {
                "type": "bundle",
                "objects": [
                    {
                        "type": "indicator",
                        "id": "indicator--1",
                        "pattern": "[ipv4-addr:value = '198.51.100.7']",
                        "pattern_type": "stix",
                        "labels": ["c2"],
                        "valid_from": "2024-01-05T10:00:00Z",
                    },
                    {
                        "type": "vulnerability",
                        "external_references": [
                            {"source_name": "cve", "external_id": "CVE-2024-0001"}
                        ],
                    },
                ],
            }
        ).encode()
    ],
    "misp_import": [
        json.dumps(
            {
                "Event": {
                    "info": "test",
                    "Tag": [{"name": "tlp:amber"}],
                    "Attribute": [
                        {"type": "ip-dst", "value": "198.51.100.7", "to_ids": True},
                        {"type": "domain|ip", "value": "example.test|198.51.100.8"},
                    ],
                    "Object": [{"Attribute": [{"type": "md5", "value": "0" * 32}]}],
                }
            }
        ).encode()
    ],
}


def main() -> None:
    root = Path(sys.argv[1])
    for harness, seeds in SEEDS.items():
        folder = root / harness
        folder.mkdir(parents=True, exist_ok=True)
        for number, seed in enumerate(seeds):
            (folder / f"seed-{number}").write_bytes(seed)


if __name__ == "__main__":
    main()
