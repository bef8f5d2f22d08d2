"""SQLAlchemy 2 storage: tables, imperative mapping of the domain classes, repositories."""
