"""Fixtures for Sigma engine tests: rules are written here, as dicts or YAML text, into tmp_path."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc, write_rules

from madoguchi.analyzers.base import RuleLoadError
from madoguchi.analyzers.sigma import RuleSet, load_rules


@pytest.fixture
def load(tmp_path: Path) -> Loader:
    """load(doc, doc, ..., placeholders=None, name=None) -> (ruleset, errors)."""
    counter = itertools.count()

    def _load(
        *docs: str | Mapping[str, Any],
        placeholders: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> tuple[RuleSet, list[RuleLoadError]]:
        path = write_rules(tmp_path / (name or f"rules{next(counter)}.yml"), docs)
        return load_rules([path], placeholders=placeholders)

    return _load


@pytest.fixture
def check(load: Loader) -> Callable[..., Callable[..., bool]]:
    """check(detection, logsource=...) -> hit(**fields) telling whether the rule matches.

    The event gets the Channel of a Security log event unless the fields say otherwise.
    Each call also checks that the indexed, pre-filtered ``RuleSet.match`` agrees with
    testing the rule directly.
    """

    def _check(
        detection: Mapping[str, Any],
        *,
        logsource: Mapping[str, str] | None = None,
        placeholders: Mapping[str, Any] | None = None,
    ) -> Callable[..., bool]:
        ruleset, errors = load(rule_doc(detection, logsource=logsource), placeholders=placeholders)
        assert errors == []
        assert len(ruleset.rules) == 1
        rule = ruleset.rules[0]

        def hit(**fields: Any) -> bool:
            event = {"Channel": "Security", "EventID": 4688, **fields}
            direct = rule.matches(event)
            indexed = [m.rule for m in ruleset.match(event)]
            assert indexed == ([rule] if direct else []), "index disagrees with the rule"
            return direct

        return hit

    return _check
