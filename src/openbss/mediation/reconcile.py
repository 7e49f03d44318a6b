"""Revenue assurance over mediation: per source and day, every record accounted for.

For each source and day (the day a file was received, in the province's time zone)::

    in  =  normalised  +  rejected  +  duplicate

where a recycled reject counts as normalised from then on. Rating reports, per batch, how
many of its normalised records the current rating of their period priced and how many it
rated with an error (``downstream``, handed in by the layer above): then

    normalised  =  rated  +  rating errors  +  not rated yet

and a rating error is counted here, never lost. Files rejected as a whole are
listed with their number, and gaps in the sources' file sequence numbers are reported (a
missing sequence is a file the network wrote and mediation never received).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.mediation.models import BatchStatus, MediationBatch


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

    @property
    def not_rated(self) -> int:
        return self.normalised - self.rated - self.rating_errors

    @property
    def balanced(self) -> bool:
        return self.records_in == self.normalised + self.rejected + self.duplicates


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
        ReconcileLine(source, day_, *values)
        for (source, day_), values in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


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
