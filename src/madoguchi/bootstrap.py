"""Composition root: builds storage, queue and mailer behind the ports from settings.

``build_desk(settings)`` is called by ``create_app`` and by the CLI; nothing here runs
at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.config import Settings
from madoguchi.ports import EvidenceStore, Mailer, TaskQueue
from madoguchi.services import (
    analysis_options,
    analysis_runs,
    leak_feed,
    leak_sites,
    misp_push,
    notifications,
)
from madoguchi.services.clock import SystemClock
from madoguchi.storage.evidence_stores import build_evidence_store
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWorkFactory
from madoguchi.tasks.celery_app import CeleryTaskQueue, make_celery
from madoguchi.tasks.handlers import JobHandler
from madoguchi.tasks.inline import InlineTaskQueue
from madoguchi.tasks.mailer import NullMailer, SmtpMailer


@dataclass
class Desk:
    """Everything a request, a job or a command needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    uow_factory: SqlUnitOfWorkFactory
    mailer: Mailer
    queue: TaskQueue
    store: EvidenceStore
    clock: SystemClock = field(default_factory=SystemClock)
    handlers: dict[str, JobHandler] = field(default_factory=dict)

    @property
    def inline_queue(self) -> InlineTaskQueue | None:
        return self.queue if isinstance(self.queue, InlineTaskQueue) else None

    def close(self) -> None:
        if self.inline_queue is not None:
            self.inline_queue.stop()
        self.engine.dispose()


def build_mailer(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        return NullMailer()
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
    )


def job_handlers(desk: Desk) -> dict[str, JobHandler]:
    mail_jobs = {
        notifications.CASE_CONFIRMATION: notifications.send_case_confirmation,
        notifications.DESK_NEW_CASE: notifications.send_desk_notice,
        notifications.SHARED_MESSAGE: notifications.send_shared_message_notice,
        notifications.WELCOME: notifications.send_welcome,
        leak_sites.MATCH_NOTICE: leak_sites.send_match_notice,
        leak_feed.FETCH_JOB: leak_feed.fetch_job,
    }
    handlers: dict[str, JobHandler] = {
        name: partial(func, desk.uow_factory, desk.mailer, desk.settings.base_url)
        for name, func in mail_jobs.items()
    }

    def analyse(payload: Mapping[str, Any]) -> None:
        analysis_runs.run_evidence_analysis(
            desk.uow_factory,
            desk.store,
            payload,
            queue=desk.queue,
            part_mb=desk.settings.evtx_part_mb,
            options=analysis_options.run_options(desk.settings),
        )

    def analyse_part(payload: Mapping[str, Any]) -> None:
        options = analysis_options.run_options(desk.settings)
        analysis_runs.run_evidence_part(desk.uow_factory, desk.store, payload, options=options)

    handlers[analysis_runs.ANALYSIS_JOB] = analyse
    handlers[analysis_runs.PART_JOB] = analyse_part
    handlers[misp_push.PUSH_JOB] = partial(misp_push.push_job, desk.uow_factory)
    return handlers


def build_desk(settings: Settings, *, mailer: Mailer | None = None) -> Desk:
    engine = make_engine(settings.effective_database_url)
    session_factory = make_session_factory(engine)
    handlers: dict[str, JobHandler] = {}
    queue: TaskQueue
    if settings.broker_url:
        queue = CeleryTaskQueue(
            make_celery(
                settings.broker_url, handlers, visibility_timeout=settings.job_visibility_timeout
            )
        )
    else:
        queue = InlineTaskQueue(engine, handlers)
    desk = Desk(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        uow_factory=SqlUnitOfWorkFactory(session_factory),
        mailer=mailer or build_mailer(settings),
        queue=queue,
        store=build_evidence_store(settings),
        handlers=handlers,
    )
    # The queue holds the same dict, so handlers added here are the ones it runs.
    handlers.update(job_handlers(desk))
    return desk
