"""Unit of work: entry points own transactions; services only flush.

After a successful commit, registered callbacks run (the outbox dispatcher is woken this
way), so work that must follow a commit never runs for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import WRITE_INTENT

AfterCommit = Callable[[], None]
_after_commit_hooks: list[AfterCommit] = []


def on_after_commit(hook: AfterCommit) -> None:
    """Register a process-wide hook called after every unit of work commits."""
    if hook not in _after_commit_hooks:
        _after_commit_hooks.append(hook)


def remove_after_commit(hook: AfterCommit) -> None:
    if hook in _after_commit_hooks:
        _after_commit_hooks.remove(hook)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, writes: bool = False) -> Iterator[Session]:
    """Open a session, commit when the block succeeds, roll back on any exception.

    ``writes=True`` declares that the block will write: on SQLite its transaction then takes
    the write lock when it begins (``BEGIN IMMEDIATE``), so concurrent writers are
    serialised and each reads the state the previous one committed. PostgreSQL ignores it
    (row locks and constraints protect it there).
    """
    bind = factory.kw.get("bind")
    if writes and bind is not None:
        # The intent rides on the bind, so the connection is taken (and BEGIN IMMEDIATE
        # issued) at the session's first statement, not now: a request holds no pooled
        # connection while its other dependencies (the caller's key) take theirs.
        session = factory(bind=bind.execution_options(**{WRITE_INTENT: True}))
    else:
        session = factory()
        if writes:
            session.connection(execution_options={WRITE_INTENT: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    for hook in list(_after_commit_hooks):
        hook()
