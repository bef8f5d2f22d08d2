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
        (r"x(?i:HELLO)y", {"xhello"}),
        (r"^\s*net\s+user", {"user"}),
        (r"ネットワーク\d+", {"ネットワーク"}),
        # The parser turns fce8|fc4883e4f0 into "fc" + (e8|4883e4f0): joined back up.
        (r"(?i)(fce8|fc4883e4f0)[0-9a-f]{200,}", {"fce8", "fc4883e4f0"}),
        (r"abc(def|ghi)", {"abcdef", "abcghi"}),
    ],
)
def test_required_literals(pattern: str, expected: set[str]) -> None:
    assert regex_anchors(re.compile(pattern)) == frozenset(expected)


@pytest.mark.parametrize("pattern", [r"\w+", r"a|bc", r"(abc)*", r"[a-z]{5}", r"(?i)ſtop"])
def test_no_literal_when_none_is_required(pattern: str) -> None:
    found = regex_anchors(re.compile(pattern))
    assert found is None or min(len(a) for a in found) < 3


@pytest.mark.parametrize(
    ("pattern", "texts"),
    [
        (
            r"(?i)(powershell|pwsh)(\.exe)?\s+-e(nc|ncodedcommand)?\s",
            ["PowerShell -enc AAA", "pwsh.exe -e x", "POWERSHELL.EXE -EncodedCommand z"],
        ),
        # a prefix joined to each alternative, one of them empty after the prefix
        (r"(?i)x(fce8|fc4883e4f0|fc)[0-9a-f]{4}", ["xFCE81234", "xfc4883e4f0abcd", "xfc0000"]),
    ],
)
def test_found_literals_are_in_every_match(pattern: str, texts: list[str]) -> None:
    compiled = re.compile(pattern)
    anchors = regex_anchors(compiled)
    assert anchors is not None
    for text in texts:
        assert compiled.search(text)
        assert any(a in text.lower() for a in anchors)
