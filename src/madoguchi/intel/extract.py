"""Extracting indicators from free text: notes, strings, logs, pasted reports.

``extract_observables(text)`` refangs the text, runs one regex per indicator type,
validates each candidate (``ipaddress`` for IPs, checksums for Tox ids, Bitcoin and
Tor v3 addresses, a TLD list for domains) and returns normalised ``Observable``
values with the surrounding text as context. Pure: no I/O, no network.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from madoguchi.domain.findings import EvidenceRef, Observable
from madoguchi.intel.normalise import normalise, refang, strip_trailing

# Generic and common new TLDs; every two-letter country code is listed in _CC_TLDS.
_GENERIC_TLDS_TEXT = """
    aero agency app arpa art asia bank bar best bid biz black blog blue buzz capital cash
    cat center cfd chat city click cloud club codes com company cool coop cricket cyou date
    design dev digital download edu email exchange finance fun gdn global gold gov green
    group guru host icu info int io jobs life link live loan lol ltd market media men mil
    mobi money monster museum name net network news ninja one onion onl online org page
    party pay pink post press pro pw quest racing red rest review rocks run sbs science
    services shop site social solutions space store stream studio support systems team tech
    tel today tools top trade travel vip website wiki win work world xxx xyz zone
"""
_GENERIC_TLDS = frozenset(_GENERIC_TLDS_TEXT.split())
_CC_TLDS_TEXT = """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo
    br bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm
    do dz ec ee eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs
    gt gu gw gy hk hm hn hr ht hu id ie il im in iq ir is it je jm jo jp ke kg kh ki km kn
    kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq
    mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl
    pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st
    su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc
    ve vg vi vn vu wf ws ye yt za zm zw
"""
_CC_TLDS = frozenset(_CC_TLDS_TEXT.split())
TLDS = _GENERIC_TLDS | _CC_TLDS

# Labels that are file extensions: "report.docx.id" or "setup.py" are file names.
FILE_EXTENSIONS_TEXT = """
    7z accdb asp aspx avi bak bat bin bmp bz2 c cer cfg class cmd conf cpp crt cs csv
    dat db dll doc docx drv eml exe gif go gz h hta htm html ico img ini iso jar java jpeg
    jpg js json jsp key ko lnk log md mdb mkv mov mp3 mp4 msg msi nvram ocx ost p12 pdf pem
    pfx php pl png ppt pptx ps ps1 psm1 pst py rar rb rs rtf scr sh so sqlite svg sys tar
    tgz tmp txt vbs vhd vhdx vmdk vmsn vmx war wav xls xlsx xml xz yaml yml zip
"""
FILE_EXTENSIONS = frozenset(FILE_EXTENSIONS_TEXT.split())

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(
    rf"(?<![\w.@-])(?:{_LABEL}\.)+(?:[a-z]{{2,24}}|xn--[a-z0-9-]{{2,59}})(?![\w-])", re.IGNORECASE
)
_URL = re.compile(r"\b(?:https?|ftp)://[^\s\"'<>\[\]{}|\\^`]+", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}\b", re.IGNORECASE
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|:|(?:\d{1,3}\.){3}\d{1,3})"
    r"(?![\w:])",
    re.IGNORECASE,
)
_ONION = re.compile(r"(?<![a-z2-7])(?:[a-z2-7]{56}|[a-z2-7]{16})\.onion\b", re.IGNORECASE)
_HEX = re.compile(r"(?<![0-9a-z])[0-9a-f]{32,76}(?![0-9a-z])", re.IGNORECASE)
_BTC_LEGACY = re.compile(r"(?<![0-9a-z])[13][a-km-zA-HJ-NP-Z1-9]{25,34}(?![0-9a-z])", re.IGNORECASE)
_BTC_BECH32 = re.compile(r"(?<![0-9a-z])bc1[ac-hj-np-z02-9]{11,71}(?![0-9a-z])", re.IGNORECASE)
_XMR = re.compile(
    r"(?<![0-9a-z])[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?:[1-9A-HJ-NP-Za-km-z]{11})?"
    r"(?![0-9a-z])",
    re.IGNORECASE,
)
_CVE = re.compile(r"\bCVE-(?:19|20)\d{2}-\d{4,7}\b", re.IGNORECASE)
_REGISTRY = re.compile(
    r"\b(?:HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG"
    r"|HKLM|HKCU|HKCR|HKU)\\[^\s\"'<>|*]{2,250}",
    re.IGNORECASE,
)

ALL_TYPES = frozenset(
    {
        "ioc:ipv4",
        "ioc:ipv6",
        "ioc:cidr",
        "ioc:domain",
        "ioc:url",
        "ioc:email",
        "ioc:onion",
        "ioc:tox",
        "ioc:session",
        "ioc:btc",
        "ioc:xmr",
        "ioc:md5",
        "ioc:sha1",
        "ioc:sha256",
        "ioc:cve",
        "ioc:registry",
    }
)
#: The contact and payment markers found in ransom notes.
CONTACT_TYPES = frozenset(
    {"ioc:onion", "ioc:tox", "ioc:session", "ioc:email", "ioc:btc", "ioc:xmr"}
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One validated indicator and where it sits in the (refanged) text."""

    type: str
    value: str
    start: int
    end: int


# --- checksums -----------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def valid_tox_id(value: str) -> bool:
    """A Tox id is 38 bytes: key (32) + nospam (4) + checksum (2) = XOR of the 2-byte words."""
    if len(value) != 76:
        return False
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return False
    check = [0, 0]
    for index, byte in enumerate(raw[:36]):
        check[index % 2] ^= byte
    return bytes(check) == raw[36:]


def valid_onion_v3(host: str) -> bool:
    """Tor v3: base32(pubkey 32 | checksum 2 | version 3), checksum = SHA3-256 prefix."""
    label = host.lower().removesuffix(".onion")
    if len(label) != 56:
        return False
    try:
        raw = base64.b32decode(label.upper())
    except ValueError:
        return False
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:]
    if version != b"\x03":
        return False
    digest = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()
    return digest[:2] == checksum


def valid_base58check(value: str) -> bool:
    number = 0
    for char in value:
        index = _B58.find(char)
        if index < 0:
            return False
        number = number * 58 + index
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    pad = len(value) - len(value.lstrip("1"))
    if raw[:pad] != b"\x00" * pad:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _bech32_polymod(values: Iterable[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(generators):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def valid_bech32(value: str) -> bool:
    """Bech32 (SegWit v0) or Bech32m (Taproot) with human-readable part ``bc``."""
    value = value.lower()
    hrp, _, data = value.rpartition("1")
    if hrp != "bc" or len(data) < 7:
        return False
    values = [_BECH32.find(char) for char in data]
    if min(values) < 0:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    return _bech32_polymod(expanded + values) in (1, 0x2BC830A3)


# --- candidates ----------------------------------------------------------------------


#: Country-code TLDs that are also script/document extensions: ``setup.py``, ``run.sh``.
SCRIPT_TLDS = frozenset({"py", "sh", "rs", "md", "ps", "so"})


def _domain_ok(value: str) -> bool:
    labels = value.lower().split(".")
    tld = labels[-1]
    if tld not in TLDS or tld == "onion":
        return False
    if any(label in FILE_EXTENSIONS for label in labels[1:-1]):
        return False  # report.docx.id, archive.tar.gz
    if len(labels) == 2 and tld in SCRIPT_TLDS:
        return False
    return not all(label.isdigit() for label in labels[:-1])


def _ips(text: str) -> Iterator[Hit]:
    for match in _IPV4.finditer(text):
        value = match.group()
        kind = "ioc:cidr" if "/" in value else "ioc:ipv4"
        try:
            value = normalise(kind, value)
        except ValueError:
            continue
        yield Hit(kind, value, match.start(), match.end())
    for match in _IPV6.finditer(text):
        value = match.group()
        if value.count(":") < 2 or ("::" not in value and value.count(":") < 7):
            continue
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            continue
        if not address.is_unspecified:
            yield Hit("ioc:ipv6", str(address), match.start(), match.end())


def _urls(text: str) -> Iterator[Hit]:
    for match in _URL.finditer(text):
        value = strip_trailing(match.group())
        if len(value) > len(match.group().split("://", 1)[0]) + 4:
            yield Hit(
                "ioc:url", normalise("ioc:url", value), match.start(), match.start() + len(value)
            )


def _emails(text: str) -> Iterator[Hit]:
    for match in _EMAIL.finditer(text):
        value = match.group()
        if value.rsplit(".", 1)[-1].lower() in TLDS:
            yield Hit("ioc:email", normalise("ioc:email", value), match.start(), match.end())


def _domains(text: str) -> Iterator[Hit]:
    for match in _DOMAIN.finditer(text):
        value = match.group()
        if _domain_ok(value):
            yield Hit("ioc:domain", normalise("ioc:domain", value), match.start(), match.end())


def _onions(text: str) -> Iterator[Hit]:
    for match in _ONION.finditer(text):
        value = match.group().lower()
        label = value.removesuffix(".onion")
        if len(label) == 56 and not valid_onion_v3(value):
            continue
        yield Hit("ioc:onion", value, match.start(), match.end())


_HEX_TYPES = {32: "ioc:md5", 40: "ioc:sha1", 64: "ioc:sha256"}


def _hexes(text: str) -> Iterator[Hit]:
    for match in _HEX.finditer(text):
        value = match.group()
        if len(value) == 76:
            if valid_tox_id(value):
                yield Hit("ioc:tox", value.upper(), match.start(), match.end())
        elif len(value) == 66 and value.lower().startswith("05"):
            yield Hit("ioc:session", value.lower(), match.start(), match.end())
        elif len(value) in _HEX_TYPES and len(set(value.lower())) > 4:
            yield Hit(_HEX_TYPES[len(value)], value.lower(), match.start(), match.end())


def _payments(text: str) -> Iterator[Hit]:
    for match in _BTC_LEGACY.finditer(text):
        if valid_base58check(match.group()):
            yield Hit("ioc:btc", match.group(), match.start(), match.end())
    for match in _BTC_BECH32.finditer(text):
        if valid_bech32(match.group()):
            yield Hit("ioc:btc", match.group().lower(), match.start(), match.end())
    for match in _XMR.finditer(text):
        value = match.group()
        if all(char in _B58 for char in value):
            yield Hit("ioc:xmr", value, match.start(), match.end())


def _cves(text: str) -> Iterator[Hit]:
    for match in _CVE.finditer(text):
        yield Hit("ioc:cve", match.group().upper(), match.start(), match.end())


def _registry(text: str) -> Iterator[Hit]:
    for match in _REGISTRY.finditer(text):
        value = strip_trailing(match.group()).rstrip("\\")
        yield Hit("ioc:registry", value, match.start(), match.start() + len(value))


#: The extractors, each a small generator over the refanged text.
EXTRACTORS: tuple[Callable[[str], Iterator[Hit]], ...] = (
    _urls,
    _emails,
    _onions,
    _domains,
    _ips,
    _hexes,
    _payments,
    _cves,
    _registry,
)


def _covered(hit: Hit, spans: list[tuple[int, int, str]]) -> bool:
    """A domain inside a URL or e-mail is reported through that URL or e-mail only."""
    if hit.type != "ioc:domain":
        return False
    return any(
        start <= hit.start and hit.end <= end and kind in ("ioc:url", "ioc:email")
        for start, end, kind in spans
    )


def find_indicators(
    text: str, *, types: Iterable[str] | None = None, defanged: bool = True
) -> list[Hit]:
    """Every validated indicator in ``text``, in order of appearance, duplicates kept."""
    if defanged:
        text = refang(text)
    wanted = frozenset(types) if types is not None else ALL_TYPES
    hits = [hit for extractor in EXTRACTORS for hit in extractor(text)]
    spans = [(hit.start, hit.end, hit.type) for hit in hits]
    kept = [hit for hit in hits if hit.type in wanted and not _covered(hit, spans)]
    return sorted(kept, key=lambda hit: (hit.start, hit.type))


def _snippet(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return " ".join(f"{left}{text[start:end]}{right}".split())


def extract_observables(
    text: str,
    *,
    context: str = "",
    evidence: EvidenceRef | None = None,
    types: Iterable[str] | None = None,
    defanged: bool = True,
) -> list[Observable]:
    """Unique observables in ``text``; ``context`` labels where they came from."""
    source = refang(text) if defanged else text
    seen: set[tuple[str, str]] = set()
    result: list[Observable] = []
    for hit in find_indicators(source, types=types, defanged=False):
        key = (hit.type, hit.value)
        if key in seen:
            continue
        seen.add(key)
        snippet = _snippet(source, hit.start, hit.end)
        label = f"{context}: {snippet}" if context else snippet
        result.append(Observable(hit.type, hit.value, label, evidence))
    return result
