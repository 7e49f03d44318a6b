"""Revenue assurance over mediation: per source and day, every record accounted for.

Two views of "day", both in the province's time zone:

- the **traffic day** (:func:`reconcile_by_traffic_day`, what an operator usually asks
  about): the day of the usage records themselves, counted from the usage store, where each
  record sits in the partition of its traffic day;
- the **received day** (:func:`reconcile`): the day a file arrived, from the batch manifest.

For each source and day::

    in  =  normalised  +  rejected  +  duplicate

where a recycled reject counts as normalised from then on. Rating reports, per batch, how
many of its normalised records the current rating of their period priced and how many it
rated with an error (``downstream``, handed in by the layer above): then

    normalised  =  rated  +  rating errors  +  not rated yet

and a rating error is counted here, never lost. By traffic day the store's counts are
checked against the manifest of every batch that wrote them: a line is balanced only when
each of its batches' parts hold exactly the records its manifest counts. Files rejected as
a whole (they have no records, so no traffic day) count on the day they were received. Files
rejected as a whole are
listed with their number, and gaps in the sources' file sequence numbers are reported (a
missing sequence is a file the network wrote and mediation never received).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.mediation import store
from openbss.mediation.models import BatchStatus, MediationBatch

AREAS = ("normalised", "rejected", "duplicate")


@dataclass(frozen=True)
class ReconcileLine:
    source: str
    day: date
    files: int
    files_rejected: int
    records_in: int
    normalised: int
    rejected: int
    duplicates: int
    rated: int = 0
    rating_errors: int = 0
    # By traffic day: every batch behind the line holds in the store what its manifest says.
    matches_manifest: bool = True

    @property
    def not_rated(self) -> int:
        return self.normalised - self.rated - self.rating_errors

    @property
    def balanced(self) -> bool:
        return self.matches_manifest and (
            self.records_in == self.normalised + self.rejected + self.duplicates
        )


@dataclass(frozen=True)
class SequenceGap:
    source: str
    first_missing: int
    last_missing: int


def reconcile(
    session: Session,
    province: str | None = None,
    day: date | None = None,
    downstream: Mapping[str, tuple[int, int]] | None = None,
) -> list[ReconcileLine]:
    """The lines per source and day; ``downstream`` maps a batch id to (records rated, of
    which with a rating error)."""
    rating = downstream or {}
    statement = select(MediationBatch).where(
        MediationBatch.status.in_((BatchStatus.DONE, BatchStatus.REJECTED)),
        MediationBatch.kind != "recycle",
    )
    if province is not None:
        statement = statement.where(MediationBatch.province == province)
    if day is not None:
        statement = statement.where(MediationBatch.day == day)
    totals: dict[tuple[str, date], list[int]] = {}
    for batch in session.scalars(statement):
        line = totals.setdefault((batch.source, batch.day), [0] * 8)
        line[0] += 1
        line[1] += batch.status == BatchStatus.REJECTED
        line[2] += batch.records_in
        line[3] += batch.normalised + batch.recycled
        line[4] += batch.rejected - batch.recycled
        line[5] += batch.duplicates
        rated, errors = rating.get(batch.id, (0, 0))
        line[6] += rated - errors
        line[7] += errors
    return [
        ReconcileLine(
            source,
            day_,
            files=values[0],
            files_rejected=values[1],
            records_in=values[2],
            normalised=values[3],
            rejected=values[4],
            duplicates=values[5],
            rated=values[6],
            rating_errors=values[7],
        )
        for (source, day_), values in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def _part_day(part: Path) -> date:
    return date.fromisoformat(part.parent.name.removeprefix("day="))


def reconcile_by_traffic_day(
    session: Session,
    data_dir: Path,
    province: str | None = None,
    day: date | None = None,
    downstream: Mapping[tuple[str, date], tuple[int, int]] | None = None,
) -> list[ReconcileLine]:
    """The lines per source and traffic day; ``downstream`` maps (source, traffic day) to
    (records rated, of which with a rating error)."""
    statement = select(MediationBatch).where(
        MediationBatch.status.in_((BatchStatus.DONE, BatchStatus.REJECTED))
    )
    if province is not None:
        statement = statement.where(MediationBatch.province == province)
    batches = {batch.id: batch for batch in session.scalars(statement)}
    # (source, day) → [normalised, rejected, duplicates]; batch → the same, as stored.
    lines: dict[tuple[str, date], list[int]] = {}
    files: dict[tuple[str, date], set[str]] = {}
    files_rejected: Counter[tuple[str, date]] = Counter()
    stored: dict[str, list[int]] = {}
    recycled_from: Counter[str] = Counter()
    for batch in batches.values():
        if batch.status == BatchStatus.REJECTED and batch.kind != "recycle":
            key = (batch.source, batch.day)
            lines.setdefault(key, [0, 0, 0])
            files.setdefault(key, set()).add(batch.id)
            files_rejected[key] += 1
    for area_index, area in enumerate(AREAS):
        for province_code in sorted({b.province for b in batches.values()}):
            for part in store.finished_parts(session, data_dir, area, province_code):
                owner = batches.get(store.batch_of(part))
                if owner is None:
                    continue
                part_day = _part_day(part)
                if owner.kind == "recycle":
                    # Recycled rejects: normalised now, no longer rejected, same traffic day.
                    given = pl.read_parquet(part, columns=["source", "batch_id"])
                    for source, original, count in (
                        given.group_by("source", "batch_id").len().iter_rows()
                    ):
                        line = lines.setdefault((source, part_day), [0, 0, 0])
                        line[0] += count
                        line[1] -= count
                        recycled_from[original] += count
                    continue
                count = pq.ParquetFile(part).metadata.num_rows
                key = (owner.source, part_day)
                lines.setdefault(key, [0, 0, 0])[area_index] += count
                files.setdefault(key, set()).add(owner.id)
                stored.setdefault(owner.id, [0, 0, 0])[area_index] += count
    mismatched = {
        batch.id
        for batch in batches.values()
        if batch.kind != "recycle"
        and (
            stored.get(batch.id, [0, 0, 0]) != [batch.normalised, batch.rejected, batch.duplicates]
            or recycled_from[batch.id] != batch.recycled
        )
    }
    # A batch with nothing in the store has no traffic day: it shows on its received day.
    seen = set().union(*files.values()) if files else set()
    for batch_id in sorted(mismatched - seen):
        batch = batches[batch_id]
        lines.setdefault((batch.source, batch.day), [0, 0, 0])
        files.setdefault((batch.source, batch.day), set()).add(batch_id)
    rating = downstream or {}
    result: list[ReconcileLine] = []
    for (source, line_day), (normalised, rejected, duplicates) in sorted(
        lines.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        if day is not None and line_day != day:
            continue
        rated, errors = rating.get((source, line_day), (0, 0))
        behind = files.get((source, line_day), set())
        result.append(
            ReconcileLine(
                source=source,
                day=line_day,
                files=len(behind),
                files_rejected=files_rejected[(source, line_day)],
                records_in=normalised + rejected + duplicates,
                normalised=normalised,
                rejected=rejected,
                duplicates=duplicates,
                rated=rated - errors,
                rating_errors=errors,
                matches_manifest=not (behind & mismatched),
            )
        )
    return result


def sequence_gaps(session: Session, province: str | None = None) -> list[SequenceGap]:
    """Missing file sequence numbers per source, between the lowest and highest received."""
    statement = select(MediationBatch.source, MediationBatch.sequence).where(
        MediationBatch.sequence.is_not(None), MediationBatch.kind != "recycle"
    )
    if province is not None:
        statement = statement.where(MediationBatch.province == province)
    seen: dict[str, set[int]] = {}
    for source, sequence in session.execute(statement):
        if sequence is not None:
            seen.setdefault(source, set()).add(int(sequence))
    gaps: list[SequenceGap] = []
    for source, numbers in sorted(seen.items()):
        ordered = sorted(numbers)
        for low, high in pairwise(ordered):
            if high > low + 1:
                gaps.append(SequenceGap(source, low + 1, high - 1))
    return gaps
