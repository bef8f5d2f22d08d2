"""Rule-writing helpers shared by the Sigma engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from madoguchi.analyzers.base import RuleLoadError
from madoguchi.analyzers.sigma import RuleSet

SECURITY = {"product": "windows", "service": "security"}

Loader = Callable[..., tuple[RuleSet, list[RuleLoadError]]]

#: A Sigma 1 aggregation (``| count() by``): pySigma, and so the engine, refuses it.
SIGMA1_AGGREGATION = """
title: Old aggregation
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection | count() by IpAddress > 10
"""


def rule_doc(
    detection: Mapping[str, Any],
    *,
    logsource: Mapping[str, str] | None = None,
    title: str = "test rule",
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"title": title}
    doc.update(extra)
    doc["logsource"] = dict(logsource or SECURITY)
    doc["detection"] = dict(detection)
    return doc


def write_rules(path: Path, docs: Iterable[str | Mapping[str, Any]]) -> Path:
    texts = [
        d if isinstance(d, str) else yaml.safe_dump(dict(d), sort_keys=False, allow_unicode=True)
        for d in docs
    ]
    path.write_text("\n---\n".join(texts), encoding="utf-8")
    return path
