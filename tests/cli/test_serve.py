"""``madoguchi serve --demo`` (what ``make run`` starts) as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.conftest import free_port
from tests.web.client import sign_in

from madoguchi.services.demo import ACCOUNTS


def test_serve_demo_starts_a_desk_where_the_printed_accounts_can_sign_in(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
        "MADOGUCHI_DATABASE_URL": "",
        "MADOGUCHI_SECRET_KEY": "",
    }
    env.pop("MADOGUCHI_BROKER_URL", None)
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "madoguchi", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            log.seek(0)
            raise AssertionError("server did not start:\n" + log.read())
        log.seek(0)
        printed = log.read()
        for account in ACCOUNTS:
            assert account.email in printed and account.password in printed
        with httpx.Client(base_url=base, timeout=30) as client:
            response = sign_in(client, ACCOUNTS[1].email, ACCOUNTS[1].password)
            assert response.status_code == 303
            queue = client.get("/desk/cases")
            assert queue.status_code == 200 and "MDG-" in queue.text
        assert (tmp_path / "data" / "madoguchi.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(20)
        log.close()
