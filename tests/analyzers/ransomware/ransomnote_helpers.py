"""Helpers for the ransom-note tests: valid onion/Tox values and running the analyzer."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.kinds import detect_kind
from madoguchi.analyzers.ransomware import RansomNoteAnalyzer
from madoguchi.domain.findings import AnalyzerOutput


def make_onion(seed: bytes) -> str:
    key = hashlib.sha256(seed).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


def make_tox(seed: bytes) -> str:
    body = hashlib.sha256(seed).digest() + b"\x01\x02\x03\x04"
    check = [0, 0]
    for index, byte in enumerate(body):
        check[index % 2] ^= byte
    return (body + bytes(check)).hex().upper()


def run_note(path: Path) -> tuple[bool, list[AnalyzerOutput], AnalysisContext]:
    """Sniff and analyse one file as the runner would; ``(sniffed, outputs, ctx)``."""
    analyzer = RansomNoteAnalyzer()
    ctx = AnalysisContext(analyzer=analyzer.name)
    analyzer.prepare(ctx)
    evidence = EvidenceFile(
        path.name, path, detect_kind(path.read_bytes()[:65536]), path.stat().st_size
    )
    if not analyzer.sniff(evidence):
        return False, [], ctx
    return True, list(analyzer.analyze(evidence, ctx)), ctx
