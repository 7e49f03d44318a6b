"""Recycling: give recyclable rejects (UNKNOWN_SUBSCRIBER) another chance once the cause is
fixed — typically a subscriber whose order completed after its first calls arrived.

Rejects are never rewritten. A recycle run reads the open recyclable rejects (those whose
record id is not yet in the normalised store), guides them again against the current
inventory, and writes the ones that now match as a *recycle batch* of normalised usage. In
the same transaction that marks the recycle batch done, each original batch's ``recycled``
count grows by what it gave, so the reconcile identity of the original source and day still
holds with the records moved from rejected to normalised. Killed half-way, the recycle batch
is still ``processing``: its partial output is removed and nothing was counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import select

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.ids import new_id
from openbss.mediation import repository, store
from openbss.mediation.guiding import guide
from openbss.mediation.models import BatchStatus, MediationBatch
from openbss.mediation.normalise import RECYCLABLE
from openbss.mediation.pipeline import Ingest


@dataclass(frozen=True)
class RecycleReport:
    examined: int
    recycled: int
    batch_id: str | None


def open_rejects(ingest: Ingest, reasons: frozenset[str] = RECYCLABLE) -> pl.DataFrame:
    """Rejects with a recyclable reason that no recycle batch has taken yet."""
    rejects = store.scan(ingest.data_dir, "rejected", ingest.province)
    if rejects is None:
        return pl.DataFrame()
    wanted = rejects.filter(pl.col("reason_code").is_in(list(reasons))).collect()
    if wanted.is_empty():
        return wanted
    with ingest.factory() as session:
        recycle_batches = repository.finished_recycle_batches(session, ingest.province)
    taken = [store.read_batch(ingest.data_dir, "normalised", b) for b in recycle_batches]
    taken_ids = [t.get_column("record_id") for t in taken if t is not None]
    if taken_ids:
        wanted = wanted.filter(~pl.col("record_id").is_in(pl.concat(taken_ids).implode()))
    return wanted


def _abandon_interrupted(ingest: Ingest) -> None:
    """A recycle run killed before it finished counted nothing: drop what it wrote."""
    with unit_of_work(ingest.factory) as session:
        for batch in session.scalars(
            select(MediationBatch).where(
                MediationBatch.kind == "recycle", MediationBatch.status == BatchStatus.PROCESSING
            )
        ):
            store.remove_batch(ingest.data_dir, batch.id)
            session.delete(batch)


def recycle(ingest: Ingest, reasons: frozenset[str] = RECYCLABLE) -> RecycleReport:
    _abandon_interrupted(ingest)
    candidates = open_rejects(ingest, reasons)
    if candidates.is_empty():
        return RecycleReport(0, 0, None)
    ingest.refresh_index()
    guided = (
        guide(
            candidates.drop("product_id", "customer_id", "billing_account_id")
            .with_row_index("row_no")
            .lazy(),
            ingest.index(),
        )
        .filter(pl.col("product_id").is_not_null())
        .collect()
    )
    if guided.is_empty():
        return RecycleReport(candidates.height, 0, None)
    batch_id = new_id()
    zone = ingest.zone
    with unit_of_work(ingest.factory) as session:
        session.add(
            MediationBatch(
                id=batch_id,
                province=ingest.province,
                source="recycle",
                file_name=f"recycle of {candidates.height} reject(s)",
                checksum=batch_id.replace("-", "")[:64],
                file_format="recycle",
                kind="recycle",
                status=BatchStatus.PROCESSING,
                day=now().astimezone(zone).date(),
            )
        )
    usage = guided.select(store.USAGE_SCHEMA.names).with_columns(
        day=pl.col("event_time").dt.convert_time_zone(zone.key).dt.date()
    )
    for day in sorted(usage.get_column("day").unique().to_list()):
        part = usage.filter(pl.col("day") == day).drop("day")
        store.write_part(
            part, store.partition(ingest.data_dir, "normalised", ingest.province, day), batch_id
        )
    given = guided.group_by("batch_id").len()
    with unit_of_work(ingest.factory) as session:
        for original, count in given.iter_rows():
            batch = session.get(MediationBatch, original)
            if batch is not None:
                batch.recycled += int(count)
        recycle_batch = session.get(MediationBatch, batch_id)
        assert recycle_batch is not None
        recycle_batch.status = BatchStatus.DONE
        recycle_batch.normalised = guided.height
        recycle_batch.finished_at = now()
    return RecycleReport(candidates.height, guided.height, batch_id)
