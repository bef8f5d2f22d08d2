"""Errors raised while compiling a Sigma rule; the loader turns each into a ``RuleLoadError``."""

from __future__ import annotations

from madoguchi.domain.errors import MadoguchiError


class SigmaRuleError(MadoguchiError):
    """A rule that cannot be compiled (unknown placeholder, unsupported value, bad logsource)."""

    code = "sigma_rule"
