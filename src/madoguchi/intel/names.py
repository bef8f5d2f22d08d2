"""Organisation names and domains, normalised so leak-site posts can be matched to them.

Pure functions, no I/O. A name is folded with NFKC (full-width and half-width forms become
one), lower-cased, stripped of legal forms in Japanese and English (株式会社, (株), ㈱,
有限会社, 合同会社, Co., Ltd., Inc., Corp., K.K., LLC, GmbH, Holdings/ホールディングス …),
katakana folded to hiragana, and stripped of spaces and punctuation. Domains are compared
on their host names (``www.`` dropped); a subdomain matches its parent.

Scores (0–100) say how close a post is to a name:

- 100 the same name or domain; 95 a subdomain, or the name as a whole run of words of
  the post title;
- 94–99 a near-identical name (``rapidfuzz`` ratio; one letter off in a short name scores
  lower and is *not* a match, so "Sakura Denki" never matches "Sakura Denko");
- 85 the post names something that starts with the organisation's name (a subsidiary or
  a division: "ひみつ電機サービス" for "ひみつ電機").

Only scores of :data:`MATCH_THRESHOLD` and above are matches; the desk reviews each.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

MATCH_THRESHOLD = 85
FUZZY_THRESHOLD = 94
SUBSIDIARY_SCORE = 85
MIN_CORE_LENGTH = 4
"""Names shorter than this (after normalising) only match exactly: "ABC" would otherwise
be found inside half the posts."""

# Japanese legal forms, anywhere in the name (NFKC has already turned ㈱ and （株） into (株)).
_JA_FORMS = (
    "特定非営利活動法人",
    "地方独立行政法人",
    "独立行政法人",
    "国立大学法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "医療法人社団",
    "医療法人財団",
    "医療法人",
    "学校法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "ホールディングス",
    "ホールディング",
    "(株)",
    "(有)",
    "(同)",
    "(資)",
    "(名)",
    "(医)",
    "(学)",
    "(一社)",
    "(一財)",
    "(公社)",
    "(公財)",
    "(独)",
    "(福)",
    "(特非)",
)
_JA_FORM_PATTERN = re.compile("|".join(re.escape(f) for f in _JA_FORMS))

# English legal forms, removed as trailing words (and "the" as a leading one).
_EN_DOTTED = (
    ("kabushiki kaisha", " kk "),
    ("kabushikigaisha", " kk "),
    ("k.k.", " kk "),
    ("l.l.c.", " llc "),
    ("l.l.p.", " llp "),
    ("s.a.", " sa "),
    ("n.v.", " nv "),
    ("b.v.", " bv "),
    ("co.,ltd", " co ltd "),
)
_EN_FORMS = frozenset(
    {
        "co",
        "ltd",
        "limited",
        "company",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "kk",
        "llc",
        "llp",
        "lp",
        "gmbh",
        "ag",
        "sa",
        "nv",
        "bv",
        "plc",
        "pte",
        "pty",
        "holdings",
        "holding",
        "hd",
        "hldgs",
        "group",
    }
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_KATAKANA = {chr(code): chr(code - 0x60) for code in range(0x30A1, 0x30F7)}
_KANA_TABLE = str.maketrans(_KATAKANA)
_DOMAIN = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62})(?![\w-])"
)
_NOT_DOMAINS = frozenset({"onion", "exe", "zip", "pdf", "txt", "png", "jpg", "rar", "7z"})


def fold(text: str) -> str:
    """NFKC, lower case, katakana as hiragana (no legal forms removed)."""
    return unicodedata.normalize("NFKC", text).lower().translate(_KANA_TABLE)


def words(name: str) -> list[str]:
    """The words of a name after legal forms are removed, folded (see the module doc)."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _JA_FORM_PATTERN.sub(" ", text)
    for dotted, plain in _EN_DOTTED:
        text = text.replace(dotted, plain)
    found = [w.translate(_KANA_TABLE) for w in _WORD.findall(text)]
    while found and found[0] == "the":
        found.pop(0)
    while len(found) > 1 and found[-1] in _EN_FORMS:
        found.pop()
    return found


def normalise_name(name: str) -> str:
    """One comparable string: ``"株式会社ひみつ電機"`` and ``"ヒミツ電機㈱"`` give the same."""
    return "".join(words(name))


def normalise_domain(text: str) -> str | None:
    """A host name from a domain, URL or e-mail address, lower case, without ``www.``."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    value = value.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    value = value.removeprefix("www.")
    found = _DOMAIN.fullmatch(value)
    if found is None or value.rsplit(".", 1)[-1] in _NOT_DOMAINS:
        return None
    return value


def domains_in(text: str) -> list[str]:
    """Every host name written in a text (URLs, bare domains), in order, once each."""
    seen: dict[str, None] = {}
    for found in _DOMAIN.finditer(unicodedata.normalize("NFKC", text).lower()):
        domain = normalise_domain(found.group(1))
        if domain is not None:
            seen.setdefault(domain, None)
    return list(seen)


@dataclass(frozen=True)
class NameMatch:
    """Why a post matched: the organisation's name or domain it matched, and how well."""

    name: str
    matched_on: str  # "name" | "domain"
    score: int
    reason: str


@dataclass(frozen=True)
class PostText:
    """What of a post is compared: its title (the victim as posted), website, description."""

    key: int
    title: str
    website: str = ""
    description: str = ""


def _domain_score(wanted: str, found: str) -> int:
    if found == wanted:
        return 100
    if found.endswith("." + wanted):
        return 95
    return 0


class NameIndex:
    """Posts prepared once, then asked about many organisations."""

    def __init__(self, posts: Iterable[PostText]) -> None:
        self._names: list[str] = []
        self._keys: list[int] = []
        self._words: list[list[str]] = []
        self._exact: dict[str, list[int]] = {}
        self._domains: dict[str, set[int]] = {}
        self._parents: dict[str, set[str]] = {}
        self._first_words: dict[str, list[tuple[int, int]]] = {}
        for post in posts:
            title_words = words(post.title)
            normal = "".join(title_words)
            self._names.append(normal)
            self._keys.append(post.key)
            self._words.append(title_words)
            index = len(self._names) - 1
            if normal:
                self._exact.setdefault(normal, []).append(index)
            for position, word in enumerate(title_words):
                self._first_words.setdefault(word, []).append((index, position))
            for text in (post.website, post.title, post.description[:2000]):
                for domain in domains_in(text) if text else ():
                    self._domains.setdefault(domain, set()).add(post.key)
                    labels = domain.split(".")
                    for cut in range(len(labels) - 1):
                        self._parents.setdefault(".".join(labels[cut:]), set()).add(domain)
        self._sorted = sorted((n, i) for i, n in enumerate(self._names) if n)

    def __len__(self) -> int:
        return len(self._keys)

    def match(self, names: Iterable[str], domains: Iterable[str] = ()) -> dict[int, NameMatch]:
        """Best match per post key for an organisation known by ``names`` and ``domains``."""
        best: dict[int, NameMatch] = {}

        def offer(key: int, found: NameMatch) -> None:
            if found.score >= MATCH_THRESHOLD and (
                key not in best or found.score > best[key].score
            ):
                best[key] = found

        for domain in {d for d in (normalise_domain(x) for x in domains) if d}:
            for post_domain, keys in self._domain_candidates(domain):
                score = _domain_score(domain, post_domain)
                for key in keys:
                    offer(key, NameMatch(domain, "domain", score, f"domain {post_domain}"))
        for name in dict.fromkeys(n for n in names if n and n.strip()):
            for key, found in self._match_name(name).items():
                offer(key, found)
        return best

    def _domain_candidates(self, domain: str) -> Iterable[tuple[str, set[int]]]:
        """Post domains equal to ``domain`` or under it."""
        for post_domain in sorted(self._parents.get(domain, ())):
            yield post_domain, self._domains[post_domain]

    def _match_name(self, name: str) -> Mapping[int, NameMatch]:
        name_words = words(name)
        core = "".join(name_words)
        found: dict[int, NameMatch] = {}
        if not core:
            return found
        for index in self._exact.get(core, ()):
            found[self._keys[index]] = NameMatch(name, "name", 100, "same name")
        if len(core) < MIN_CORE_LENGTH:
            return found
        for _, score, index in process.extract(
            core, self._names, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=None
        ):
            key = self._keys[index]
            if key not in found:
                found[key] = NameMatch(name, "name", int(score), "nearly the same name")
        for index in self._word_runs(name_words):
            key = self._keys[index]
            if key not in found:
                found[key] = NameMatch(name, "name", 95, "the name appears in the post title")
        start = bisect.bisect_left(self._sorted, (core, -1))
        for normal, index in self._sorted[start:]:
            if not normal.startswith(core):
                break
            key = self._keys[index]
            if key not in found and normal != core:
                found[key] = NameMatch(
                    name, "name", SUBSIDIARY_SCORE, "the post names something starting with it"
                )
        return found

    def _word_runs(self, name_words: list[str]) -> Iterable[int]:
        """Posts whose title holds the name's words as one run ("X Corp (Japan)")."""
        if len(name_words) < 2:
            return
        size = len(name_words)
        found: set[int] = set()
        for index, start in self._first_words.get(name_words[0], ()):
            title_words = self._words[index]
            if index in found or len(title_words) <= size:
                continue
            if title_words[start : start + size] == name_words:
                found.add(index)
                yield index


def match_post(
    post: PostText, names: Iterable[str], domains: Iterable[str] = ()
) -> NameMatch | None:
    """The best match of one post against one organisation, or ``None``."""
    return NameIndex([post]).match(names, domains).get(post.key)
