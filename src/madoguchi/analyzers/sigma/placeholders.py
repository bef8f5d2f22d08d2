"""Values for ``%name%`` placeholders, read from a YAML (or JSON) file.

Sigma rules written for many sites leave site facts open: ``IpAddress|expand:
'%Admins_Workstations%'``. The specification says a tool must refuse such a rule unless
it is given the values, so a rule set with placeholders needs a file like::

    Admins_Workstations: [ADMIN-PC01, 'JUMP-*']
    internal_domains: corp.example.jp
    '%ServerSystems%':          # the percent signs may be kept
      - FS01
      - DC01

A name maps to one value or a list of values (none: the rule's selection then matches
nothing); values may hold the Sigma wildcards ``*`` and ``?``. Numbers are taken as
their text.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from madoguchi.analyzers.textio import decode_bytes


class PlaceholderFileError(ValueError):
    """The file cannot be used; the message says what to change."""


def read_placeholders(path: Path) -> dict[str, list[str]]:
    """The placeholder values in ``path``: name (without ``%``) → values."""
    try:
        text, _encoding = decode_bytes(path.read_bytes())  # UTF-8, UTF-16, Shift_JIS ...
    except OSError as error:
        raise PlaceholderFileError(f"cannot read {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, LookupError) as error:
        raise PlaceholderFileError(f"{path} is not readable as text") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PlaceholderFileError(f"{path} is not valid YAML{where}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PlaceholderFileError(
            f"{path} must map placeholder names to values (name: value, or name: [values])"
        )
    values: dict[str, list[str]] = {}
    for key, value in data.items():
        name = str(key).strip().strip("%")
        if not name:
            raise PlaceholderFileError(f"{path}: a placeholder has an empty name")
        items = [] if value is None else value if isinstance(value, list) else [value]
        if not all(_plain(item) for item in items):
            raise PlaceholderFileError(
                f"{path}: the values of {name!r} must be text or numbers (one, or a list)"
            )
        values[name] = [str(item) for item in items]
    return values


def _plain(item: object) -> bool:
    return isinstance(item, str | int | float) and not isinstance(item, bool)
