"""Table definitions. The first Alembic migration creates exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from madoguchi.domain.case import CaseKind, CaseStatus, PartyRole, Purpose, ReporterKind, Urgency
from madoguchi.domain.evidence import EvidenceStatus
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.domain.support import SupportStatus
from madoguchi.domain.tlp import TLP
from madoguchi.storage.sql.types import JsonType, StrEnumType, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("name_en", String(300), nullable=False, default=""),
    Column("kind", StrEnumType(OrgKind), nullable=False),
    Column("sector", String(100), nullable=False, default=""),
    Column("country", String(2), nullable=False, default="JP"),
    Column("domains", JsonType, nullable=False, default=list),
    Column("verified", Boolean, nullable=False, default=True),
    Column("require_totp", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("language", String(8), nullable=False, default=""),
    Column("totp_secret", String(64)),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("locked_until", UtcDateTime),
    Column("created_at", UtcDateTime),
    Column("last_login_at", UtcDateTime),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", StrEnumType(Role), nullable=False),
    UniqueConstraint("user_id", "organisation_id", name="uq_memberships_user_org"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("revoked", Boolean, nullable=False, default=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("kind", StrEnumType(CaseKind), nullable=False),
    Column("purpose", StrEnumType(Purpose), nullable=False),
    Column("status", StrEnumType(CaseStatus), nullable=False, index=True),
    Column("tlp", StrEnumType(TLP), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("categories", JsonType, nullable=False, default=list),
    Column("products", JsonType, nullable=False, default=list),
    Column("cves", JsonType, nullable=False, default=list),
    Column("started_at", UtcDateTime),
    Column("noticed_at", UtcDateTime),
    Column("timezone", String(64), nullable=False, default="Asia/Tokyo"),
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("assignee_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("reporter_kind", StrEnumType(ReporterKind), nullable=False, default="victim"),
    Column("on_behalf", Boolean, nullable=False, default=False),
    Column("actions_taken", Text, nullable=False, default=""),
    Column("urgency", StrEnumType(Urgency), nullable=False, default="normal"),
    Column("merged_into_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("hearing_open", Boolean, nullable=False, default=False),
    Column("victim_name", String(300), nullable=False, default=""),
    Column("hide_victim", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime),
    Column("updated_at", UtcDateTime),
)

case_parties = Table(
    "case_parties",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    Column("role", StrEnumType(PartyRole), nullable=False),
    Column("hide_identity", Boolean, nullable=False, default=False),
    UniqueConstraint("case_id", "organisation_id", "role", name="uq_case_parties_case_org_role"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False, default=True),
    Column("shared_with", JsonType, nullable=False, default=list),
    Column("tlp", StrEnumType(TLP), nullable=False),
    Column("created_at", UtcDateTime),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor_id", Integer),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("case_id", Integer, index=True),
    Column("organisation_id", Integer),
    Column("detail", JsonType, nullable=False, default=dict),
    Column("ip", String(64)),
    # hardening (issue 10): tamper-evident hash chain, see services/audit.py
    Column("prev_hash", String(64), index=True, unique=True),
    Column("entry_hash", String(64)),
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("payload", JsonType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("locked_by", String(100)),
    Index("ix_jobs_status_created", "status", "created_at"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("parent_id", ForeignKey("evidence.id", ondelete="CASCADE"), index=True),
    Column("filename", String(500), nullable=False),
    Column("member_path", Text, nullable=False, default=""),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", StrEnumType(EvidenceStatus), nullable=False),
    Column("problem", Text, nullable=False, default=""),
    Column("tlp", StrEnumType(TLP), nullable=False),
    Column("shared_with", JsonType, nullable=False, default=list),
    Column("is_malware", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("uploaded_by", ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("uploaded_at", UtcDateTime),
)

message_attachments = Table(
    "message_attachments",
    metadata,
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True),
)

hearing_answers = Table(
    "hearing_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question_id", String(120), nullable=False),
    Column("value", JsonType),
    Column("answered_by", ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("answered_at", UtcDateTime, nullable=False),
)

support_items = Table(
    "support_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("item_id", String(80), nullable=False),
    Column("status", StrEnumType(SupportStatus), nullable=False),
    Column("recommended", Boolean, nullable=False, default=False),
    Column("reasons", JsonType, nullable=False, default=list),
    Column("note", Text, nullable=False, default=""),
    Column("updated_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("updated_at", UtcDateTime),
    UniqueConstraint("case_id", "item_id", name="uq_support_items_case_item"),
)

case_links = Table(
    "case_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("other_case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UtcDateTime),
    UniqueConstraint("case_id", "other_case_id", name="uq_case_links_pair"),
)

login_links = Table(
    "login_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

desk_settings = Table(
    "desk_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JsonType, nullable=False),
)

# --- analysis, indicators and sightings (issues 4 and 7) ------------------------------------

analysis_results = Table(
    "analysis_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="CASCADE"), nullable=False),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("analyzer", String(64), nullable=False),
    Column("analyzer_version", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", JsonType),
    Column("findings", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    UniqueConstraint("evidence_id", "analyzer", "analyzer_version", name="uq_analysis_results_run"),
)

# One row per part of a large file analysed by several jobs (issue: scale-out); the rows
# of a set are created together, filled by the part jobs and deleted after the merge.
analysis_parts = Table(
    "analysis_parts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(64), nullable=False),
    Column("analyzer_version", String(32), nullable=False),
    Column("part", Integer, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("run", String(32), nullable=False),
    Column("data", LargeBinary),
    Column("created_at", UtcDateTime, nullable=False),
    Column("stored_at", UtcDateTime),
    UniqueConstraint(
        "evidence_id", "analyzer", "analyzer_version", "part", name="uq_analysis_parts_part"
    ),
)

indicators = Table(
    "indicators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("value_key", String(64), nullable=False, unique=True),
    Column("tlp", StrEnumType(TLP), nullable=False),
    Column("source", String(16), nullable=False),
    Column("source_name", String(200), nullable=False, default=""),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("confidence", Integer, nullable=False, default=50),
    Column("tags", JsonType, nullable=False, default=list),
    Column("description", Text, nullable=False, default=""),
    Column("first_seen", UtcDateTime),
    Column("last_seen", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("false_positive", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
)

sightings = Table(
    "sightings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="SET NULL")),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="SET NULL")),
    Column("first_seen", UtcDateTime),
    Column("last_seen", UtcDateTime),
    Column("count", Integer, nullable=False, default=1),
    Column("stage", String(24)),
    Column("context", Text, nullable=False, default=""),
    Column("analyzer", String(64), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
)

case_markers = Table(
    "case_markers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),  # family | contact | technique
    Column("value", String(300), nullable=False),
    Column("source", String(64), nullable=False, default=""),
    UniqueConstraint("case_id", "kind", "value", name="uq_case_markers_case_kind_value"),
)

# --- advisories (issue 7) ---------------------------------------------------------------------

advisories = Table(
    "advisories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),
    Column("tlp", StrEnumType(TLP), nullable=False),
    Column("content", JsonType, nullable=False),
    Column("case_ids", JsonType, nullable=False, default=list),
    Column("indicator_ids", JsonType, nullable=False, default=list),
    Column("source", String(300), nullable=False, default=""),
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("updated_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("review_requested_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("approved_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("approved_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime),
    Column("revision", Integer, nullable=False, default=0),
)

advisory_revisions = Table(
    "advisory_revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "advisory_id", ForeignKey("advisories.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("number", Integer, nullable=False),
    Column("content", JsonType, nullable=False),
    Column("indicators", JsonType, nullable=False, default=list),
    Column("published_at", UtcDateTime, nullable=False),
    Column("published_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("approved_by", ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint("advisory_id", "number", name="uq_advisory_revisions_number"),
)

# --- leaks and advice (issue 8) -------------------------------------------------------------

leak_posts = Table(
    "leak_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("source", String(32), nullable=False),
    Column("post_title", Text, nullable=False),
    Column("group_name", String(200), nullable=False, default=""),
    Column("discovered", UtcDateTime),
    Column("published", UtcDateTime),
    Column("post_url", Text, nullable=False, default=""),
    Column("website", String(500), nullable=False, default=""),
    Column("country", String(8), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("activity", String(200), nullable=False, default=""),
    Column("imported_at", UtcDateTime, nullable=False),
)

leak_matches = Table(
    "leak_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("leak_posts.id", ondelete="CASCADE"), nullable=False),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), index=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("matched_name", String(300), nullable=False),
    Column("matched_on", String(16), nullable=False),
    Column("score", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("shared_with", JsonType, nullable=False, default=list),
    Column("reviewed_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("reviewed_at", UtcDateTime),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
)

exfil_items = Table(
    "exfil_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("key", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("confidence", Integer, nullable=False),
    Column("tool", String(64), nullable=False, default=""),
    Column("hosts", JsonType, nullable=False, default=list),
    Column("accounts", JsonType, nullable=False, default=list),
    Column("sources", JsonType, nullable=False, default=list),
    Column("destinations", JsonType, nullable=False, default=list),
    Column("filters", JsonType, nullable=False, default=list),
    Column("bytes", BigInteger),
    Column("first_seen", UtcDateTime),
    Column("last_seen", UtcDateTime),
    Column("evidence", JsonType, nullable=False, default=list),
    Column("state", String(16), nullable=False),
    Column("shared_with", JsonType, nullable=False, default=list),
    Column("personal_data", Boolean, nullable=False, default=False),
    Column("reviewed_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("reviewed_at", UtcDateTime),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("case_id", "key", name="uq_exfil_items_case_key"),
)

playbook_checks = Table(
    "playbook_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("playbook_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("checked", Boolean, nullable=False),
    Column("checked_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("checked_at", UtcDateTime),
    UniqueConstraint("case_id", "playbook_id", "item_id", name="uq_playbook_checks_item"),
)

advice_memos = Table(
    "advice_memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("lang", String(8), nullable=False),
    Column("title", String(300), nullable=False),
    Column("intro", Text, nullable=False, default=""),
    Column("sections", JsonType, nullable=False, default=list),
    Column("values", JsonType, nullable=False, default=dict),
    Column("html", Text, nullable=False),
    Column("created_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("shared_with", JsonType, nullable=False, default=list),
    Column("message_id", ForeignKey("messages.id", ondelete="SET NULL")),
    Column("pdf_evidence_id", ForeignKey("evidence.id", ondelete="SET NULL")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("shared_at", UtcDateTime),
)

misp_pushes = Table(
    "misp_pushes",
    metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("event_uuid", String(36), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("requested_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("requested_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("pushed_at", UtcDateTime),
    Column("misp_event_id", String(64), nullable=False, default=""),
    Column("sent", Integer, nullable=False, default=0),
    Column("withheld", Integer, nullable=False, default=0),
    Column("ceiling", String(16), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("error_detail", Text, nullable=False, default=""),
)
