"""Required literals found in regular expressions (they let regex rules use the pre-filter)."""

from __future__ import annotations

import re

import pytest

from madoguchi.analyzers.sigma.regexes import regex_anchors


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\\cmd\.exe.*/c", {"\\cmd.exe"}),
        (r"(?i)Invoke-Mimikatz", {"invoke-mimikatz"}),
        (r"(foo|barz)+q", {"foo", "barz"}),
        (r"(?:abc)?defg", {"defg"}),
        (r"x(?i:HELLO)y", {"hello"}),
        (r"^\s*net\s+user", {"user"}),
        (r"ネットワーク\d+", {"ネットワーク"}),
    ],
)
def test_required_literals(pattern: str, expected: set[str]) -> None:
    assert regex_anchors(re.compile(pattern)) == frozenset(expected)


@pytest.mark.parametrize("pattern", [r"\w+", r"a|bc", r"(abc)*", r"[a-z]{5}", r"(?i)ſtop"])
def test_no_literal_when_none_is_required(pattern: str) -> None:
    found = regex_anchors(re.compile(pattern))
    assert found is None or min(len(a) for a in found) < 3


def test_found_literals_are_in_every_match() -> None:
    pattern = re.compile(r"(?i)(powershell|pwsh)(\.exe)?\s+-e(nc|ncodedcommand)?\s")
    anchors = regex_anchors(pattern)
    assert anchors is not None
    for text in ["PowerShell -enc AAA", "pwsh.exe -e x", "POWERSHELL.EXE -EncodedCommand z"]:
        assert pattern.search(text)
        assert any(a in text.lower() for a in anchors)
