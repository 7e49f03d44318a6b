"""Queries of the mediation manifest: which batches are finished.

A batch's store files are complete only once its manifest row says ``done`` (store.py):
every reader of the store asks here, so that a batch still being written, or killed
half-way, is never read.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from openbss.mediation.models import BatchStatus, MediationBatch, PushedUsage

_IN_LIST = 1000  # ids per IN list: bounded, whatever the number of batches


def _finished() -> ColumnElement[bool]:
    return MediationBatch.status == BatchStatus.DONE


def finished_batches(session: Session, batch_ids: Iterable[str]) -> set[str]:
    """Those of the batches that are finished (their store files are complete)."""
    wanted = sorted(set(batch_ids))
    found: set[str] = set()
    for first in range(0, len(wanted), _IN_LIST):
        found.update(
            session.scalars(
                select(MediationBatch.id).where(
                    MediationBatch.id.in_(wanted[first : first + _IN_LIST]), _finished()
                )
            )
        )
    return found


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
    wanted = sorted(set(batch_ids))
    found: set[str] = set()
    for first in range(0, len(wanted), _IN_LIST):
        found.update(
            session.scalars(
                select(MediationBatch.id).where(
                    MediationBatch.id.in_(wanted[first : first + _IN_LIST]),
                    MediationBatch.source == source,
                )
            )
        )
    return found


def pushed_usages_of_batches(session: Session, batch_ids: Iterable[str]) -> list[PushedUsage]:
    """The TMF635 usages mediated in these batches."""
    wanted = sorted(set(batch_ids))
    found: list[PushedUsage] = []
    for first in range(0, len(wanted), _IN_LIST):
        found.extend(
            session.scalars(
                select(PushedUsage).where(
                    PushedUsage.batch_id.in_(wanted[first : first + _IN_LIST])
                )
            )
        )
    return found
