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
# Each hook with the table-name prefixes whose writes concern it (None: every write).
_after_commit_hooks: list[tuple[AfterCommit, tuple[str, ...] | None]] = []
_WROTE = "openbss_wrote"
ANY_TABLE = "*"  # a write whose table is not known: every hook runs


# What a session wrote: the tables of a flush that had changes, or of an ORM-enabled
# INSERT/UPDATE/DELETE. The after-commit hooks wake workers that look for work a write may
# have left (outbox events, orders to advance); a read-only unit of work — most API requests
# — leaves none, and waking them for it costs every read two more transactions. A hook may
# also name the tables it cares about: the order orchestration has nothing to do after a
# payment or the dispatcher's own bookkeeping. (A write issued on the raw connection is not
# seen; the workers' own timers pick up what it left.)
def _wrote(session: Session) -> set[str]:
    tables: set[str] = session.info.setdefault(_WROTE, set())
    return tables


def _table_of(instance: object) -> str:
    table = getattr(type(instance), "__tablename__", None)
    return table if isinstance(table, str) else ANY_TABLE


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    tables = _wrote(session)
    for instance in (*session.new, *session.dirty, *session.deleted):
        tables.add(_table_of(instance))
    if not tables:  # a flush with changes this does not see (e.g. on collections only)
        tables.add(ANY_TABLE)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        _wrote(state.session).add(name if isinstance(name, str) else ANY_TABLE)


def on_after_commit(hook: AfterCommit, *, tables: tuple[str, ...] | None = None) -> None:
    """Register a process-wide hook called after a unit of work that wrote commits; with
    ``tables`` (name prefixes), only after one that wrote to such a table."""
    remove_after_commit(hook)
    _after_commit_hooks.append((hook, tables))


def remove_after_commit(hook: AfterCommit) -> None:
    _after_commit_hooks[:] = [(h, t) for h, t in _after_commit_hooks if h != hook]


def _concerns(prefixes: tuple[str, ...] | None, tables: set[str]) -> bool:
    if prefixes is None or ANY_TABLE in tables:
        return True
    return any(table.startswith(prefixes) for table in tables)


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
        wrote: set[str] = session.info.pop(_WROTE, set())
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if not wrote:
        return
    for hook, prefixes in list(_after_commit_hooks):
        if _concerns(prefixes, wrote):
            hook()
