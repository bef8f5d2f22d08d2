"""Persistence: SQLAlchemy tables and repositories, Alembic migrations, the evidence store."""
