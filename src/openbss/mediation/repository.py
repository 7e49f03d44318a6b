"""Queries of the mediation manifest: which batches are finished.

A batch's store files are complete only once its manifest row says ``done`` (store.py):
every reader of the store asks here, so that a batch still being written, or killed
half-way, is never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from openbss.mediation.models import BatchStatus, MediationBatch, PushedUsage

_IN_LIST = 1000  # ids per IN list: bounded, whatever the number of batches


def _finished() -> ColumnElement[bool]:
    return MediationBatch.status == BatchStatus.DONE


def _in_lists(ids: Iterable[str]) -> Iterator[list[str]]:
    """The distinct ids, sorted, one bounded IN list at a time."""
    wanted = sorted(set(ids))
    for first in range(0, len(wanted), _IN_LIST):
        yield wanted[first : first + _IN_LIST]


def _batches_where(
    session: Session, batch_ids: Iterable[str], condition: ColumnElement[bool]
) -> set[str]:
    """Those of the batches that meet ``condition``."""
    found: set[str] = set()
    for chunk in _in_lists(batch_ids):
        found.update(
            session.scalars(
                select(MediationBatch.id).where(MediationBatch.id.in_(chunk), condition)
            )
        )
    return found


def finished_batches(session: Session, batch_ids: Iterable[str]) -> set[str]:
    """Those of the batches that are finished (their store files are complete)."""
    return _batches_where(session, batch_ids, _finished())


def finished_recycle_batches(session: Session, province: str) -> list[str]:
    """The province's finished recycle batches: the rejects they took are no longer open."""
    return list(
        session.scalars(
            select(MediationBatch.id).where(
                MediationBatch.kind == "recycle",
                _finished(),
                MediationBatch.province == province,
            )
        )
    )


def batches_of_source(session: Session, batch_ids: Iterable[str], source: str) -> set[str]:
    """Those of the batches that came from ``source``."""
    return _batches_where(session, batch_ids, MediationBatch.source == source)


def pushed_usages_of_batches(session: Session, batch_ids: Iterable[str]) -> list[PushedUsage]:
    """The TMF635 usages mediated in these batches."""
    found: list[PushedUsage] = []
    for chunk in _in_lists(batch_ids):
        found.extend(session.scalars(select(PushedUsage).where(PushedUsage.batch_id.in_(chunk))))
    return found
