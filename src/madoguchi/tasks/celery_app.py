"""Celery behind the same TaskQueue port, for workers on other machines.

There is one Celery task, ``madoguchi.run_job(name, payload)``; it dispatches to the
handlers of the process it runs in. Nothing is built at import time:
``make_celery`` is called by the web process (to send) and by ``madoguchi worker``.

Delivery is at least once. A job is acknowledged only after it finished
(``task_acks_late``), each worker holds one job at a time
(``worker_prefetch_multiplier=1``), and the job of a worker that dies mid-job goes back
to the queue: at once when only a pool process died (``task_reject_on_worker_lost``),
or once the Redis visibility timeout has passed when the whole worker was killed. A job
that fails on a transient error (the database was restarting) is retried with a delay.
Handlers are therefore idempotent: analysis results are replaced, never added twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from celery import Celery

from madoguchi.tasks.handlers import JobHandlers, UnknownJobError

log = logging.getLogger(__name__)

RUN_JOB = "madoguchi.run_job"

#: Seconds a job may run before Redis hands it to another worker (it must exceed the
#: longest job, or a slow job runs twice; the stored result stays single either way).
DEFAULT_VISIBILITY_TIMEOUT = 6 * 3600
MAX_RETRIES = 3
RETRY_DELAY = 10


def transport_options(visibility_timeout: int) -> dict[str, Any]:
    """Redis transport options: unacknowledged jobs of dead workers are looked for about
    ten times per visibility timeout (at most once a minute)."""
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(60, visibility_timeout // 10)),
        "unacked_restore_throttle": 1,
    }


def make_celery(
    broker_url: str,
    handlers: JobHandlers,
    *,
    name: str = "madoguchi",
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
) -> Celery:
    app = Celery(name, broker=broker_url, backend=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A lost broker connection re-queues the unacknowledged job; stop running it here.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_transport_options=transport_options(visibility_timeout),
        result_backend_transport_options={"retry_policy": {"timeout": 5.0}},
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=24 * 3600,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
    )

    @app.task(  # type: ignore[untyped-decorator]
        name=RUN_JOB,
        bind=True,
        shared=False,
        max_retries=MAX_RETRIES,
        default_retry_delay=RETRY_DELAY,
    )
    def run_job(self: Any, job_name: str, payload: dict[str, Any]) -> str:
        try:
            handler = handlers[job_name]
        except KeyError as error:
            raise UnknownJobError(job_name) from error
        try:
            handler(payload)
        except Exception as error:
            log.warning("job %s (%s) failed: %s", self.request.id, job_name, error)
            # Same task id, so the job stays one job; the message is re-published first,
            # then this delivery is acknowledged.
            raise self.retry(exc=error) from error
        return "done"

    return app


class CeleryTaskQueue:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def enqueue(self, name: str, payload: Mapping[str, Any]) -> str:
        job_id = str(uuid.uuid4())
        self.app.send_task(RUN_JOB, args=[name, dict(payload)], task_id=job_id)
        return job_id
