"""Unit of work: entry points own transactions; services only flush.

After a successful commit, registered callbacks run (the outbox dispatcher is woken this
way), so work that must follow a commit never runs for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from openbss.db.engine import WRITE_INTENT

AfterCommit = Callable[[], None]
_after_commit_hooks: list[AfterCommit] = []
_WROTE = "openbss_wrote"


# Whether a session wrote: a flush that had changes, or an ORM-enabled INSERT/UPDATE/DELETE.
# The after-commit hooks wake workers that look for work a write may have left (outbox
# events, orders to advance); a read-only unit of work — most API requests — leaves none, and
# waking them for it costs every read two more transactions. (A write issued on the raw
# connection is not seen; the workers' own timers pick up what it left.)
@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


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
        wrote = session.info.pop(_WROTE, False)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if not wrote:
        return
    for hook in list(_after_commit_hooks):
        hook()
