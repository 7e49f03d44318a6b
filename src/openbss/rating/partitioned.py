"""Batch rating of the usage store: partitioned by pool owner, a pool of worker processes.

``rate_parquet`` rates Parquet files of the usage store (``USAGE_SCHEMA``) with the
vectorised engine in two streaming passes, so memory is bounded by a partition, never by the
input:

1. *split*: each input file is read a few row groups at a time, mapped to the engine's
   columns and prepared (codes and integers: the per-record half of rating), and cut by a
   hash of the pool owner into per-partition spill files (Arrow IPC: fast to write and read
   back, and compact, since only the record id and subscriber stay text). The owner is the
   subscriber, or the account when the plan has shared allowances, so every allowance pool
   and tier counter lies wholly inside one partition and partitions rate independently;
2. *rate*: each partition's spill files are read, rated and written as
   ``rated-NNNN.parquet`` (tmp file, fsync, rename), with the pools it drew in
   ``allowances-NNNN.parquet``.

Both passes run in a pool of ``workers`` spawned processes, each with its share of the cores
for Polars' threads. A rerun over the same input replaces the outputs and leaves nothing of
an earlier run behind; the records rated always equal the records read.
"""

from __future__ import annotations

import os
import pickle
import resource
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from openbss.rating.contract import AllowanceState, Direction, RatingPlan, Service
from openbss.rating.vectorised import (
    BALANCE_SCHEMA,
    CompiledPlan,
    apply_balances,
    compile_plan,
    prepare,
    rate_prepared,
    state_frame,
)

# Store columns rating reads; the others (switch, cell, IMSI …) stay on disk.
USAGE_COLUMNS = (
    "record_id",
    "event_time",
    "duration_s",
    "volume_up",
    "volume_down",
    "called",
    "service",
    "direction",
    "charging_party",
    "billing_account_id",
    "area_code",
    "ip_access_code",
    "product_id",
)
# Mediation's "broadband" sessions are rated as data.
SERVICE_ALIASES = {"broadband": Service.DATA.value}
# A forwarded call's record is the leg from the forwarding subscriber's line to the
# forwarded-to number (呼叫转移): the forwarding subscriber pays it as a call of their own.
DIRECTION_ALIASES = {"fwd": Direction.MO.value}
SPLIT_ROWS = 512 * 1024  # rows read per step of the split pass
_HASH_SEED = 0x0B55_2005


def usage_columns(compiled: CompiledPlan) -> tuple[str, ...]:
    """The store columns a plan needs: products, accounts and access codes only when some
    assignment, shared allowance or rule looks at them."""
    unused = {
        "product_id": not compiled.uses_products,
        "billing_account_id": not compiled.shared,
        "ip_access_code": not compiled.access_codes,
    }
    return tuple(c for c in USAGE_COLUMNS if not unused.get(c, False))


def usage_events(usage: pl.DataFrame) -> pl.DataFrame:
    """Store rows as the engine's input (the fields of ``UsageEvent``).

    The charging party pays, so it is the subscriber; the record's area code is the calling
    side's local network; the volume is both directions together. Optional store columns
    that were not read come out null.
    """
    service = pl.col("service")
    for alias, name in SERVICE_ALIASES.items():
        service = pl.when(service == alias).then(pl.lit(name)).otherwise(service)

    direction = pl.col("direction")
    for alias, name in DIRECTION_ALIASES.items():
        direction = pl.when(direction == alias).then(pl.lit(name)).otherwise(direction)

    def optional(name: str) -> pl.Expr:
        return pl.col(name) if name in usage.columns else pl.lit(None, dtype=pl.String)

    return usage.select(
        "record_id",
        subscriber=pl.col("charging_party"),
        account_id=optional("billing_account_id"),
        event_time="event_time",
        service=service,
        direction=direction,
        product_id=optional("product_id"),
        duration_s=pl.col("duration_s").fill_null(0),
        volume_bytes=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
        called=pl.col("called").fill_null(""),
        ip_access_code=optional("ip_access_code"),
        calling_area_code="area_code",
    )


@dataclass(frozen=True, slots=True)
class RateReport:
    """What a run rated, where it wrote it, and where the time went (seconds)."""

    records: int
    rated: int  # records without error
    errors: dict[str, int]
    amount_li: int
    pools: int
    partitions: int
    workers: int
    files: tuple[Path, ...]
    seconds: float  # wall clock, from the call to the report
    split_seconds: float  # wall clock of the split pass, worker start-up included
    rate_seconds: float  # wall clock of the rate pass
    # Summed over tasks, i.e. over all workers: split, read spills, rate, write Parquet.
    stage_seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # the workers' CPU time in the tasks
    worker_peak_rss_bytes: int = 0


# --- worker side --------------------------------------------------------------------------

_PLAN: CompiledPlan | None = None
_SUBSCRIBER_PART: pl.Series | None = None  # partition of each assigned subscriber
_INIT: tuple[str, int, str] | None = None  # plan file, partitions, owner key
_INIT_ERROR: str | None = None


def _init_worker(plan_file: str, partitions: int, key: str) -> None:
    """Remember where the plan is; the first task loads it (``_plan``).

    The parent starts the pool before it writes the plan file, so pickling the plan overlaps
    the workers' start-up (Python and Polars imports, about a second each); the tasks are
    only submitted once the file is complete."""
    global _INIT
    _INIT = (plan_file, partitions, key)


def _load_plan() -> None:
    """Load the plan once per worker, from a file: through the start-up pipe the parent
    would hand it to one worker after the other. A failure is kept and raised by every
    task: a pool would otherwise replace the failed worker again and again."""
    global _PLAN, _SUBSCRIBER_PART, _INIT_ERROR
    if _INIT is None or _INIT_ERROR is not None:
        return
    plan_file, partitions, key = _INIT
    try:
        with open(plan_file, "rb") as handle:
            plan: CompiledPlan = pickle.load(handle)  # noqa: S301 - our own plan, by the parent
        if key == "subscriber":
            _SUBSCRIBER_PART = _owner_hash(plan.subscribers, "subscriber", partitions)
        _PLAN = plan
    except Exception as error:  # reported by the tasks
        _INIT_ERROR = repr(error)


def _plan() -> CompiledPlan:
    if _PLAN is None:
        _load_plan()
    if _PLAN is None:
        raise RuntimeError(f"rating worker not initialised: {_INIT_ERROR}")
    return _PLAN


def _plan_for(part: int) -> CompiledPlan:
    """The plan with only this partition's subscribers to look up (a smaller join)."""
    plan = _plan()
    if _SUBSCRIBER_PART is None:
        return plan
    return replace(plan, subscribers=plan.subscribers.filter(_SUBSCRIBER_PART.eq(part)))


def _owner_hash(frame: pl.DataFrame, key: str, partitions: int) -> pl.Series:
    return (frame[key].hash(_HASH_SEED) % partitions).cast(pl.Int32)


def _usage() -> tuple[int, float]:
    """Peak resident memory (bytes) and CPU seconds of this worker so far.

    The peak is the process's own high-water mark (``VmHWM``): ``ru_maxrss`` survives
    fork and exec on Linux, so a spawned worker would report its parent's peak.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak = own.ru_maxrss * 1024  # KiB on Linux
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:
        pass  # not Linux: ru_maxrss is the best there is
    return peak, own.ru_utime + own.ru_stime


def _split_file(
    path: str, spill: str, partitions: int, key: str, columns: tuple[str, ...], number: int
) -> dict[str, Any]:
    """Cut one input file into per-partition spill files, a few row groups at a time.

    Spill files are named by the input's position in the run, not its name: the usage store
    names every day's file of a batch alike (``part-<batch>.parquet``)."""
    started, (_, cpu) = time.perf_counter(), _usage()
    rows = int(pq.ParquetFile(path).metadata.num_rows)
    source = pl.scan_parquet(path).select(columns)
    plan = _plan()
    for step, first in enumerate(range(0, rows, SPLIT_ROWS)):
        events = prepare(usage_events(source.slice(first, SPLIT_ROWS).collect()), plan)
        parts = events.with_columns(_part=_owner_hash(events, key, partitions)).partition_by(
            "_part", as_dict=True, include_key=False
        )
        for (part,), frame in parts.items():
            target = Path(spill) / f"p{part:04d}" / f"{number:06d}-{step:05d}.arrow"
            target.parent.mkdir(parents=True, exist_ok=True)
            frame.write_ipc(target, compression="uncompressed")
    rss, cpu_now = _usage()
    return {"rows": rows, "rss": rss, "cpu": cpu_now - cpu, "split": time.perf_counter() - started}


def _rate_partition(
    part: int, spill: str, out_dir: str, balances: pl.DataFrame | None
) -> dict[str, Any]:
    """Rate one partition's spill files and write its rated Parquet atomically."""
    started, (_, cpu) = time.perf_counter(), _usage()
    files = sorted((Path(spill) / f"p{part:04d}").glob("*.arrow"))
    if not files:
        rss, cpu_now = _usage()
        return {"part": part, "rows": 0, "rss": rss, "cpu": cpu_now - cpu, "drawn": None}
    usage = pl.concat([pl.read_ipc(f) for f in files], rechunk=False)
    read_at = time.perf_counter()
    rated, drawn = rate_prepared(usage, _plan_for(part), balances)
    del usage
    rated_at = time.perf_counter()
    target = Path(out_dir) / f"rated-{part:04d}.parquet"
    _write_atomically(rated, target)
    if drawn.height:
        _write_atomically(drawn, Path(out_dir) / f"allowances-{part:04d}.parquet")
    summary = rated.group_by("error").agg(n=pl.len(), amount=pl.col("amount_li").sum())
    rss, cpu_now = _usage()
    return {
        "part": part,
        "rows": rated.height,
        "file": str(target),
        "errors": {str(e): int(n) for e, n, _ in summary.iter_rows() if e is not None},
        "amount": int(summary["amount"].sum()),
        "drawn": drawn if drawn.height else None,
        "rss": rss,
        "cpu": cpu_now - cpu,
        "read": read_at - started,
        "rate": rated_at - read_at,
        "write": time.perf_counter() - rated_at,
    }


def _write_atomically(frame: pl.DataFrame, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    frame.write_parquet(tmp, compression="zstd", compression_level=1, statistics=True)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


# --- driver -------------------------------------------------------------------------------


@contextmanager
def _worker_threads(workers: int) -> Iterator[None]:
    """Give each spawned worker its share of the cores for Polars' thread pool (read from
    the environment when the child imports Polars)."""
    name = "POLARS_MAX_THREADS"
    before = os.environ.get(name)
    os.environ[name] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def partition_count(paths: Sequence[Path], partitions: int, max_partition_rows: int) -> int:
    """At least ``partitions``, and enough that none should exceed ``max_partition_rows``."""
    rows = sum(int(pq.ParquetFile(p).metadata.num_rows) for p in paths)
    return max(partitions, -(-rows // max_partition_rows), 1)


RateProgress = Callable[[str, int, int, int], None]
"""(stage ``split`` or ``rate``, steps done, steps in the stage, records in the step)."""


def rate_parquet(
    paths: Sequence[Path],
    plan: RatingPlan,
    out_dir: Path,
    *,
    partitions: int = 8,
    workers: int = 2,
    state: AllowanceState | None = None,
    max_partition_rows: int = 1_500_000,
    progress: RateProgress | None = None,
) -> RateReport:
    """Rate usage-store Parquet files into ``out_dir`` (see the module docstring).

    ``partitions`` is raised when the input is large, so a partition stays under about
    ``max_partition_rows`` records and memory stays flat as the input grows. ``state`` holds
    allowance balances before the run and receives the pools the run drew. ``progress`` is told
    of each input file split and each partition rated (stage, done, total, records).
    """
    started = time.perf_counter()
    report = progress or (lambda _stage, _done, _total, _rows: None)
    compiled = compile_plan(plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    count = partition_count(paths, partitions, max_partition_rows)
    key = "account_id" if compiled.shared else "subscriber"
    columns = usage_columns(compiled)
    spill = out_dir / f".spill-{uuid.uuid4().hex}"
    balances = state_frame(state) if state is not None and state.balances else None
    try:
        spill.mkdir()
        plan_file = spill / "plan.pickle"
        with _worker_threads(workers):
            pool = get_context("spawn").Pool(
                workers, initializer=_init_worker, initargs=(str(plan_file), count, key)
            )
        with pool:
            # Written while the workers start; they read it at their first task.
            with open(plan_file, "wb") as handle:
                pickle.dump(compiled, handle, pickle.HIGHEST_PROTOCOL)
            pending = [
                pool.apply_async(_split_file, (str(p), str(spill), count, key, columns, n))
                for n, p in enumerate(paths)
            ]
            split = []
            for done, task in enumerate(pending, start=1):
                split.append(task.get())
                report("split", done, len(pending), split[-1]["rows"])
            split_at = time.perf_counter()
            rating = [
                pool.apply_async(_rate_partition, (part, str(spill), str(out_dir), balances))
                for part in range(count)
            ]
            rated = []
            for done, task in enumerate(rating, start=1):
                rated.append(task.get())
                report("rate", done, count, rated[-1]["rows"])
        rate_at = time.perf_counter()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return _finish(out_dir, state, split, rated, count, workers, (started, split_at, rate_at))


def _finish(
    out_dir: Path,
    state: AllowanceState | None,
    split: list[dict[str, Any]],
    rated: list[dict[str, Any]],
    partitions: int,
    workers: int,
    clock: tuple[float, float, float],
) -> RateReport:
    """Check the counts, drop an earlier run's leftovers, apply the pools, report."""
    records = sum(r["rows"] for r in rated)
    read = sum(s["rows"] for s in split)
    if records != read:
        raise RuntimeError(f"{read} records read but {records} rated")
    files = tuple(Path(r["file"]) for r in rated if r["rows"])
    pool_files = {
        out_dir / f"allowances-{r['part']:04d}.parquet" for r in rated if r["drawn"] is not None
    }
    for pattern, keep in (("rated-*.parquet", set(files)), ("allowances-*.parquet", pool_files)):
        for stale in out_dir.glob(pattern):
            if stale not in keep:
                stale.unlink()
    drawn_frames = [r["drawn"] for r in rated if r["drawn"] is not None]
    drawn = pl.concat(drawn_frames) if drawn_frames else pl.DataFrame(schema=BALANCE_SCHEMA)
    if state is not None:
        apply_balances(state, drawn)
    errors: dict[str, int] = {}
    for r in rated:
        for code, n in r.get("errors", {}).items():
            errors[code] = errors.get(code, 0) + n
    started, split_at, rate_at = clock
    return RateReport(
        records=records,
        rated=records - sum(errors.values()),
        errors=errors,
        amount_li=sum(r.get("amount", 0) for r in rated),
        pools=drawn.height,
        partitions=partitions,
        workers=workers,
        files=files,
        seconds=time.perf_counter() - started,
        split_seconds=split_at - started,
        rate_seconds=rate_at - split_at,
        stage_seconds={
            "split": sum(s["split"] for s in split),
            **{stage: sum(r.get(stage, 0.0) for r in rated) for stage in ("read", "rate", "write")},
        },
        cpu_seconds=sum(t["cpu"] for t in split + rated),
        worker_peak_rss_bytes=max((t["rss"] for t in split + rated), default=0),
    )


def read_rated(out_dir: Path) -> pl.LazyFrame:
    """The rated records a run wrote (all partitions)."""
    return pl.scan_parquet(sorted(str(p) for p in out_dir.glob("rated-*.parquet")))
