"""Normalising indicators so equal indicators compare equal."""

from __future__ import annotations

import pytest

from madoguchi.intel.normalise import normalise, refang, strip_trailing


@pytest.mark.parametrize(
    ("defanged", "plain"),
    [
        ("hxxp://a[.]b[.]com", "http://a.b.com"),
        ("hxxps[:]//a(.)com", "https://a.com"),
        ("user[@]host[dot]org", "user@host.org"),
        ("fxp://files{.}example[.]net", "ftp://files.example.net"),
    ],
)
def test_refang(defanged: str, plain: str) -> None:
    assert refang(defanged) == plain


def test_strip_trailing_keeps_balanced_brackets() -> None:
    assert strip_trailing("http://a.com/x).") == "http://a.com/x"
    assert strip_trailing("http://a.com/wiki/A_(b)") == "http://a.com/wiki/A_(b)"


def test_normalise_per_type() -> None:
    assert normalise("ioc:domain", "Example.COM.") == "example.com"
    assert normalise("ioc:ipv6", "2001:0DB8::0001") == "2001:db8::1"
    assert normalise("ioc:url", "HTTP://EXAMPLE.com/Path?Q=1,") == "http://example.com/Path?Q=1"
    assert normalise("ioc:tox", "ab" * 38) == "AB" * 38
    assert normalise("ioc:cidr", "10.1.2.3/8") == "10.0.0.0/8"
    with pytest.raises(ValueError):
        normalise("ioc:ipv4", "300.1.1.1")
