"""Fuzz MISP event import with arbitrary bytes (JSON or not)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from madoguchi.domain.errors import MadoguchiError
    from madoguchi.intel.misp.event import import_event


def one_input(data: bytes) -> None:
    try:
        result = import_event(data)
    except MadoguchiError:
        return
    assert all(isinstance(problem.message, str) for problem in result.problems)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
