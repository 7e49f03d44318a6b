"""Persistence: SQLAlchemy base, engine and sessions, unit of work, repository base."""
