"""An account ↔ host logon graph as one standalone SVG (no script, no external resources).

Layout is deterministic: accounts in a column on the left, hosts on the right, both
sorted by name; an edge per (account, host) pair whose width grows with the number
of logons. Red edges carry logons from external addresses, orange edges only failures.
Every piece of text from the evidence is escaped; names are also cut to a readable
length. Large graphs keep the busiest pairs and say how many were left out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

MAX_NODES = 150
ROW = 26
TOP = 50
WIDTH = 900
LEFT_X = 260
RIGHT_X = 640
NAME_LIMIT = 40


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _label(text: str) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(clean) > NAME_LIMIT:
        clean = clean[: NAME_LIMIT - 1] + "…"
    return escape(clean)


def render_svg(logons_section_data: Mapping[str, Any]) -> str:
    """Render the ``logons`` section data (see :mod:`logons`) as an SVG document string."""
    rows = [r for r in logons_section_data.get("logons", ()) if isinstance(r, Mapping)]
    weight = {
        id(r): int(r.get("success", 0)) + int(r.get("failure", 0)) + int(r.get("explicit", 0))
        for r in rows
    }
    rows.sort(key=lambda r: (-weight[id(r)], str(r.get("account")), str(r.get("host"))))
    kept: list[Mapping[str, Any]] = []
    accounts: set[str] = set()
    hosts: set[str] = set()
    for row in rows:
        account, host = str(row.get("account", "")), str(row.get("host", ""))
        new = (account not in accounts) + (host not in hosts)
        if len(accounts) + len(hosts) + new > MAX_NODES:
            continue
        accounts.add(account)
        hosts.add(host)
        kept.append(row)
    left = sorted(accounts, key=lambda s: (s.lower(), s))
    right = sorted(hosts, key=lambda s: (s.lower(), s))
    ly = {name: TOP + i * ROW for i, name in enumerate(left)}
    ry = {name: TOP + i * ROW for i, name in enumerate(right)}
    height = TOP + max(len(left), len(right), 1) * ROW + 40
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'font-family="sans-serif" font-size="12">',
        "<title>Logons: accounts and hosts</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT_X}" y="24" text-anchor="end" font-weight="bold">accounts</text>',
        f'<text x="{RIGHT_X}" y="24" font-weight="bold">hosts</text>',
    ]
    for row in sorted(kept, key=lambda r: (str(r.get("account")), str(r.get("host")))):
        account, host = str(row.get("account", "")), str(row.get("host", ""))
        total = weight[id(row)]
        stroke = "#999999"
        if row.get("external"):
            stroke = "#d62728"
        elif int(row.get("success", 0)) == 0 and int(row.get("failure", 0)) > 0:
            stroke = "#ff7f0e"
        width = min(8.0, 1.0 + math.log2(max(total, 1)))
        types = ", ".join(f"{k}:{v}" for k, v in dict(row.get("logon_types", {})).items())
        tip = f"{account} → {host}: {total} logons ({types})"
        out.append(
            f'<line x1="{LEFT_X + 8}" y1="{ly[account]}" x2="{RIGHT_X - 8}" y2="{ry[host]}" '
            f'stroke="{stroke}" stroke-width="{width:.1f}" stroke-opacity="0.7">'
            f"<title>{escape(tip)}</title></line>"
        )
    for name in left:
        out.append(f'<circle cx="{LEFT_X}" cy="{ly[name]}" r="6" fill="#1f77b4"/>')
        out.append(
            f'<text x="{LEFT_X - 12}" y="{ly[name] + 4}" text-anchor="end" '
            f'data-name="{_attr(name)}">{_label(name)}</text>'
        )
    for name in right:
        out.append(f'<circle cx="{RIGHT_X}" cy="{ry[name]}" r="6" fill="#2ca02c"/>')
        out.append(
            f'<text x="{RIGHT_X + 12}" y="{ry[name] + 4}" '
            f'data-name="{_attr(name)}">{_label(name)}</text>'
        )
    left_out = len(rows) - len(kept)
    if left_out:
        out.append(
            f'<text x="10" y="{height - 12}">{left_out} more account/host pairs not drawn</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
