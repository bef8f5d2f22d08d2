"""Fuzz the syslog / key=value / CSV line parsers of the device-log analyzers."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from madoguchi.analyzers.devices import lines


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    year = provider.ConsumeIntInRange(0, 10000)
    line = provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
    header = lines.parse_header(line, year=year or None)
    assert header.timestamp is None or header.timestamp.tzinfo is not None
    lines.parse_timestamp(line)
    lines.parse_kv(line)
    lines.split_csv(line)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
