"""Database-level operations for ``madoguchi doctor|backup|restore``.

SQLite is copied with the sqlite3 online backup API (consistent while the server
runs); PostgreSQL with ``pg_dump`` / ``psql`` from PATH (plain SQL, no owners).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from madoguchi.domain.errors import ConfigurationError
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.db import make_engine

PG_TIMEOUT = 3600


class SqlDatabase:
    """One database, addressed by its SQLAlchemy URL (``services.operations.Database``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()

    # --- health ---------------------------------------------------------------------

    def ping(self) -> None:
        """Raise if the database cannot be reached (short connect timeout)."""
        if self.dialect == "sqlite":
            path = self._sqlite_path()
            if not path.exists():
                raise ConfigurationError("the SQLite file does not exist", where=str(path))
            engine = make_engine(self.url)
        else:
            engine = make_engine(self.url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()

    def revisions(self) -> tuple[str | None, str | None]:
        """(current schema revision, newest revision this code knows)."""
        engine = make_engine(self.url)
        try:
            return migrate.current_revision(engine), migrate.head_revision(engine)
        finally:
            engine.dispose()

    def is_empty(self) -> bool:
        """No tables at all (a fresh database, or a SQLite file that is not there)."""
        if self.dialect == "sqlite" and not self._sqlite_path().exists():
            return True
        engine = make_engine(self.url)
        try:
            return not inspect(engine).get_table_names()
        finally:
            engine.dispose()

    # --- dump and load --------------------------------------------------------------

    @property
    def dump_name(self) -> str:
        return "madoguchi.sqlite3" if self.dialect == "sqlite" else "dump.sql"

    def dump(self, target: Path) -> None:
        """Write a consistent copy of the whole database to ``target``."""
        if self.dialect == "sqlite":
            source = sqlite3.connect(self._sqlite_path())
            copy = sqlite3.connect(target)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
            return
        self._run(
            "pg_dump",
            ["--format=plain", "--no-owner", "--no-privileges", f"--file={target}"],
        )

    def load(self, source: Path, *, replace: bool) -> None:
        """Load a dump written by ``dump``; ``replace`` wipes what is there first."""
        if self.dialect == "sqlite":
            path = self._sqlite_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            if replace:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            staged = path.with_name(path.name + ".restoring")
            shutil.copyfile(source, staged)
            staged.replace(path)
            return
        if replace:
            engine = make_engine(self.url)
            try:
                with engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            finally:
                engine.dispose()
        self._run("psql", ["--quiet", "-v", "ON_ERROR_STOP=1", f"--file={source}"])

    # --- helpers --------------------------------------------------------------------

    def _sqlite_path(self) -> Path:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            raise ConfigurationError("an in-memory SQLite database cannot be backed up")
        return Path(database)

    def _libpq_url(self) -> str:
        url = make_url(self.url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _run(self, tool: str, args: list[str]) -> None:
        if shutil.which(tool) is None:
            raise ConfigurationError(
                f"{tool} is not on PATH: install the PostgreSQL client tools "
                "(the same major version as the server)"
            )
        completed = subprocess.run(
            [tool, *args, f"--dbname={self._libpq_url()}"],
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT,
            check=False,
        )
        if completed.returncode != 0:
            raise ConfigurationError(f"{tool} failed: {completed.stderr.strip()[:2000]}")
