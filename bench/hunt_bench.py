"""Benchmark: ``madoguchi`` indicator matching against ``grep -F -f`` on the same logs.

Generates synthetic syslog, web-access and proxy lines (addresses, domains, URLs,
hashes) up to ``--size-mb`` and ``--indicators`` mixed indicators (domains, URLs,
IPv4, IPv4 networks, SHA-256, MD5, file names, e-mail addresses), plants a small
fraction of the indicators in the logs, then times, over the same files:

* GNU grep, fixed strings from a file, ``LC_ALL=C`` (counts matching lines);
* ``Matcher.scan_file`` (counts matches, with boundaries, case rules and CIDRs).

The counts differ by design: grep has no word boundaries (``evil.com`` is found in
``notevil.com``, a hash inside a longer hex run), cannot match networks, and counts
lines rather than occurrences. Results are printed, never asserted.

    .venv/bin/python bench/hunt_bench.py --size-mb 200 --indicators 100000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

from madoguchi.domain.indicator import Indicator, IndicatorType
from madoguchi.intel.matcher import Matcher

TLDS = ["com", "net", "org", "jp", "co.jp", "io", "info", "xyz", "ru", "cn"]
PATHS = [
    "/index.html",
    "/login",
    "/api/v1/items",
    "/wp-admin/admin-ajax.php",
    "/static/app.js",
    "/images/logo.png",
    "/search?q=report",
    "/download/setup.exe",
    "/cgi-bin/luci",
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "curl/8.5.0",
    "python-requests/2.31",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2)",
    "Go-http-client/1.1",
]
USERS = ["root", "admin", "tanaka", "suzuki", "backup", "oracle", "git", "ubuntu"]


def word(rng: random.Random, low: int = 4, high: int = 12) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(low, high)))


def ipv4(rng: random.Random) -> str:
    return (
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def domain(rng: random.Random) -> str:
    sub = word(rng, 2, 6) + "." if rng.random() < 0.4 else ""
    return f"{sub}{word(rng)}.{rng.choice(TLDS)}"


def make_indicators(rng: random.Random, count: int) -> list[Indicator]:
    mix = [
        (IndicatorType.DOMAIN, 0.38),
        (IndicatorType.URL, 0.15),
        (IndicatorType.IPV4, 0.20),
        (IndicatorType.CIDR, 0.01),
        (IndicatorType.SHA256, 0.12),
        (IndicatorType.MD5, 0.06),
        (IndicatorType.FILENAME, 0.03),
        (IndicatorType.EMAIL, 0.05),
    ]
    result: list[Indicator] = []
    for kind, share in mix:
        for _ in range(int(count * share)):
            if kind is IndicatorType.DOMAIN:
                value = domain(rng)
            elif kind is IndicatorType.URL:
                value = f"http://{domain(rng)}/{word(rng)}/{word(rng)}.php"
            elif kind is IndicatorType.IPV4:
                value = ipv4(rng)
            elif kind is IndicatorType.CIDR:
                value = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24"
            elif kind is IndicatorType.SHA256:
                value = hashlib.sha256(rng.randbytes(16)).hexdigest()
            elif kind is IndicatorType.MD5:
                value = hashlib.md5(rng.randbytes(16)).hexdigest()
            elif kind is IndicatorType.FILENAME:
                value = f"{word(rng)}_{word(rng, 3, 6)}.exe"
            else:
                value = f"{word(rng)}@{domain(rng)}"
            result.append(Indicator(kind, value))
    return result


def log_line(rng: random.Random, number: int) -> str:
    style = number % 4
    stamp = f"Jan {1 + number % 28:2d} {number % 24:02d}:{number % 60:02d}:{(number * 7) % 60:02d}"
    if style == 0:
        return (
            f"{stamp} web01 sshd[{1000 + number % 30000}]: Failed password for "
            f"{rng.choice(USERS)} from {ipv4(rng)} port {rng.randint(1024, 65535)} ssh2"
        )
    if style == 1:
        return (
            f'{ipv4(rng)} - - [10/Jan/2026:{number % 24:02d}:00:00 +0900] "GET '
            f'{rng.choice(PATHS)} HTTP/1.1" {rng.choice([200, 301, 404, 500])} '
            f'{rng.randint(100, 90000)} "http://{domain(rng)}/" "{rng.choice(AGENTS)}"'
        )
    if style == 2:
        return (
            f"{stamp} proxy01 squid: {ipv4(rng)} TCP_MISS/200 {rng.randint(100, 9000)} "
            f"CONNECT {domain(rng)}:443 - HIER_DIRECT/{ipv4(rng)} -"
        )
    digest = hashlib.sha256(number.to_bytes(8, "big")).hexdigest()
    return (
        f"{stamp} edr01 agent: process=C:\\Users\\{rng.choice(USERS)}\\AppData\\{word(rng)}.exe "
        f"sha256={digest} parent=explorer.exe"
    )


def generate(folder: Path, size_mb: int, indicators: list[Indicator], rng: random.Random) -> int:
    planted = rng.sample(
        [i for i in indicators if i.type is not IndicatorType.CIDR], max(1, len(indicators) // 100)
    )
    target = size_mb * 1024 * 1024
    files = 4
    number = 0
    for index in range(files):
        with (folder / f"part{index}.log").open("w", encoding="utf-8") as handle:
            written = 0
            lines: list[str] = []
            while written < target // files:
                line = log_line(rng, number)
                if rng.random() < 0.0008:
                    line += f" ref={rng.choice(planted).value}"
                lines.append(line)
                written += len(line) + 1
                number += 1
                if len(lines) >= 20000:
                    handle.write("\n".join(lines) + "\n")
                    lines.clear()
            handle.write("\n".join(lines) + "\n" if lines else "")
    return len(planted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-mb", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="hunt-bench-"))
    try:
        indicators = make_indicators(rng, args.indicators)
        (folder / "iocs.txt").write_text("\n".join(i.value for i in indicators) + "\n")
        started = time.perf_counter()
        planted = generate(folder, args.size_mb, indicators, rng)
        logs = sorted(folder.glob("part*.log"))
        size = sum(p.stat().st_size for p in logs) / 1e6
        print(
            f"generated {size:.0f} MB in {len(logs)} files, {len(indicators)} indicators "
            f"({planted} planted) in {time.perf_counter() - started:.1f} s"
        )

        grep = shutil.which("grep") or "grep"
        started = time.perf_counter()
        done = subprocess.run(
            [grep, "-c", "-F", "-f", str(folder / "iocs.txt"), *map(str, logs)],
            capture_output=True,
            text=True,
            env={"LC_ALL": "C"},
            check=False,
        )
        grep_seconds = time.perf_counter() - started
        grep_lines = sum(int(line.rsplit(":", 1)[1]) for line in done.stdout.split())
        print(
            f"grep -F -f (LC_ALL=C): {grep_seconds:.1f} s, {size / grep_seconds:.1f} MB/s, "
            f"{grep_lines} matching lines (includes pattern compilation)"
        )

        started = time.perf_counter()
        matcher = Matcher.build(indicators)
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        matches = 0
        for path in logs:
            for _ in matcher.scan_file(path, chunk=args.chunk_mb * 1024 * 1024):
                matches += 1
        scan_seconds = time.perf_counter() - started
        total = build_seconds + scan_seconds
        print(
            f"madoguchi Matcher: build {build_seconds:.1f} s, scan {scan_seconds:.1f} s, "
            f"{size / scan_seconds:.1f} MB/s scanning, {size / total:.1f} MB/s with build, "
            f"{matches} matches"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
