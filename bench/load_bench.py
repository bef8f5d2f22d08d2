"""Load benchmark of the desk over loopback: reporter portal and API, in parallel.

Starts ``madoguchi serve`` as a subprocess on a free port with a temporary data
directory, seeds a desk organisation and reporters (each in its own organisation)
through the CLI, then runs timed phases with a thread pool of httpx clients:

* ``submit``   POST /api/v1/cases                      (new consultations)
* ``view``     GET  /api/v1/cases/{id}                  (API case view)
* ``portal``   GET  /cases/{id}                         (signed-in HTML case page)
* ``message``  POST /api/v1/cases/{id}/messages
* ``upload``   PUT  /api/v1/cases/{id}/evidence/{name}  (64 KiB bodies)

and finally one large streamed upload while the server's RSS is sampled with psutil
(memory should stay bounded: uploads are streamed to disk). Prints requests/s and
p50/p99 latency per phase, on SQLite and on PostgreSQL when one is reachable
(``MADOGUCHI_TEST_POSTGRES_URL``, default the local server). Nothing is asserted.

    .venv/bin/python bench/load_bench.py                     # short default run
    .venv/bin/python bench/load_bench.py --seconds 20 --threads 16 --upload-mb 2048
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PASSWORD = "load bench password 0123"
POSTGRES_URL = os.environ.get(
    "MADOGUCHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MAX_PHASE_SECONDS = 20.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Reporter:
    email: str
    token: str
    cases: list[int] = field(default_factory=list)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    reporters: list[Reporter]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "madoguchi", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def _start(database_url: str, data_dir: Path, reporters: int) -> Server:
    env = {
        **os.environ,
        "MADOGUCHI_DATA_DIR": str(data_dir),
        "MADOGUCHI_DATABASE_URL": database_url,
        "MADOGUCHI_SECRET_KEY": uuid.uuid4().hex * 2,
    }
    _cli(env, "db", "upgrade")
    _cli(env, "org", "create", "Bench desk", "--kind", "desk")
    people = []
    for number in range(reporters):
        org, email = f"Bench reporter org {number}", f"reporter{number}@example.org"
        _cli(env, "org", "create", org, "--kind", "victim")
        _cli(env, "user", "create", email, "--org", org, "--password", PASSWORD)
        people.append(Reporter(email, _cli(env, "token", "create", email).strip()))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "madoguchi", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return Server(url, process, people)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def _api(server: Server, reporter: Reporter) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {reporter.token}"},
        timeout=120,
    )


def _portal(server: Server, reporter: Reporter) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=120, follow_redirects=False)
    page = client.get("/login")
    match = _CSRF.search(page.text)
    assert match, "no CSRF token on the sign-in page"
    client.post(
        "/login", data={"email": reporter.email, "password": PASSWORD, "csrf_token": match[1]}
    )
    return client


Operation = Callable[[httpx.Client, Reporter, int], httpx.Response]

OPERATIONS: dict[str, Operation] = {
    "submit": lambda c, r, n: c.post(
        "/api/v1/cases", json={"title": f"Load case {n}", "categories": ["other"]}
    ),
    "view": lambda c, r, n: c.get(f"/api/v1/cases/{r.cases[n % len(r.cases)]}"),
    "portal": lambda c, r, n: c.get(f"/cases/{r.cases[n % len(r.cases)]}"),
    "message": lambda c, r, n: c.post(
        f"/api/v1/cases/{r.cases[n % len(r.cases)]}/messages", json={"body": f"update {n}"}
    ),
    "upload": lambda c, r, n: c.put(
        f"/api/v1/cases/{r.cases[n % len(r.cases)]}/evidence/log-{n}.txt",
        content=os.urandom(64 * 1024),
    ),
}


def _phase(server: Server, name: str, threads: int, seconds: float) -> None:
    operation = OPERATIONS[name]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    # sign-ins (slow password hashing) happen before the clock starts
    reporters = [server.reporters[index % len(server.reporters)] for index in range(threads)]
    opener = _portal if name == "portal" else _api
    clients = [opener(server, reporter) for reporter in reporters]
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        reporter, client = reporters[index], clients[index]
        count = 0
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = operation(client, reporter, count)
                elapsed = time.perf_counter() - started
                count += 1
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 400:
                        errors += 1
                    elif name == "submit":
                        reporter.cases.append(response.json()["id"])
        finally:
            client.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    wall = time.perf_counter() - began
    if not latencies:
        print(f"  {name:8} no requests completed")
        return
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"  {name:8} {len(latencies):6d} requests {len(latencies) / wall:8.1f} req/s   "
        f"p50 {statistics.median(latencies) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
        f"errors {errors}"
    )


def _large_upload(server: Server, megabytes: int) -> None:
    reporter = server.reporters[0]
    process = psutil.Process(server.process.pid)
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.05)

    def body() -> Iterator[bytes]:
        chunk = os.urandom(1024 * 1024)
        for _ in range(megabytes):
            yield chunk

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with _api(server, reporter) as client:
        response = client.put(f"/api/v1/cases/{reporter.cases[0]}/evidence/big.bin", content=body())
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    print(
        f"  large    {megabytes} MiB upload: HTTP {response.status_code} in {elapsed:.1f} s "
        f"({megabytes / elapsed:.0f} MiB/s); server RSS {baseline / 2**20:.0f} MiB before, "
        f"peak {peak / 2**20:.0f} MiB (+{(peak - baseline) / 2**20:.0f} MiB)"
    )


def _run(label: str, database_url: str, args: argparse.Namespace) -> None:
    print(f"\n{label}: {args.threads} threads, {args.seconds:.0f} s per phase", flush=True)
    with tempfile.TemporaryDirectory(prefix="madoguchi-load-") as folder:
        server = _start(database_url, Path(folder) / "data", args.reporters)
        try:
            for name in OPERATIONS:
                _phase(server, name, args.threads, args.seconds)
            _large_upload(server, args.upload_mb)
        finally:
            server.process.terminate()
            server.process.wait(30)


def _postgres_database() -> Iterator[str]:
    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any driver error: no PostgreSQL here
        print(f"\nPostgreSQL: not reachable ({type(error).__name__}); skipped")
        return
    name = f"mdg_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per phase (max 20)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--reporters", type=int, default=4)
    parser.add_argument("--upload-mb", type=int, default=256, help="the large upload")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    args.seconds = min(args.seconds, MAX_PHASE_SECONDS)
    with tempfile.TemporaryDirectory(prefix="madoguchi-load-db-") as folder:
        _run("SQLite", f"sqlite:///{Path(folder) / 'load.sqlite3'}", args)
    if not args.sqlite_only:
        for url in _postgres_database():
            _run("PostgreSQL", url, args)


if __name__ == "__main__":
    main()
