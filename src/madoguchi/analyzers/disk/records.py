"""Reading dissect.target plugin records safely, one at a time.

A plugin that does not apply to the image (no hive, no such log) is not an error: it
yields nothing. A record that cannot be parsed is skipped and counted; the rest of the
artefact is still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from madoguchi.analyzers.disk.scope import Scope

MAX_RECORD_ERRORS = 20


def plugin_records(scope: Scope, function: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Records of ``target.<function>(...)``.

    Dotted names reach plugin namespaces (``browser.history``, ``defender.exclusions``).
    """
    try:
        from dissect.target.exceptions import PluginError, UnsupportedPluginError
    except ImportError:  # pragma: no cover - dissect is a hard dependency
        return
    try:
        obj: Any = scope.target
        for part in function.split("."):
            obj = getattr(obj, part)
        iterator = iter(obj(*args, **kwargs))
    except (UnsupportedPluginError, PluginError, AttributeError):
        return
    errors = 0
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except (UnsupportedPluginError, PluginError):
            return
        except Exception as error:  # a damaged artefact: count, warn and move on
            errors += 1
            scope.ctx.skipped_records += 1
            if errors <= MAX_RECORD_ERRORS:
                scope.warn(f"{function}: record skipped ({type(error).__name__}: {error})")
            if errors > MAX_RECORD_ERRORS * 50:
                scope.warn(f"{function}: too many damaged records; stopped")
                return
            continue
        scope.ctx.count_events()
        yield record


def field(record: Any, name: str) -> Any:
    try:
        return getattr(record, name)
    except Exception:
        return None


def text(record: Any, name: str) -> str:
    value = field(record, name)
    if value is None:
        return ""
    return str(value)


def record_type(record: Any) -> str:
    descriptor = field(record, "_desc")
    return str(getattr(descriptor, "name", "")) if descriptor is not None else ""
