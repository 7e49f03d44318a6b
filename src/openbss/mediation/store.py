"""The usage store: Parquet files partitioned by province and day, written atomically.

Layout under ``<data dir>/usage/``::

    normalised/province=GD/day=2026-03-02/part-<batch>.parquet   usage to rate (USAGE_SCHEMA)
    rejected/province=GD/day=2026-03-02/part-<batch>.parquet     rejects with reason (REJECT_SCHEMA)
    duplicate/province=GD/day=2026-03-02/part-<batch>.parquet    duplicates, kept for audit
    keys/province=GD/day=2026-03-02/part-<batch>.parquet         duplicate-detection keys

Every file of a batch is named after the batch and written as ``.tmp`` then renamed, so a
reader never sees half a file. A batch is complete only when its manifest row says ``done``
(models.py); a batch interrupted half-way is cleaned with :func:`remove_batch` and run again,
which is why a killed ingest and an uninterrupted one end with the same store content.
Readers outside the pipeline take finished batches' parts only: :func:`finished_parts`,
:func:`finished_usage_parts` and :func:`usage_frame`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from openbss.kit.names import inside, province_code, safe_id
from openbss.mediation import repository
from openbss.mediation.records import UTC_MICROS

AREAS = ("normalised", "rejected", "duplicate", "keys")

USAGE_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),  # stable: the batch content hash and the record position
        ("batch_id", pa.string()),
        ("source", pa.string()),
        ("province", pa.string()),
        ("event_time", UTC_MICROS),
        ("duration_s", pa.int64()),
        ("volume_up", pa.int64()),
        ("volume_down", pa.int64()),
        ("calling", pa.string()),  # E.164 where the number is one
        ("called", pa.string()),
        ("service", pa.string()),
        ("direction", pa.string()),
        ("charging_party", pa.string()),  # whose product pays: a number or an account name
        ("switch_id", pa.string()),
        ("call_reference", pa.string()),
        ("area_code", pa.string()),
        ("cell", pa.string()),
        ("location", pa.string()),
        ("imsi", pa.string()),
        ("account_name", pa.string()),
        ("roaming_partner", pa.string()),
        ("ip_access_code", pa.string()),  # e.g. 17909 dialled before the number
        ("product_id", pa.string()),
        ("customer_id", pa.string()),
        ("billing_account_id", pa.string()),
        ("raw_ref", pa.string()),
        # Added after the first parts were written: readers fill them with nulls in older
        # parts (see :func:`scan_parts`), and :func:`upgrade_parts` rewrites those parts.
        ("trunk_in", pa.string()),  # interconnect settlement finds the carrier by them
        ("trunk_out", pa.string()),
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        *USAGE_SCHEMA,
        ("reason_code", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)
KEY_SCHEMA = pa.schema([("source", pa.string()), ("h1", pa.uint64()), ("h2", pa.uint64())])
# The areas whose rows are usage records (the keys area holds hashes only).
AREA_SCHEMAS = {"normalised": USAGE_SCHEMA, "rejected": REJECT_SCHEMA, "duplicate": REJECT_SCHEMA}


def _polars_schema(schema: pa.Schema) -> pl.Schema:
    empty = pl.from_arrow(schema.empty_table())
    assert isinstance(empty, pl.DataFrame)
    return empty.schema


def scan_parts(parts: Iterable[Path | str], area: str = "normalised") -> pl.LazyFrame:
    """Parts of one area as one frame with the area's current schema: columns a part written
    before they existed (the trunk groups) read as nulls, so old and new parts mix."""
    if area not in AREA_SCHEMAS:
        return pl.scan_parquet([str(p) for p in parts], hive_partitioning=False)
    return pl.scan_parquet(
        [str(p) for p in parts],
        schema=_polars_schema(AREA_SCHEMAS[area]),
        missing_columns="insert",
        hive_partitioning=False,
    )


def upgrade_parts(data_dir: Path) -> int:
    """Rewrite every finished part lacking a column of its area's schema with that column
    null (atomically, as :func:`write_part` writes); returns how many parts were rewritten.
    Readers do not need it (:func:`scan_parts`); it makes the files whole for other tools."""
    root = usage_root(data_dir)
    rewritten = 0
    for area, schema in AREA_SCHEMAS.items():
        for part in sorted((root / area).glob("province=*/day=*/part-*.parquet")):
            have = set(pq.read_schema(part).names)
            if set(schema.names) <= have:
                continue
            frame = scan_parts([part], area).collect()
            write_part(frame, part.parent, batch_of(part))
            rewritten += 1
    return rewritten


def usage_root(data_dir: Path) -> Path:
    return data_dir / "usage"


def partition(data_dir: Path, area: str, province: str, day: date) -> Path:
    province_code(province)
    return inside(
        data_dir, "usage", safe_id(area, "a usage area"), f"province={province}",
        f"day={day.isoformat()}",
    )  # fmt: skip


def part_name(batch_id: str) -> str:
    return f"part-{batch_id}.parquet"


def batch_of(part: Path) -> str:
    """The batch that wrote a part (its file is named after it)."""
    return part.name.removeprefix("part-").removesuffix(".parquet")


def write_part(frame: pl.DataFrame, directory: Path, batch_id: str) -> Path:
    """Write one batch's rows of one partition atomically (tmp file, fsync, rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / part_name(batch_id)
    tmp = directory / (part_name(batch_id) + ".tmp")
    # zstd at level 1: the files are as small as at the default level, in less time.
    frame.write_parquet(tmp, compression="zstd", compression_level=1, statistics=True)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    return final


def batch_files(data_dir: Path, batch_id: str) -> Iterator[Path]:
    """Every file (finished or temporary) a batch wrote, in any area and partition."""
    root = usage_root(data_dir)
    if not root.is_dir():
        return
    name = part_name(batch_id)
    for area in AREAS:
        yield from (root / area).glob(f"province=*/day=*/{name}")
        yield from (root / area).glob(f"province=*/day=*/{name}.tmp")


def remove_batch(data_dir: Path, batch_id: str) -> int:
    """Delete what an interrupted batch left behind; returns how many files."""
    removed = 0
    for path in list(batch_files(data_dir, batch_id)):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def scan(data_dir: Path, area: str, province: str | None = None) -> pl.LazyFrame | None:
    """All finished parts of an area (hive-partitioned), or None when there are none."""
    base = usage_root(data_dir) / area
    pattern = f"province={province or '*'}/day=*/part-*.parquet"
    files = sorted(str(p) for p in base.glob(pattern))
    if not files:
        return None
    return scan_parts(files, area)


def read_batch(data_dir: Path, area: str, batch_id: str) -> pl.DataFrame | None:
    files = [
        p
        for p in batch_files(data_dir, batch_id)
        if p.suffix == ".parquet" and f"/{area}/" in str(p)
    ]
    if not files:
        return None
    return scan_parts(files, area).collect()


def finished_parts(
    session: Session,
    data_dir: Path,
    area: str,
    province: str,
    days: Iterable[date] | None = None,
) -> list[Path]:
    """The parts of an area's partitions of these days (every day when None) that finished
    batches wrote, day by day: a batch still being written, or killed half-way, is not
    read until mediation finishes it."""
    province_code(province)
    if days is None:
        base = inside(data_dir, "usage", safe_id(area, "a usage area"), f"province={province}")
        directories = sorted(base.glob("day=*"))
    else:
        directories = [partition(data_dir, area, province, day) for day in days]
    candidates = [part for d in directories for part in sorted(d.glob("part-*.parquet"))]
    finished = repository.finished_batches(session, {batch_of(p) for p in candidates})
    return [part for part in candidates if batch_of(part) in finished]


def finished_usage_parts(
    session: Session, data_dir: Path, province: str, days: Iterable[date] | None = None
) -> list[Path]:
    """The normalised usage (USAGE_SCHEMA) of these days that finished batches wrote."""
    return finished_parts(session, data_dir, "normalised", province, days)


def usage_frame(
    session: Session, data_dir: Path, province: str, days: Iterable[date] | None = None
) -> pl.LazyFrame:
    """The normalised usage of these days, of finished batches (empty, with the store's
    schema, when there is none)."""
    parts = finished_usage_parts(session, data_dir, province, days)
    if not parts:
        empty = pl.from_arrow(USAGE_SCHEMA.empty_table())
        assert isinstance(empty, pl.DataFrame)
        return empty.lazy()
    return scan_parts(parts)
