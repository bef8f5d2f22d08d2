"""The confirmation mail job, run through the inline queue and through Celery on Redis,
delivered to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from sqlalchemy import update
from tests.conftest import REDIS_URL, _unavailable, free_port
from tests.smtp import Inbox
from tests.world import build_world

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.services import notifications
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.tables import jobs
from madoguchi.tasks.celery_app import CeleryTaskQueue
from madoguchi.tasks.inline import DONE, FAILED, QUEUED, RUNNING, InlineTaskQueue


def _with_smtp(settings: Settings, inbox: Inbox, **changes: object) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": inbox.port, **changes}
    )


def test_inline_queue_delivers_the_confirmation_mail(settings: Settings, inbox: Inbox) -> None:
    desk = build_desk(_with_smtp(settings, inbox))
    migrate.upgrade(desk.engine)
    world = build_world(desk)
    queue = desk.inline_queue
    assert queue is not None
    job_id = queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": world.case_a})
    assert queue.run_pending() == 1
    status = queue.status(job_id)
    assert status is not None and status["status"] == DONE
    [mail] = inbox.wait(1)
    assert mail["To"] == world.people["party_reporter"].email
    assert "MDG-" in mail["Subject"]
    assert f"/cases/{world.case_a}" in mail.get_content()
    desk.close()


def test_mail_is_written_in_the_reporters_language(settings: Settings, inbox: Inbox) -> None:
    desk = build_desk(_with_smtp(settings, inbox))
    migrate.upgrade(desk.engine)
    world = build_world(desk)
    with desk.uow_factory() as uow:
        user = uow.users.get(world.people["party_reporter"].user_id)
        assert user is not None
        user.language = "ja"
        uow.commit()
    queue = desk.inline_queue
    assert queue is not None
    queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": world.case_a})
    queue.run_pending()
    [mail] = inbox.wait(1)
    assert "受け付けました" in mail["Subject"]
    desk.close()


def test_a_job_left_running_by_a_dead_process_is_resumed(desk: Desk) -> None:
    ran: list[dict[str, Any]] = []
    queue = InlineTaskQueue(desk.engine, {"record": lambda payload: ran.append(dict(payload))})
    job_id = queue.enqueue("record", {"n": 1})
    # Simulate a crash after the job was claimed.
    with desk.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(status=RUNNING))
    assert queue.run_pending() == 0
    assert queue.recover() == 1
    assert queue.run_pending() == 1
    assert ran == [{"n": 1}]


def test_a_failing_job_is_retried_then_marked_failed(desk: Desk) -> None:
    def broken(payload: Any) -> None:
        raise RuntimeError("SMTP server said no")

    queue = InlineTaskQueue(desk.engine, {"broken": broken}, max_attempts=2)
    job_id = queue.enqueue("broken", {})
    queue.run_one()
    first = queue.status(job_id)
    assert first is not None and first["status"] == QUEUED and first["attempts"] == 1
    queue.run_one()
    final = queue.status(job_id)
    assert final is not None and final["status"] == FAILED
    assert "SMTP server said no" in final["last_error"]


def test_the_inline_worker_thread_runs_jobs_in_the_background(desk: Desk) -> None:
    ran: list[int] = []
    queue = InlineTaskQueue(desk.engine, {"record": lambda payload: ran.append(payload["n"])})
    queue.start()
    try:
        queue.enqueue("record", {"n": 7})
        deadline = time.monotonic() + 20
        while not ran and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        queue.stop()
    assert ran == [7]


@pytest.mark.redis
def test_celery_worker_on_redis_delivers_the_confirmation_mail(
    settings: Settings, inbox: Inbox
) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        _unavailable(f"Redis at {REDIS_URL}", error)
    from celery.contrib.testing.worker import start_worker

    desk = build_desk(_with_smtp(settings, inbox, broker_url=REDIS_URL))
    migrate.upgrade(desk.engine)
    world = build_world(desk)
    assert isinstance(desk.queue, CeleryTaskQueue)
    app = desk.queue.app
    app.conf.task_default_queue = "madoguchi-test-" + str(free_port())
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        job_id = desk.queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": world.case_a})
        result = app.AsyncResult(job_id)
        assert result.get(timeout=60) == "done"
    [mail] = inbox.wait(1)
    assert mail["To"] == world.people["party_reporter"].email
    desk.close()
