"""EVTX throughput: the parser alone, then `madoguchi analyze`, plain and with 2,000+ Sigma rules.

Builds one large EVTX file (600 MB by default) from the 64 KiB chunks of sample EVTX
files, then measures, each in its own child process:

  (a) baseline: ``evtx`` (one parser thread, as the analyzer uses) + ``orjson.loads``
      of every record — events/s, MB/s, peak RSS;
  (s1)-(s3) the steps of (b)'s per-event work, one process, after rule loading: reading
      records into flat events, then also the built-in Sigma pack, then the whole
      EVTX analyzer with its outputs dropped;
  (b) ``madoguchi analyze BIG.evtx`` with the built-in analyzers and rules;
  (c) the same with ``--rules DIR`` holding 2,000+ Sigma rules: a public rule folder
      given with ``--rules-dir``, or else a synthetic set written by the generator of
      ``bench/sigma_match_bench.py`` (or a small one here if that file is missing).

Samples come from ``--samples DIR`` or ``$MADOGUCHI_CALIBRATION_DATA/evtx``. Results
are printed, never asserted.

    .venv/bin/python bench/evtx_bench.py --size-mb 600
    .venv/bin/python bench/evtx_bench.py --size-mb 50 --jobs 2 --rules-count 2500

EVTX layout used here: a 4096-byte file header (magic ``ElfFile\\0``; first/last chunk
number at 8/16, next record id at 24, chunk count (u16) at 42, flags at 120, CRC32 of
the first 120 bytes at 124), then chunks of 65536 bytes each starting ``ElfChnk\\0``.
Chunks are copied whole, so their own checksums stay valid.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HEADER_SIZE = 4096
CHUNK_SIZE = 65536
FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
MAX_CHUNKS = 0xFFFF
BENCH_DIR = Path(__file__).resolve().parent
SRC_DIR = BENCH_DIR.parent / "src"

BASELINE = """
import json, sys, time
import evtx, orjson
path, threads = sys.argv[1], int(sys.argv[2])
started = time.perf_counter()
events = errors = 0
records = evtx.PyEvtxParser(path, number_of_threads=threads).records_json()
while True:
    try:
        record = next(records)
    except StopIteration:
        break
    except (RuntimeError, OSError, ValueError):
        errors += 1
        continue
    orjson.loads(record["data"])
    events += 1
print(json.dumps({"events": events, "errors": errors, "seconds": time.perf_counter() - started}))
"""

ANALYZE = """
import sys
import typer
from madoguchi.cli import analyze_cmd
app = typer.Typer()
analyze_cmd.register(app)
sys.argv[0] = "madoguchi"
app()
"""

STAGES = """
import json, sys, time
from pathlib import Path
from madoguchi.analyzers.base import AnalysisContext, EvidenceFile, RunOptions
from madoguchi.analyzers.forking import frozen_heap
from madoguchi.analyzers.windows_evtx.analyzer import EvtxAnalyzer, load_rule_pack
from madoguchi.analyzers.windows_evtx.evtx_file import read_evtx
path, stage = Path(sys.argv[1]), sys.argv[2]
evidence = EvidenceFile(str(path), path, "evtx", path.stat().st_size)
ctx = AnalysisContext(RunOptions(), EvtxAnalyzer.name)
analyzer = EvtxAnalyzer()
analyzer.prepare(ctx)  # rules load before the clock starts
ruleset = load_rule_pack().ruleset  # the same compiled set, kept from prepare
started, cpu = time.perf_counter(), time.process_time()
events = outputs = 0
with frozen_heap():
    if stage == "analyzer":
        for _ in analyzer.analyze(evidence, ctx):
            outputs += 1
        events = ctx.events
    else:
        match = ruleset.match
        for item in read_evtx(evidence, ctx):
            events += 1
            if stage == "match":
                outputs += len(match(item.event))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"events": events, "outputs": outputs, "seconds": seconds, "cpu": cpu}))
"""

SUMMARY = """
import json, sys
doc = json.loads(open(sys.argv[1], "rb").read())
print(json.dumps({
    "events": int(doc["stats"]["events"]),
    "findings": len(doc["findings"]),
    "not_loaded": len(doc["rules_not_loaded"]),
}))
"""


@dataclass
class Measurement:
    name: str
    seconds: float
    events: int
    peak_rss_mb: float
    note: str = ""
    cpu_seconds: float = 0.0  # user + system time of the child and the workers it waited for
    spread: tuple[float, float] | None = None  # fastest and slowest wall time of the repeats


def sample_files(samples: Path | None) -> list[Path]:
    if samples is None:
        root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
        if not root:
            return []
        samples = Path(root) / "evtx"
    return sorted(samples.rglob("*.evtx")) if samples.is_dir() else []


def read_chunks(files: list[Path]) -> list[bytes]:
    chunks: list[bytes] = []
    for path in files:
        data = path.read_bytes()
        if not data.startswith(FILE_MAGIC):
            continue
        for offset in range(HEADER_SIZE, len(data) - CHUNK_SIZE + 1, CHUNK_SIZE):
            chunk = data[offset : offset + CHUNK_SIZE]
            if chunk.startswith(CHUNK_MAGIC):
                chunks.append(chunk)
    return chunks


def build_evtx(chunks: list[bytes], target: Path, size_mb: int) -> tuple[int, int]:
    """Write header + chunks (cycled) up to ``size_mb``; returns (chunks, bytes)."""
    wanted = max(1, min(MAX_CHUNKS, (size_mb * 1024 * 1024 - HEADER_SIZE) // CHUNK_SIZE))
    header = bytearray(HEADER_SIZE)
    header[:8] = FILE_MAGIC
    struct.pack_into("<QQQ", header, 8, 0, wanted - 1, 1)
    struct.pack_into("<IHHHH", header, 32, 128, 1, 3, HEADER_SIZE, wanted)
    last_id = 0
    with target.open("wb") as out:
        out.write(b"\x00" * HEADER_SIZE)
        for n in range(wanted):
            chunk = chunks[n % len(chunks)]
            last_id = max(last_id, struct.unpack_from("<Q", chunk, 32)[0])
            out.write(chunk)
        struct.pack_into("<Q", header, 24, last_id + 1)
        struct.pack_into("<I", header, 120, 0)  # flags: clean, not full
        struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
        out.seek(0)
        out.write(header)
    return wanted, HEADER_SIZE + wanted * CHUNK_SIZE


@dataclass
class ChildRun:
    code: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    text: str


def run_child(args: list[str], env: dict[str, str]) -> ChildRun:
    """Run a child; returns its exit code, wall and CPU seconds, peak RSS and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            text += err.read().decode("utf-8", "replace")[-2000:]
    cpu = usage.ru_utime + usage.ru_stime
    return ChildRun(proc.returncode, seconds, cpu, usage.ru_maxrss / 1024, text)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC_DIR), env.get("PYTHONPATH")) if p)
    return env


def measure_baseline(big: Path, threads: int) -> Measurement:
    run = run_child([sys.executable, "-c", BASELINE, str(big), str(threads)], child_env())
    name = "(a) evtx + orjson"
    if run.code != 0:
        return Measurement(name, run.seconds, 0, run.peak_rss_mb, f"failed: {run.text[-300:]}")
    result = json.loads(run.text.strip().splitlines()[-1])
    note = f"{threads} parser thread(s), {result['errors']} damaged records"
    # The child times the parsing alone; its CPU time also holds the interpreter's start.
    return Measurement(
        name, result["seconds"], result["events"], run.peak_rss_mb, note, run.cpu_seconds
    )


#: The per-event work of (b) in steps, each timed in one process without start-up, rule
#: loading or output: where the distance between (a) and (b) comes from.
STAGE_STEPS = (
    ("read", "(s1) read: (a) + flat events", ""),
    ("match", "(s2) (s1) + Sigma built-in pack", "rule matches"),
    ("analyzer", "(s3) (s2) + the rest of the analyzer", "analyzer outputs"),
)


def measure_stage(big: Path, stage: str, name: str, what: str) -> Measurement:
    run = run_child([sys.executable, "-c", STAGES, str(big), stage], child_env())
    if run.code != 0:
        return Measurement(name, run.seconds, 0, run.peak_rss_mb, f"failed: {run.text[-300:]}")
    result = json.loads(run.text.strip().splitlines()[-1])
    counted = f"{result['outputs']:,} {what}; " if what else ""
    note = f"{counted}one process, start-up and rule loading not timed"
    return Measurement(
        name, result["seconds"], result["events"], run.peak_rss_mb, note, result["cpu"]
    )


def measure_analyze(
    name: str, big: Path, workdir: Path, extra: list[str], note: str
) -> Measurement:
    out = workdir / f"result-{len(extra)}.json"
    args = [
        sys.executable,
        "-c",
        ANALYZE,
        "analyze",
        str(big),
        "--format",
        "json",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]
    run = run_child(args, child_env())
    if run.code != 0:
        return Measurement(name, run.seconds, 0, run.peak_rss_mb, f"failed: {run.text[-300:]}")
    # Read the result in a child too: loading a document of 100+ MB here would grow this
    # process, and a child forked from it starts with that RSS as its peak (the kernel
    # keeps the pre-exec high-water mark), inflating every later measurement.
    summary = subprocess.run(
        [sys.executable, "-c", SUMMARY, str(out)], capture_output=True, check=True, text=True
    )
    counts = json.loads(summary.stdout)
    events, findings, not_loaded = counts["events"], counts["findings"], counts["not_loaded"]
    out.unlink()
    detail = f"{findings} findings, {not_loaded} rule files not loaded"
    return Measurement(
        name,
        run.seconds,
        events,
        run.peak_rss_mb,
        f"{note}; {detail}" if note else detail,
        run.cpu_seconds,
    )


def repeated(times: int, measure: Callable[[], Measurement]) -> Measurement:
    """The run with the median wall time of ``times`` runs, with the spread of all."""
    runs = sorted((measure() for _ in range(max(times, 1))), key=lambda m: m.seconds)
    chosen = runs[len(runs) // 2]
    if len(runs) > 1:
        chosen.spread = (runs[0].seconds, runs[-1].seconds)
    return chosen


def write_rules(rules_dir: Path, count: int) -> str:
    """Write ``count`` synthetic Sigma rules, one file each; returns where they came from."""
    rules_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(4)
    generator = BENCH_DIR / "sigma_match_bench.py"
    make_rule = None
    if generator.is_file():
        spec = importlib.util.spec_from_file_location("sigma_match_bench", generator)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
                make_rule = getattr(module, "_rule", None)
            except Exception as error:  # the other bench may be mid-change
                print(f"note: cannot use {generator.name} generator: {error}")
    source = (
        f"synthetic, generated by {generator.name}" if make_rule else "synthetic, generated here"
    )
    for i in range(count):
        text = make_rule(rng, i) if make_rule else _own_rule(rng, i)
        (rules_dir / f"rule-{i:05d}.yml").write_text(text, encoding="utf-8")
    return source


def _own_rule(rng: random.Random, i: int) -> str:
    exe = rng.choice(["cmd.exe", "powershell.exe", "rundll32.exe", "certutil.exe"])
    return (
        f"title: Synthetic rule {i}\nid: {uuid.UUID(int=rng.getrandbits(128))}\n"
        "status: experimental\nlevel: medium\n"
        "logsource: {product: windows, category: process_creation}\n"
        f"detection:\n  selection:\n    Image|endswith: '\\{exe}'\n"
        f"    CommandLine|contains: 'arg{i}'\n  condition: selection\n"
    )


def default_jobs() -> list[int]:
    """One job, then (on a machine with more CPUs) as many jobs as CPUs, at most 8."""
    cpus = min(os.cpu_count() or 1, 8)
    return [1, cpus] if cpus > 1 else [1]


def report(rows: list[Measurement], size: int) -> None:
    baseline = rows[0]
    base_rate = baseline.events / baseline.seconds if baseline.seconds and baseline.events else 0
    print()
    print(
        f"{'scenario':<40}{'seconds':>9}{'cpu s':>8}{'events':>12}{'events/s':>12}{'MB/s':>8}"
        f"{'peak MB':>9}{'vs (a)':>8}"
    )
    for row in rows:
        rate = row.events / row.seconds if row.seconds else 0
        ratio = f"{rate / base_rate:.2f}x" if base_rate and rate else "-"
        mbps = size / 1024 / 1024 / row.seconds if row.seconds else 0
        print(
            f"{row.name:<40}{row.seconds:>9.1f}{row.cpu_seconds:>8.1f}{row.events:>12,}"
            f"{rate:>12,.0f}{mbps:>8.1f}{row.peak_rss_mb:>9.0f}{ratio:>8}"
        )
    for row in rows:
        if row.note:
            print(f"  {row.name}: {row.note}")
        if row.spread is not None:
            print(
                f"  {row.name}: wall time of the repeats {row.spread[0]:.1f}-{row.spread[1]:.1f} s"
            )
    print(
        "  (a) times parsing only; (b) and (c) are wall time of the whole command "
        "(start-up, rule loading, analysis, writing the JSON result); (s1)-(s3) time the "
        "steps of (b)'s analysis in one process. cpu s is user + "
        "system time of the process and its workers: steadier than wall time on a shared "
        "machine, and above it when --jobs uses several cores."
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=600, help="size of the built EVTX file")
    parser.add_argument("--samples", type=Path, help="folder of sample .evtx files")
    parser.add_argument("--rules-dir", type=Path, help="a public Sigma rule folder to use in (c)")
    parser.add_argument("--rules-count", type=int, default=2500, help="synthetic rules for (c)")
    parser.add_argument(
        "--jobs",
        type=int,
        action="append",
        help="--jobs for madoguchi analyze (repeatable; default: 1, and the CPU count if more)",
    )
    parser.add_argument("--threads", type=int, default=1, help="parser threads for (a)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each scenario N times; report the median"
    )
    parser.add_argument("--workdir", type=Path, help="where to build the file (default: temp)")
    parser.add_argument(
        "--skip",
        choices=["b", "c", "stages"],
        action="append",
        default=[],
        help="skip a scenario (stages: the (s1)-(s3) steps of (b))",
    )
    args = parser.parse_args()

    files = sample_files(args.samples)
    if not files:
        print(
            "evtx_bench: SKIPPED - no sample EVTX files. Set MADOGUCHI_CALIBRATION_DATA "
            "to the calibration data folder (it reads its evtx/ folder) or pass --samples DIR."
        )
        return 0
    chunks = read_chunks(files)
    if not chunks:
        print(f"evtx_bench: SKIPPED - no EVTX chunks found in {len(files)} sample files")
        return 0
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="evtx-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        big = workdir / "big.evtx"
        count, size = build_evtx(chunks, big, args.size_mb)
        print(
            f"input             {big.name}: {size / 1024 / 1024:.0f} MB, {count} chunks "
            f"cycled from {len(chunks)} chunks of {len(files)} sample files"
        )
        rows = [repeated(args.repeat, partial(measure_baseline, big, args.threads))]
        if "stages" not in args.skip:
            rows += [
                repeated(args.repeat, partial(measure_stage, big, stage, name, what))
                for stage, name, what in STAGE_STEPS
            ]
        job_counts = args.jobs or default_jobs()
        if "c" not in args.skip:
            if args.rules_dir is not None:
                rules_dir, source = args.rules_dir, f"public rule folder {args.rules_dir}"
                rule_count = sum(1 for _ in rules_dir.rglob("*.yml"))
            else:
                rules_dir = workdir / "rules"
                source = write_rules(rules_dir, args.rules_count)
                rule_count = args.rules_count
            print(f"rules for (c)     {rule_count} rule files ({source})")
        for count in job_counts:
            jobs = ["--jobs", str(count)] if count > 1 else []
            suffix = f", --jobs {count}" if count > 1 else ""
            if "b" not in args.skip:
                name = f"(b) analyze, built-in pack{suffix}"
                rows.append(
                    repeated(args.repeat, partial(measure_analyze, name, big, workdir, jobs, ""))
                )
            if "c" not in args.skip:
                name = f"(c) analyze + {rule_count} rules{suffix}"
                extra = [*jobs, "--rules", str(rules_dir)]
                rows.append(
                    repeated(
                        args.repeat, partial(measure_analyze, name, big, workdir, extra, source)
                    )
                )
        report(rows, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
