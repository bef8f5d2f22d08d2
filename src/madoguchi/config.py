"""Settings, read from ``MADOGUCHI_*`` environment variables or a ``.env`` file.

Nothing here opens a connection; ``Settings`` is a plain value handed to
``create_app(settings)`` and to the CLI commands.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FIELDS = frozenset({"secret_key", "smtp_password", "evidence_secret_key"})
LANGUAGES = ("ja", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MADOGUCHI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite file and evidence live"
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in the data directory"
    )
    evidence_dir: Path | None = Field(
        default=None, description="Evidence store (default data/evidence)"
    )
    evidence_url: str = Field(
        default="",
        description="s3://bucket/prefix of an S3-compatible store; empty uses evidence_dir",
    )
    evidence_endpoint_url: str = Field(
        default="", description="S3 endpoint, e.g. https://s3.example.org (empty: AWS)"
    )
    evidence_region: str = ""
    evidence_access_key: str = ""
    evidence_secret_key: SecretStr = SecretStr("")
    evidence_cache_dir: Path | None = Field(
        default=None,
        description="Local copies of S3 evidence for analyzers (default data/evidence-cache)",
    )
    evidence_cache_max_bytes: int = 20 * 1024**3
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs session cookies; generated into the data dir when empty",
    )
    base_url: str = "http://127.0.0.1:8000"
    default_language: str = "ja"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "madoguchi@localhost"
    broker_url: str = Field(
        default="", description="Celery broker (redis://...); empty runs jobs inline"
    )
    job_visibility_timeout: int = Field(
        default=6 * 3600,
        ge=1,
        description="Seconds before Redis gives a dead worker's job to another worker;"
        " longer than the longest job",
    )
    evtx_part_mb: float = Field(
        default=256,
        ge=0,
        description="An uploaded .evtx file at least this many MB is analysed in parts of"
        " about this size, one job each, then merged; 0 turns splitting off",
    )
    rule_dirs: str = Field(
        default="",
        description="Sigma and YARA rule folders the desk's analysis adds to the built-in rules,"
        " separated by the path separator (':' on Linux, ';' on Windows)",
    )
    sigma_placeholders: Path | None = Field(
        default=None,
        description="YAML file of values for %name% placeholders in those rules"
        " (name: [values]); read again for every analysis",
    )
    inline_worker: bool = Field(
        default=True, description="Run an in-process job worker in the web server"
    )
    session_max_age: int = 8 * 3600
    max_upload_bytes: int = 20 * 1024**3
    allow_anonymous_reports: bool = False
    secure_cookies: bool = False

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(LANGUAGES)}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'madoguchi.sqlite3').as_posix()}"

    @property
    def effective_rule_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(part) for part in self.rule_dirs.split(os.pathsep) if part.strip())

    @property
    def effective_evidence_dir(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def effective_evidence_cache_dir(self) -> Path:
        return self.evidence_cache_dir or self.data_dir / "evidence-cache"

    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        import secrets

        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key, encoding="utf-8")
        key_file.chmod(0o600)
        return key

    def masked(self) -> dict[str, Any]:
        """Effective settings for display, secrets replaced by ``********``."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRET_FIELDS:
                shown[name] = "********" if value.get_secret_value() else "(not set)"
            elif name == "database_url":
                shown[name] = mask_url(self.effective_database_url)
            elif name == "broker_url":
                shown[name] = mask_url(value) if value else "(inline worker)"
            elif name == "evidence_dir":
                shown[name] = str(self.effective_evidence_dir)
            elif name == "evidence_cache_dir":
                shown[name] = str(self.effective_evidence_cache_dir)
            elif name == "evidence_endpoint_url":
                shown[name] = mask_url(value)
            else:
                shown[name] = str(value) if isinstance(value, Path) else value
        return shown


def mask_url(url: str) -> str:
    """Hide the password in ``scheme://user:password@host/...``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}" if ":" in credentials else url
