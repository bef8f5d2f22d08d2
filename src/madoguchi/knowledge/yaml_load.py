"""``safe_load`` through libyaml's C loader when PyYAML was built with it.

The knowledge bases are a few hundred YAML files read at start-up; the C loader
reads them several times faster than the pure-Python one and accepts the same
documents (both are YAML 1.1 safe loaders).
"""

from __future__ import annotations

from typing import IO, Any

import yaml

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: str | bytes | IO[str] | IO[bytes]) -> Any:
    return yaml.load(stream, Loader=LOADER)  # noqa: S506 - a safe loader
