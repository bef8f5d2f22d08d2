"""The SQL unit of work: one session, every repository on it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from madoguchi.storage.sql.advice_repo import SqlAdviceRepo
from madoguchi.storage.sql.advisory_repo import SqlAdvisoryRepo
from madoguchi.storage.sql.audit_chain_repo import SqlAuditChainRepo
from madoguchi.storage.sql.case_repos import (
    SqlCaseLinkRepo,
    SqlDeskSettingsRepo,
    SqlEvidenceRepo,
    SqlHearingRepo,
    SqlLoginLinkRepo,
    SqlSupportRepo,
)
from madoguchi.storage.sql.indicator_repo import SqlAnalysisRepo, SqlIndicatorRepo
from madoguchi.storage.sql.leak_repo import SqlLeakRepo
from madoguchi.storage.sql.misp_push_repo import SqlMispPushRepo
from madoguchi.storage.sql.repos import (
    SqlAuditRepo,
    SqlCaseRepo,
    SqlMessageRepo,
    SqlOrganisationRepo,
    SqlTokenRepo,
    SqlUserRepo,
)


class SqlUnitOfWork:
    """Use as ``with factory() as uow: ...; uow.commit()``; what is not committed is
    rolled back when the block ends."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session: Session = session_factory()
        self.organisations = SqlOrganisationRepo(self.session)
        self.users = SqlUserRepo(self.session)
        self.tokens = SqlTokenRepo(self.session)
        self.cases = SqlCaseRepo(self.session)
        self.messages = SqlMessageRepo(self.session)
        self.audit = SqlAuditRepo(self.session)
        self.evidence = SqlEvidenceRepo(self.session)
        self.hearing = SqlHearingRepo(self.session)
        self.support = SqlSupportRepo(self.session)
        self.links = SqlCaseLinkRepo(self.session)
        self.login_links = SqlLoginLinkRepo(self.session)
        self.desk_settings = SqlDeskSettingsRepo(self.session)
        self.indicators = SqlIndicatorRepo(self.session)
        self.analysis = SqlAnalysisRepo(self.session)
        # --- advisories (issue 7): self.advisories = ... goes here ---
        self.advisories = SqlAdvisoryRepo(self.session)
        # --- leaks and advice (issue 8): self.leaks = ..., self.advice = ... go here ---
        self.leaks = SqlLeakRepo(self.session)
        self.advice = SqlAdviceRepo(self.session)
        # --- issue 7: the state of each case's MISP event ---
        self.misp_pushes = SqlMispPushRepo(self.session)
        # --- hardening (issue 10): the audit hash chain ---
        self.audit_chain = SqlAuditChainRepo(self.session)

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() discards what was not committed but keeps loaded objects readable.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()


class SqlUnitOfWorkFactory:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)
