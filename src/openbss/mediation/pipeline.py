"""One file through mediation: decode → normalise → validate → deduplicate → guide → store.

Every record of the file ends in exactly one place — normalised usage, a reject with its
reason, or a duplicate — and the batch manifest counts them, so ``records_in = normalised +
rejected + duplicates`` holds for every batch (reconcile.py shows it per source and day).

Idempotent and safe to kill:

1. the file is decoded (no side effects), then the batch is *claimed*: a manifest row
   ``processing`` keyed by (source, content hash) is committed. A file whose content was
   already processed is a duplicate file and changes nothing.
2. the outputs are written as files named after the batch, each atomically.
3. one transaction marks the batch ``done`` with its counts.

A run killed before 3 leaves a ``processing`` row: the next run of the same file removes the
batch's partial outputs and does it again, so the store ends the same as if it had never
been interrupted. Duplicate detection only trusts keys of ``done`` batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.inventory.public import in_service_intervals
from openbss.kit.clock import now
from openbss.kit.errors import OpenBSSError
from openbss.kit.ids import new_id
from openbss.kit.names import province_code
from openbss.kit.settings import get_settings
from openbss.mediation import store
from openbss.mediation.formats import decode, detect_format
from openbss.mediation.guiding import guide
from openbss.mediation.models import BatchStatus, MediationBatch
from openbss.mediation.normalise import dedup_key, normalise, reason_code, reason_text
from openbss.mediation.records import Decoded, empty_raw

DUPLICATE = "DUPLICATE"


@dataclass
class Ingest:
    """What every file of one ingest run shares: where, for whom, and the subscriber index."""

    factory: sessionmaker[Session]
    data_dir: Path
    province: str
    window_days: int = 7
    default_area: str | None = None
    # The duplicate-detection key's fields (normalise.KEY_FIELDS); None: the default rule.
    dedup_fields: tuple[str, ...] | None = None
    _index: pl.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        province_code(self.province)  # it names directories of the usage store

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(get_settings().timezone)

    def index(self) -> pl.DataFrame:
        """The subscriber index, read once per run (a run is minutes, products change rarely)."""
        if self._index is None:
            with self.factory() as session:
                self._index = in_service_intervals(session, self.province)
        return self._index

    def refresh_index(self) -> None:
        self._index = None


@dataclass(frozen=True)
class Outcome:
    file_name: str
    status: str  # done | rejected | duplicate-file
    source: str
    batch_id: str | None = None
    records_in: int = 0
    normalised: int = 0
    rejected: int = 0
    duplicates: int = 0
    error: str | None = None


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_of(path: Path, decoded: Decoded) -> str:
    """The source a file counts under: what it says it comes from, else its name's prefix."""
    if decoded.sender:
        return decoded.sender[:64]
    stem = path.name.split(".")[0]
    return (stem.rsplit("_", 1)[0] if "_" in stem else stem)[:64]


def _claim(
    ingest: Ingest, name: str, digest: str, fmt: str, decoded: Decoded, source: str
) -> MediationBatch | None:
    """The batch row for this file, committed as ``processing``; None when already done."""
    with unit_of_work(ingest.factory) as session:
        batch = session.scalars(
            select(MediationBatch).where(
                MediationBatch.source == source, MediationBatch.checksum == digest
            )
        ).first()
        if batch is not None and batch.status != BatchStatus.PROCESSING:
            return None
        if batch is not None:  # a run was interrupted: start this batch over
            store.remove_batch(ingest.data_dir, batch.id)
            batch.attempts += 1
            batch.started_at = now()
        else:
            batch = MediationBatch(
                id=new_id(),
                province=ingest.province,
                source=source,
                file_name=name[:256],
                checksum=digest,
                file_format=fmt,
                kind=decoded.kind.value,
                status=BatchStatus.PROCESSING,
                day=now().astimezone(ingest.zone).date(),
                sequence=decoded.sequence,
            )
            session.add(batch)
        session.flush()
        session.expunge(batch)
    return batch


def ingest_file(
    ingest: Ingest, path: Path, *, file_format: str | None = None, source: str | None = None
) -> Outcome:
    """Run one file through mediation (see the module docstring)."""
    digest = checksum(path)
    try:
        fmt = file_format or detect_format(path)
        decoded = decode(path, fmt)
    except Exception as exc:  # an unreadable file is rejected and kept, never lost
        fmt = file_format or "unknown"
        message = exc.message if isinstance(exc, OpenBSSError) else f"{type(exc).__name__}: {exc}"
        decoded = Decoded(records=empty_raw(), file_error=f"cannot decode: {message}"[:2000])
    origin = source or source_of(path, decoded)
    return ingest_decoded(ingest, path.name, digest, fmt, decoded, origin, path=path)


def ingest_decoded(
    ingest: Ingest,
    name: str,
    digest: str,
    fmt: str,
    decoded: Decoded,
    source: str,
    *,
    path: Path | None = None,
) -> Outcome:
    """Run already decoded records (a file, or usage pushed through the API) through."""
    try:
        batch = _claim(ingest, name, digest, fmt, decoded, source)
    except IntegrityError:  # another worker claimed the same content this instant
        batch = None
    if batch is None:
        return Outcome(name, "duplicate-file", source)
    error = decoded.file_error or _name_clash(ingest, batch)
    if error is not None:
        _finish(ingest, batch.id, status=BatchStatus.REJECTED, error=error)
        return Outcome(name, "rejected", source, batch.id, error=error)
    counts = _process(ingest, batch, digest, decoded, path)
    _finish(ingest, batch.id, status=BatchStatus.DONE, counts=counts)
    return Outcome(name, "done", source, batch.id, *counts)


def _name_clash(ingest: Ingest, batch: MediationBatch) -> str | None:
    """A different file under a name already processed from this source is not guessed at:
    a re-sent file with other content could bill the same calls twice. It is rejected (and
    kept), for a person to rename it if it is really new."""
    with ingest.factory() as session:
        earlier = session.scalars(
            select(MediationBatch.id).where(
                MediationBatch.source == batch.source,
                MediationBatch.file_name == batch.file_name,
                MediationBatch.status == BatchStatus.DONE,
                MediationBatch.id != batch.id,
            )
        ).first()
    if earlier is None:
        return None
    return (
        f"a different file named {batch.file_name!r} was already processed from "
        f"{batch.source} (batch {earlier}); rename it to process it as a new file"
    )


def _finish(
    ingest: Ingest,
    batch_id: str,
    *,
    status: str,
    counts: tuple[int, int, int, int] = (0, 0, 0, 0),
    error: str | None = None,
) -> None:
    with unit_of_work(ingest.factory) as session:
        batch = session.get(MediationBatch, batch_id)
        assert batch is not None
        batch.status = status
        batch.records_in, batch.normalised, batch.rejected, batch.duplicates = counts
        batch.error = error
        batch.finished_at = now()


# ----- the records --------------------------------------------------------------------------


def _days(frame: pl.DataFrame) -> list[date]:
    return sorted(d for d in frame.get_column("day").unique().to_list() if d is not None)


def _known_keys(ingest: Ingest, source: str, days: Iterable[date]) -> pl.Series:
    """Duplicate-detection keys of this source from done batches within the window."""
    wanted = set()
    for day in days:
        for offset in range(-ingest.window_days, 1):
            wanted.add(day + timedelta(days=offset))
    with ingest.factory() as session:
        trusted = store.finished_parts(
            session, ingest.data_dir, "keys", ingest.province, sorted(wanted)
        )
    if not trusted:
        return pl.Series("key", [], dtype=pl.String)
    keys = pl.read_parquet(trusted).filter(pl.col("source") == source)
    return keys.get_column("key")


def _event_days(raw: pl.DataFrame, zone: ZoneInfo) -> list[date]:
    """The local days the plausible event times of a batch fall on (for duplicate keys)."""
    if raw.is_empty():
        return []
    today = now()
    plausible = raw.filter(
        pl.col("event_time").is_between(today - timedelta(days=400), today + timedelta(days=1))
    )
    days = plausible.select(
        pl.col("event_time").dt.convert_time_zone(zone.key).dt.date().unique()
    ).to_series()
    return sorted(d for d in days.to_list() if d is not None)


def first_occurrence(keys: pl.Series) -> pl.Series:
    """True at the first row of each distinct key, in order (as ``is_first_distinct``).

    The keys are compared by a 64-bit hash first, which is integer work instead of string
    work; rows whose hash is shared (the same key again, or a collision) are then compared
    by the keys themselves, so a collision never makes a record a duplicate. The hash is
    used within this call only and never stored.
    """
    return first_by_hash(keys, keys.hash())


def first_by_hash(keys: pl.Series, hashes: pl.Series) -> pl.Series:
    """:func:`first_occurrence` with the keys' hashes given (any hash: equal keys, equal
    hashes)."""
    first = hashes.is_first_distinct()
    if first.all():
        return first
    shared = hashes.is_duplicated().arg_true()
    return first.scatter(shared, keys.gather(shared).is_first_distinct())


def classify(ingest: Ingest, batch: MediationBatch, digest: str, decoded: Decoded) -> pl.DataFrame:
    """Every decoded row with its fate: a reason code, DUPLICATE, or null (normalised).

    Built as one lazy Polars plan and collected once, so the engine runs independent
    expressions in parallel and scans the data as few times as it can.
    """
    raw = pl.from_arrow(decoded.records)
    assert isinstance(raw, pl.DataFrame)
    known = _known_keys(ingest, batch.source, _event_days(raw, ingest.zone))
    plan = normalise(raw.lazy().with_row_index("row_no"), default_area=ingest.default_area)
    plan = plan.with_columns(reason_code=reason_code(now()), key=dedup_key(ingest.dedup_fields))
    local_day = pl.col("event_time").dt.convert_time_zone(ingest.zone.key).dt.date()
    plan = plan.with_columns(day=local_day.fill_null(batch.day))
    valid = pl.col("reason_code").is_null()
    # Keys of invalid rows are blanked so they never count as a first occurrence of a key.
    plan = plan.with_columns(
        first=pl.when(valid)
        .then(pl.col("key"))
        .map_batches(first_occurrence, return_dtype=pl.Boolean)
    )
    seen_before = pl.col("key").is_in(known.implode()) if known.len() else pl.lit(False)
    plan = plan.with_columns(
        reason_code=pl.when(valid & (~pl.col("first") | seen_before))
        .then(pl.lit(DUPLICATE))
        .otherwise(pl.col("reason_code"))
    )
    plan = guide(plan, ingest.index())
    unknown = pl.col("reason_code").is_null() & pl.col("product_id").is_null()
    plan = plan.with_columns(
        reason_code=pl.when(unknown)
        .then(pl.lit("UNKNOWN_SUBSCRIBER"))
        .otherwise(pl.col("reason_code"))
    )
    return plan.with_columns(
        reason=reason_text(),
        record_id=pl.format(f"{digest[:20]}:{{}}", pl.col("record_no")),
        batch_id=pl.lit(batch.id),
        source=pl.lit(batch.source),
        province=pl.lit(ingest.province),
    ).collect(engine="in-memory")  # whole columns: the split by fate then copies nothing


def _usage_columns(*, keep_raw_numbers: bool) -> list[pl.Expr]:
    calling = pl.col("calling_e164")
    called = pl.col("called_e164")
    if keep_raw_numbers:  # a reject shows what the network sent where it is not a number
        calling = calling.fill_null(pl.col("calling"))
        called = called.fill_null(pl.col("called"))
    columns: list[pl.Expr] = []
    for name in store.USAGE_SCHEMA.names:
        if name == "calling":
            columns.append(calling.alias("calling"))
        elif name == "called":
            columns.append(called.alias("called"))
        else:
            columns.append(pl.col(name))
    return columns


def _write(frame: pl.DataFrame, area: str, ingest: Ingest, batch_id: str) -> None:
    days = _days(frame)
    for day in days:
        # A switch file is mostly one day: then the frame is the part, without a copy.
        one_day = len(days) == 1 and frame.get_column("day").null_count() == 0
        part = (frame if one_day else frame.filter(pl.col("day") == day)).drop("day")
        store.write_part(
            part, store.partition(ingest.data_dir, area, ingest.province, day), batch_id
        )


def raw_records(path: Path, refs: list[str]) -> dict[str, str]:
    """The source text of records by reference ("line=N"; "offset=A+L" as hex), read back
    from the file: decoders keep the raw text only of what they could not decode."""
    lines = {int(r[5:]): r for r in refs if r.startswith("line=") and r[5:].isdigit()}
    spans = [r for r in refs if r.startswith("offset=")]
    found: dict[str, str] = {}
    if lines:
        with open(path, "rb") as handle:
            for number, text in enumerate(handle, start=1):
                if number in lines:
                    found[lines[number]] = text.rstrip(b"\r\n").decode("utf-8", "replace")
    if spans:
        data = path.read_bytes()
        for ref in spans:
            start, _, length = ref[7:].partition("+")
            if start.isdigit() and length.isdigit():
                found[ref] = data[int(start) : int(start) + int(length)].hex()
    return found


def _with_raw(frame: pl.DataFrame, path: Path | None) -> pl.DataFrame:
    missing = frame.filter(pl.col("raw").is_null() & pl.col("raw_ref").is_not_null())
    if path is None or missing.is_empty():
        return frame
    texts = raw_records(path, missing.get_column("raw_ref").to_list())
    filled = pl.col("raw").fill_null(pl.col("raw_ref").replace_strict(texts, default=None))
    return frame.with_columns(raw=filled)


def _process(
    ingest: Ingest, batch: MediationBatch, digest: str, decoded: Decoded, path: Path | None
) -> tuple[int, int, int, int]:
    frame = classify(ingest, batch, digest, decoded)
    fate = pl.col("reason_code")
    accepted = frame.filter(fate.is_null())
    duplicates = _with_raw(frame.filter(fate == DUPLICATE), path)
    rejected = _with_raw(frame.filter(fate.is_not_null() & (fate != DUPLICATE)), path)
    reject_columns = [*_usage_columns(keep_raw_numbers=True), "reason_code", "reason", "raw", "day"]
    parts = {
        "normalised": accepted.select(*_usage_columns(keep_raw_numbers=False), "day"),
        "rejected": rejected.select(reject_columns),
        "duplicate": duplicates.select(reject_columns),
        "keys": accepted.select("source", "key", "day"),
    }
    # The Parquet writer releases the GIL: the areas' parts are written side by side (each
    # atomically; the batch counts only once all are there and it is marked done).
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for written in [
            pool.submit(_write, part, area, ingest, batch.id) for area, part in parts.items()
        ]:
            written.result()
    return frame.height, accepted.height, rejected.height, duplicates.height
