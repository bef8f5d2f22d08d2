"""Celery behind the same TaskQueue port, for workers on other machines.

There is one Celery task, ``madoguchi.run_job(name, payload)``; it dispatches to the
handlers of the process it runs in. Nothing is built at import time:
``make_celery`` is called by the web process (to send) and by ``madoguchi worker``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from celery import Celery

from madoguchi.tasks.handlers import JobHandlers, UnknownJobError

RUN_JOB = "madoguchi.run_job"


def make_celery(broker_url: str, handlers: JobHandlers, *, name: str = "madoguchi") -> Celery:
    app = Celery(name, broker=broker_url, backend=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=3600,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name=RUN_JOB, bind=True, shared=False, max_retries=3, default_retry_delay=5)  # type: ignore[untyped-decorator]
    def run_job(self: Any, job_name: str, payload: dict[str, Any]) -> str:
        try:
            handler = handlers[job_name]
        except KeyError as error:
            raise UnknownJobError(job_name) from error
        handler(payload)
        return "done"

    return app


class CeleryTaskQueue:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def enqueue(self, name: str, payload: Mapping[str, Any]) -> str:
        job_id = str(uuid.uuid4())
        self.app.send_task(RUN_JOB, args=[name, dict(payload)], task_id=job_id)
        return job_id
