"""Matching leak-site post names to organisations: legal forms, widths, kana, domains."""

from __future__ import annotations

import pytest

from madoguchi.intel.names import (
    MATCH_THRESHOLD,
    NameIndex,
    PostText,
    domains_in,
    match_post,
    normalise_domain,
    normalise_name,
)


@pytest.mark.parametrize(
    "variant",
    [
        "株式会社ひみつ電機",
        "ひみつ電機株式会社",
        "(株)ひみつ電機",
        "（株）ひみつ電機",
        "ひみつ電機㈱",
        "ヒミツ電機",
        "ﾋﾐﾂ電機",
        "ひみつ電機ホールディングス株式会社",
    ],
)
def test_japanese_legal_forms_width_and_kana_fold_to_one_name(variant: str) -> None:
    assert normalise_name(variant) == normalise_name("株式会社ひみつ電機")


@pytest.mark.parametrize(
    "variant",
    [
        "Himitsu Denki Co., Ltd.",
        "Himitsu Denki Co.,Ltd",
        "HIMITSU DENKI K.K.",
        "Himitsu Denki Kabushiki Kaisha",
        "Himitsu Denki Inc.",
        "Himitsu Denki Corp.",
        "Himitsu Denki Holdings",
        "The Himitsu Denki LLC",
        "Himitsu Denki GmbH",
        "ＨＩＭＩＴＳＵ　ＤＥＮＫＩ",
    ],
)
def test_english_legal_forms_and_full_width_fold_to_one_name(variant: str) -> None:
    assert normalise_name(variant) == "himitsudenki"


def test_a_post_matches_the_japanese_and_the_english_name() -> None:
    posts = [
        PostText(1, "ﾋﾐﾂ電機㈱"),
        PostText(2, "HIMITSU DENKI CO.,LTD"),
        PostText(3, "Himitsu Denki Corporation (Japan)"),
        PostText(4, "Unrelated Trading Inc."),
    ]
    found = NameIndex(posts).match(["株式会社ひみつ電機", "Himitsu Denki K.K."])
    assert set(found) == {1, 2, 3}
    assert found[1].score == 100 and found[1].matched_on == "name"
    assert found[2].score == 100
    assert found[3].score >= 95


def test_a_close_but_different_name_is_not_a_match() -> None:
    post = PostText(1, "Sakura Denko Inc.", website="sakuradenko.example")
    assert (
        match_post(post, ["Sakura Denki Co., Ltd.", "株式会社さくら電機"], ["sakuradenki.example"])
        is None
    )
    # ... while a real variant of the same name is.
    same = match_post(PostText(2, "SAKURA DENKI K.K."), ["Sakura Denki Co., Ltd."])
    assert same is not None and same.score == 100


def test_a_short_name_only_matches_exactly() -> None:
    index = NameIndex([PostText(1, "ABC Logistics"), PostText(2, "ABC")])
    assert set(index.match(["ABC Inc."])) == {2}


def test_subsidiaries_are_candidates_with_a_lower_score() -> None:
    found = NameIndex([PostText(7, "ひみつ電機サービス株式会社")]).match(["株式会社ひみつ電機"])
    assert 7 in found
    assert MATCH_THRESHOLD <= found[7].score < 95


def test_domains_match_exactly_and_as_subdomains() -> None:
    posts = [
        PostText(1, "some victim", website="https://www.himitsu-denki.co.jp/"),
        PostText(2, "mail.himitsu-denki.co.jp"),
        PostText(3, "other", description="data of himitsu-denki.co.jp.example.net"),
    ]
    found = NameIndex(posts).match([], ["himitsu-denki.co.jp"])
    assert found[1].score == 100 and found[1].matched_on == "domain"
    assert found[2].score == 95
    assert 3 not in found


def test_domain_normalisation() -> None:
    assert normalise_domain("HTTPS://WWW.Example.CO.JP/path?q=1") == "example.co.jp"
    assert normalise_domain("user@example.com") == "example.com"
    assert normalise_domain("not a domain") is None
    assert normalise_domain("abcdefghijklmnop.onion") is None
    assert domains_in("see https://a.example.org/x and b.example.net, run.exe") == [
        "a.example.org",
        "b.example.net",
    ]
