"""Run every benchmark in this folder (``*_bench.py``), one after the other.

``make bench`` calls this. Each script prints its own numbers; nothing is asserted.
A script that crashes is reported and makes the exit code non-zero; the others still run.

    .venv/bin/python bench/run_all.py                # all of them
    .venv/bin/python bench/run_all.py evtx_bench     # only the named ones
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    found = sorted(BENCH_DIR.glob("*_bench.py"))
    if not names:
        return found
    wanted = {name.removesuffix(".py") for name in names}
    return [path for path in found if path.stem in wanted]


def main(argv: list[str]) -> int:
    chosen = scripts(argv)
    if not chosen:
        print("run_all: no benchmark scripts matched")
        return 1
    failed: list[str] = []
    for script in chosen:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=BENCH_DIR.parent)
        print(
            f"=== {script.name}: exit {code}, {time.perf_counter() - started:.0f} s ===", flush=True
        )
        if code != 0:
            failed.append(script.name)
    if failed:
        print("\nfailed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
