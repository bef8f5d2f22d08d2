"""The first text of an advisory draft, in Japanese and English, from what the desk saw.

Only aggregates leave the cases: how many reports, in which months, which categories and
products, how many indicators of which kinds. Case titles, descriptions and parties are
never copied; the handler writes the rest and the publication check reads it all again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from madoguchi.domain.advisory import AdvisoryContent, AffectedProduct, Bilingual
from madoguchi.domain.case import Case, Category
from madoguchi.domain.indicator import Indicator, IndicatorType

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    Category.RANSOMWARE.value: ("ransomware", "ランサムウェア"),
    Category.TARGETED_ATTACK.value: ("targeted attack", "標的型攻撃"),
    Category.DEVICE_VULNERABILITY.value: (
        "exploitation of a device vulnerability",
        "機器の脆弱性の悪用",
    ),
    Category.CLOUD_COMPROMISE.value: (
        "cloud account or storage compromise",
        "クラウドアカウント・ストレージの侵害",
    ),
    Category.MALWARE.value: ("malware infection", "マルウェア感染"),
    Category.DATA_LEAK.value: ("data leak", "情報漏えい"),
}

INDICATOR_TEXT: dict[IndicatorType, tuple[str, str]] = {
    IndicatorType.IPV4: ("IP addresses", "IP アドレス"),
    IndicatorType.IPV6: ("IP addresses", "IP アドレス"),
    IndicatorType.CIDR: ("network ranges", "ネットワーク範囲"),
    IndicatorType.DOMAIN: ("domains", "ドメイン"),
    IndicatorType.ONION: ("onion addresses", "onion アドレス"),
    IndicatorType.URL: ("URLs", "URL"),
    IndicatorType.SHA256: ("SHA-256 hashes", "SHA-256 ハッシュ値"),
    IndicatorType.SHA1: ("SHA-1 hashes", "SHA-1 ハッシュ値"),
    IndicatorType.MD5: ("MD5 hashes", "MD5 ハッシュ値"),
    IndicatorType.FILENAME: ("file names", "ファイル名"),
    IndicatorType.EMAIL: ("e-mail addresses", "メールアドレス"),
    IndicatorType.USER_AGENT: ("user agents", "ユーザーエージェント"),
}


def _months(cases: Sequence[Case]) -> tuple[str, str] | None:
    moments = [c.started_at or c.noticed_at or c.created_at for c in cases]
    known = sorted(m for m in moments if m is not None)
    if not known:
        return None
    return f"{known[0]:%Y-%m}", f"{known[-1]:%Y-%m}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _ja_month(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _subject(cases: Sequence[Case], tag: str) -> tuple[str, list[str], list[str]]:
    """What the advisory is about (a CVE, a product, a family) and the CVEs and products."""
    cves = sorted({cve.upper() for case in cases for cve in case.cves if cve.strip()})
    kind, _, value = tag.partition(":")
    if kind == "cve" and value.upper() not in cves:
        cves.insert(0, value.upper())
    products = sorted({p.strip() for case in cases for p in case.products if p.strip()})
    if kind in ("family", "campaign"):
        return value, cves, products
    if cves:
        return cves[0], cves, products
    if products:
        return products[0], cves, products
    return value or "", cves, products


def _indicator_counts(indicators: Sequence[Indicator]) -> tuple[str, str]:
    counts: Counter[tuple[str, str]] = Counter()
    for indicator in indicators:
        counts[INDICATOR_TEXT.get(indicator.type, ("other indicators", "その他の指標"))] += 1
    en = ", ".join(f"{names[0]}: {n}" for names, n in sorted(counts.items()))
    ja = "、".join(f"{names[1]} {n} 件" for names, n in sorted(counts.items()))
    return en, ja


def _observed(cases: Sequence[Case], subject: str, indicators: Sequence[Indicator]) -> Bilingual:
    en: list[str] = []
    ja: list[str] = []
    if cases:
        months = _months(cases)
        about = f" concerning {subject}" if subject else ""
        ja_about = f"{subject} に関する" if subject else ""
        if months and months[0] != months[1]:
            en.append(
                f"Between {months[0]} and {months[1]} the desk received "
                f"{_count(len(cases), 'report')}{about}."
            )
            ja.append(
                f"{_ja_month(months[0])}から{_ja_month(months[1])}にかけて、"
                f"{ja_about}相談・情報提供を {len(cases)} 件受け付けました。"
            )
        elif months:
            en.append(f"In {months[0]} the desk received {_count(len(cases), 'report')}{about}.")
            ja.append(
                f"{_ja_month(months[0])}に、{ja_about}相談・情報提供を "
                f"{len(cases)} 件受け付けました。"
            )
        categories = sorted({c for case in cases for c in case.categories if c in CATEGORY_TEXT})
        if categories:
            en.append("Observed: " + ", ".join(CATEGORY_TEXT[c][0] for c in categories) + ".")
            ja.append(
                "確認された事象: " + "、".join(CATEGORY_TEXT[c][1] for c in categories) + "。"
            )
    if indicators:
        counts_en, counts_ja = _indicator_counts(indicators)
        en.append(f"This advisory lists {_count(len(indicators), 'indicator')} ({counts_en}).")
        ja.append(f"本注意喚起では {len(indicators)} 件の指標（{counts_ja}）を掲載しています。")
    return Bilingual(ja="".join(ja), en=" ".join(en))


def draft_content(
    cases: Sequence[Case],
    indicators: Sequence[Indicator],
    markers: Sequence[tuple[int, str, str]],
    *,
    tag: str = "",
) -> AdvisoryContent:
    subject, cves, products = _subject(cases, tag)
    families = sorted({value for _, kind, value in markers if kind == "family"})
    tags = [f"cve:{cve}" for cve in cves] + [f"family:{name}" for name in families]
    if tag and tag not in tags:
        tags.insert(0, tag)
    title = Bilingual(
        ja=f"{subject} を悪用する攻撃に関する注意喚起" if subject else "攻撃に関する注意喚起",
        en=f"Attacks involving {subject}" if subject else "Advisory on observed attacks",
    )
    summary = Bilingual(
        ja=(
            f"{subject} に関連する攻撃の報告を受けています。影響を受ける製品を利用している"
            "組織は、以下の確認方法と対策を参照してください。"
            if subject
            else "攻撃の報告を受けています。以下の確認方法と対策を参照してください。"
        ),
        en=(
            f"The desk has received reports of attacks involving {subject}. Organisations "
            "using the affected products should follow the checks and mitigations below."
            if subject
            else "The desk has received reports of attacks. Follow the checks and "
            "mitigations below."
        ),
    )
    checks = Bilingual(
        ja="下記の指標がログに記録されていないか確認してください。どのログがあり、どう保全するかは"
        "下記の調査ガイドにまとめています。",
        en="Look for the indicators below in your logs. The investigation guides linked "
        "below describe which logs exist and how to preserve them.",
    )
    mitigations = Bilingual(
        ja="製造元が公開している修正版の適用または回避策を実施してください。指標が見つかった場合は"
        "ログを保全し、窓口に相談してください。",
        en="Apply the fixed versions or workarounds published by the vendor. If you find an "
        "indicator, preserve the logs and contact the desk.",
    )
    return AdvisoryContent(
        title=title,
        summary=summary,
        observed=_observed(cases, subject, indicators),
        checks=checks,
        mitigations=mitigations,
        change_note=Bilingual(ja="初版", en="First edition"),
        affected=tuple(AffectedProduct(product=p) for p in products),
        cves=tuple(cves),
        references=tuple(f"https://www.cve.org/CVERecord?id={cve}" for cve in cves),
        tags=tuple(tags),
    )
