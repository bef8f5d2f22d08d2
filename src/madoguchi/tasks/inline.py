"""The inline TaskQueue: jobs persisted in the database, run by a thread in this process.

A job row goes ``queued → running → done`` (or ``failed`` after ``max_attempts``).
Jobs left ``running`` by a process that died are queued again when a worker starts,
so a restart resumes them.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from madoguchi.storage.sql.tables import jobs
from madoguchi.tasks.handlers import JobHandlers

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class InlineTaskQueue:
    def __init__(self, engine: Engine, handlers: JobHandlers, *, max_attempts: int = 3) -> None:
        self.engine = engine
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.worker_id = f"inline-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def enqueue(self, name: str, payload: Mapping[str, Any]) -> str:
        job_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(jobs).values(
                    id=job_id,
                    name=name,
                    payload=dict(payload),
                    status=QUEUED,
                    attempts=0,
                    created_at=datetime.now(UTC),
                )
            )
        self._wake.set()
        return job_id

    def status(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return dict(row) if row is not None else None

    def recover(self) -> int:
        """Queue again the jobs a dead process left running."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(jobs).where(jobs.c.status == RUNNING).values(status=QUEUED, locked_by=None)
            )
        return int(result.rowcount or 0)

    def _claim(self) -> tuple[str, str, dict[str, Any], int] | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(jobs.c.id, jobs.c.name, jobs.c.payload, jobs.c.attempts)
                .where(jobs.c.status == QUEUED)
                .order_by(jobs.c.created_at)
                .limit(1)
            ).first()
            if row is None:
                return None
            claimed = conn.execute(
                update(jobs)
                .where(jobs.c.id == row.id, jobs.c.status == QUEUED)
                .values(
                    status=RUNNING,
                    attempts=row.attempts + 1,
                    started_at=datetime.now(UTC),
                    locked_by=self.worker_id,
                )
            )
            if claimed.rowcount != 1:
                return None  # another worker was quicker
            return row.id, row.name, dict(row.payload), row.attempts + 1

    def run_one(self) -> bool:
        """Run the oldest queued job; False when there was none."""
        claimed = self._claim()
        if claimed is None:
            return False
        job_id, name, payload, attempt = claimed
        try:
            handler = self.handlers[name]
            handler(payload)
        except Exception as error:
            log.warning("job %s (%s) failed: %s", job_id, name, error)
            status = FAILED if attempt >= self.max_attempts or name not in self.handlers else QUEUED
            with self.engine.begin() as conn:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(
                        status=status,
                        last_error="".join(traceback.format_exception_only(error)).strip()[:4000],
                        finished_at=datetime.now(UTC) if status == FAILED else None,
                        locked_by=None,
                    )
                )
            return True
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(status=DONE, finished_at=datetime.now(UTC), locked_by=None)
            )
        return True

    def run_pending(self, limit: int = 10_000) -> int:
        """Run queued jobs until none is left (tests and ``madoguchi jobs run``)."""
        count = 0
        while count < limit and self.run_one():
            count += 1
        return count

    def start(self) -> None:
        if self._thread is not None:
            return
        self.recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.worker_id, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_one()
            except Exception:  # the database went away: wait and try again
                log.exception("inline worker could not reach the database")
                worked = False
            if not worked:
                self._wake.wait(2.0)
                self._wake.clear()
