"""Windows event log analyzer throughput: readers, then the whole analyzer.

Input: the ``.evtx`` files given as arguments, or every ``.evtx`` under
``$MADOGUCHI_CALIBRATION_DATA/evtx`` (public attack samples, about 11,500 records).
Each measurement reads all files ``--repeat`` times and prints events per second:

1. ``records()`` — the library's XML strings, not parsed (a floor for the XML path);
2. ``records()`` + ElementTree + flattening (what reading the XML form would cost);
3. ``records_json()`` + ``orjson.loads`` — the parse-only rate the analyzer is held to;
4. the EVTX reader (3. plus flattening and timestamps);
5. the analyzer with the built-in rule pack (target: at least half of 3.);
6. the analyzer with the built-in pack plus ``--rules`` synthetic rules made by
   ``bench/sigma_match_bench.py`` (target: 25,000 events/s with 2,000+ rules).

Prints numbers; asserts nothing.

    MADOGUCHI_CALIBRATION_DATA=/path/to/data .venv/bin/python bench/evtx_reader.py
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import evtx
import orjson

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile, RunOptions
from madoguchi.analyzers.windows_evtx import EvtxAnalyzer
from madoguchi.analyzers.windows_evtx.evtx_file import read_evtx
from madoguchi.analyzers.windows_evtx.xml_export import element_to_event


def _files(args: list[str]) -> list[Path]:
    if args:
        return [Path(a) for a in args]
    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        raise SystemExit("give .evtx files or set MADOGUCHI_CALIBRATION_DATA")
    return sorted((Path(root) / "evtx").rglob("*.evtx"))


def _evidence(path: Path) -> EvidenceFile:
    return EvidenceFile(path.name, path, "evtx", path.stat().st_size)


def _measure(name: str, files: list[Path], repeat: int, count: Callable[[Path], int]) -> float:
    start = time.perf_counter()
    events = 0
    for _ in range(repeat):
        for path in files:
            events += count(path)
    elapsed = time.perf_counter() - start
    rate = events / elapsed if elapsed else 0.0
    print(f"{name:<58} {events:>8} events {rate:>10,.0f} events/s")
    return rate


def _xml_only(path: Path) -> int:
    n = 0
    try:
        for _ in evtx.PyEvtxParser(str(path), number_of_threads=1).records():
            n += 1
    except RuntimeError:
        pass
    return n


def _xml_parsed(path: Path) -> int:
    n = 0
    try:
        for record in evtx.PyEvtxParser(str(path), number_of_threads=1).records():
            data = record["data"]
            body = data[data.index("<Event") :]
            element_to_event(ET.fromstring(body))
            n += 1
    except RuntimeError:
        pass
    return n


def _json_parsed(path: Path) -> int:
    n = 0
    try:
        for record in evtx.PyEvtxParser(str(path), number_of_threads=1).records_json():
            orjson.loads(record["data"])
            n += 1
    except RuntimeError:
        pass
    return n


def _reader(path: Path) -> int:
    ctx = AnalysisContext(analyzer="bench")
    return sum(1 for _ in read_evtx(_evidence(path), ctx))


def _analyzer(rule_dirs: tuple[Path, ...]) -> Callable[[Path], int]:
    analyzer = EvtxAnalyzer()
    ctx = AnalysisContext(options=RunOptions(rule_dirs=rule_dirs), analyzer=analyzer.name)
    analyzer.prepare(ctx)
    loaded = ctx._cache["windows-evtx:rules"]
    print(f"  rules loaded: {loaded.rule_count}, not loaded: {len(ctx.rules_not_loaded)}")

    def count(path: Path) -> int:
        before = ctx.events
        for _ in analyzer.analyze(_evidence(path), ctx):
            pass
        return ctx.events - before

    return count


def _synthetic_rules(target: Path, n: int) -> bool:
    source = Path(__file__).with_name("sigma_match_bench.py")
    spec = importlib.util.spec_from_file_location("sigma_match_bench", source)
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = random.Random(4)
    for i in range(n):
        (target / f"synthetic_{i:05d}.yml").write_text(module._rule(rng, i), encoding="utf-8")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rules", type=int, default=2000)
    args = parser.parse_args()
    files = _files(args.files)
    repeat = args.repeat
    print(f"{len(files)} files, {repeat} passes")
    _measure("1. records() XML strings, unparsed", files, repeat, _xml_only)
    _measure("2. records() + ElementTree + flatten", files, repeat, _xml_parsed)
    parse_only = _measure(
        "3. records_json() + orjson.loads (parse-only)", files, repeat, _json_parsed
    )
    _measure("4. EVTX reader (json + flatten + time)", files, repeat, _reader)
    builtin = _measure("5. analyzer, built-in pack", files, repeat, _analyzer(()))
    print(f"  built-in pack at {builtin / parse_only:.0%} of the parse-only rate")
    with tempfile.TemporaryDirectory() as tmp:
        if _synthetic_rules(Path(tmp), args.rules):
            _measure(
                f"6. analyzer, built-in pack + {args.rules} synthetic rules",
                files,
                repeat,
                _analyzer((Path(tmp),)),
            )


if __name__ == "__main__":
    main()
