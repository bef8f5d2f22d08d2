"""The desk's analysis options: its own rule folders and placeholder values.

``MADOGUCHI_RULE_DIRS`` names Sigma (and YARA) rule folders that every analysis in the
desk adds to the built-in rules, as ``madoguchi analyze --rules`` does offline;
``MADOGUCHI_SIGMA_PLACEHOLDERS`` a YAML file of values for their ``%name%``
placeholders. Both are read again for every job, and :func:`fingerprint` tells a worker
when its prepared analyzers are out of date, so that "run the analyzers again" after a
rule changed uses the new rule without restarting the workers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from madoguchi.analyzers.base import RunOptions
from madoguchi.analyzers.rule_files import rule_files_fingerprint
from madoguchi.analyzers.sigma import PlaceholderFileError, read_placeholders
from madoguchi.analyzers.windows_evtx import PLACEHOLDERS_SETTING
from madoguchi.config import Settings
from madoguchi.domain.errors import ConfigurationError


def run_options(settings: Settings) -> RunOptions:
    """Options for one analysis job; a placeholder file that cannot be used stops it."""
    extra: dict[str, Any] = {}
    if settings.sigma_placeholders is not None:
        try:
            extra[PLACEHOLDERS_SETTING] = read_placeholders(settings.sigma_placeholders)
        except PlaceholderFileError as error:
            raise ConfigurationError(f"MADOGUCHI_SIGMA_PLACEHOLDERS: {error}") from error
    return RunOptions(rule_dirs=settings.effective_rule_dirs, settings=extra)


def fingerprint(options: RunOptions) -> tuple[Any, ...]:
    """Every file under the rule folders (Sigma, YARA …) and the settings: equal
    fingerprints mean analyzers prepared with one set of options fit the other."""
    settings = json.dumps(options.settings, sort_keys=True, default=repr)
    return rule_files_fingerprint(options.rule_dirs), settings


def problems(settings: Settings) -> list[str]:
    """What is wrong with the rule settings, for ``madoguchi doctor``."""
    found = [
        f"rule folder {folder} does not exist"
        for folder in settings.effective_rule_dirs
        if not folder.exists()
    ]
    placeholders: Path | None = settings.sigma_placeholders
    if placeholders is not None:
        try:
            read_placeholders(placeholders)
        except PlaceholderFileError as error:
            found.append(str(error))
    return found
