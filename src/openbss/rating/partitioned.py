"""Batch rating of the usage store: stateless records streamed, stateful ones partitioned
by pool owner, in a pool of worker processes kept for the life of the process.

Only records that draw an allowance or count towards a tier depend on other records (their
pool owner's earlier events); every other record is rated on its own. ``rate_parquet`` rates
Parquet files of the usage store (``USAGE_SCHEMA``) with the vectorised engine in two
streaming passes, so memory is bounded by an input step or a partition, never by the input:

1. *stream*: each input file is read a few row groups at a time, mapped to the engine's
   columns and prepared (codes and integers: the per-record half of rating). Records of
   subscribers whose assignments have no allowance and no tiered tariff are rated right away
   and written as ``rated-sNNNNNN.parquet`` (one per input file); the rest are cut by a hash
   of the pool owner into per-partition spill files (Arrow IPC). The owner is the subscriber,
   or the account when the plan has shared allowances, so every allowance pool and tier
   counter lies wholly inside one partition and partitions rate independently;
2. *rate*: each partition's spill files are read, rated and written as
   ``rated-NNNN.parquet``, with the pools it drew in ``allowances-NNNN.parquet``.

Every output is written to a tmp file, fsynced and renamed. Both passes run in a pool of
``workers`` spawned processes, each with its share of the cores for Polars' threads. The
pool is started at the first run and kept: a rating service or a benchmark pays the start-up
(Python and Polars imports, loading the compiled plan) once, and a worker keeps the plan it
loaded until a run brings another. A run that fails stops the pool (a new one starts at the
next run). A rerun over the same input replaces the outputs and leaves nothing of an earlier
run behind; the records rated always equal the records read.
"""

from __future__ import annotations

import atexit
import os
import pickle
import resource
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from multiprocessing.pool import Pool
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
    with_sub_ids,
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
# Rows per row group of a rated file. Each row group stores the dictionary of every enum
# column whole, and the matched prefix's has the plan's (some hundred thousand) prefixes:
# at Polars' default of about 130 k rows the dictionaries were half the file and a quarter of
# its writing time.
RATED_ROW_GROUP = 1 << 20
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
    split_seconds: float  # wall clock of the stream pass, worker start-up included
    rate_seconds: float  # wall clock of the rate pass (the partitions)
    # Summed over tasks, i.e. over all workers: split (read, prepare, spill), read spills,
    # rate and write Parquet (both passes).
    stage_seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # the workers' CPU time in the tasks
    worker_peak_rss_bytes: int = 0


# --- worker side --------------------------------------------------------------------------


@dataclass(slots=True)
class _Loaded:
    """What a worker keeps of the plan it last loaded, with tables derived from it."""

    file: str
    plan: CompiledPlan
    stateful: pl.Series  # per sub_id: its records must be rated in event order
    parts: dict[int, pl.Series] = field(default_factory=dict)  # partitions → sub's partition


_LOADED: _Loaded | None = None
_LOAD_ERROR: tuple[str, str] | None = None  # plan file, error


def _load(plan_file: str) -> _Loaded:
    """The plan of this run, loaded once per worker from the file the parent wrote (through
    the start-up pipe the parent would hand it to one worker after the other). A failure is
    kept and raised by every task of the run: a pool would otherwise replace the failed
    worker again and again."""
    global _LOADED, _LOAD_ERROR
    if _LOADED is not None and _LOADED.file == plan_file:
        return _LOADED
    if _LOAD_ERROR is not None and _LOAD_ERROR[0] == plan_file:
        raise RuntimeError(f"rating worker not initialised: {_LOAD_ERROR[1]}")
    _LOADED = None  # the previous run's plan goes before this one is read
    try:
        with open(plan_file, "rb") as handle:
            plan: CompiledPlan = pickle.load(handle)  # noqa: S301 - our own plan, by the parent
        _LOADED = _Loaded(plan_file, plan, stateful_subscribers(plan))
    except Exception as error:  # reported by the tasks
        _LOAD_ERROR = (plan_file, repr(error))
        raise RuntimeError(f"rating worker not initialised: {error!r}") from error
    return _LOADED


def stateful_subscribers(cp: CompiledPlan) -> pl.Series:
    """Per ``sub_id``, whether the subscriber has an assignment with allowances or with a
    tariff that has tiers: only their records depend on other records (pools and tier
    counters, in event order)."""
    tiered = sorted({cp.tariff_id_code[k] for k, t in enumerate(cp.tariffs) if t.tiers})
    a = cp.assignments
    flagged = pl.lit(cp.list_has_allowances).gather(pl.col("list_code")).fill_null(False)
    if tiered:
        flagged = flagged | pl.col("tariff_id_code").is_in(tiered).fill_null(False)
    ids = a.filter(flagged)["sub_id"].unique()
    every = pl.int_range(cp.subscribers.height, dtype=pl.Int32, eager=True)
    return every.is_in(ids.implode()).alias("stateful")


def _plan_for(loaded: _Loaded, part: int, partitions: int, key: str) -> CompiledPlan:
    """The plan with only this partition's subscribers to look up (a smaller join)."""
    plan = loaded.plan
    if key != "sub_id":
        return plan
    owner = loaded.parts.get(partitions)
    if owner is None:
        owner = loaded.parts[partitions] = _owner_hash(plan.subscribers, key, partitions)
    return replace(plan, subscribers=plan.subscribers.filter(owner.eq(part)))


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


@dataclass(frozen=True, slots=True)
class _Run:
    """What every task of a run is told: where the plan, the spill and the outputs are."""

    plan_file: str
    spill: str
    out_dir: str
    partitions: int
    key: str  # the pool owner: the subscriber's number in the plan (sub_id) or account_id
    columns: tuple[str, ...]


def _stream_file(run: _Run, path: str, number: int) -> dict[str, Any]:
    """Rate one input file's stateless records and cut the rest into per-partition spill
    files, a few row groups at a time.

    Outputs and spill files are named by the input's position in the run, not its name: the
    usage store names every day's file of a batch alike (``part-<batch>.parquet``)."""
    _, cpu = _usage()
    loaded = _load(run.plan_file)
    plan = loaded.plan
    rows = int(pq.ParquetFile(path).metadata.num_rows)
    source = pl.scan_parquet(path).select(run.columns)
    rated: list[pl.DataFrame] = []
    seconds = {"split": 0.0, "rate": 0.0, "write": 0.0}
    for step, first in enumerate(range(0, rows, SPLIT_ROWS)):
        at = time.perf_counter()
        events = prepare(usage_events(source.slice(first, SPLIT_ROWS).collect()), plan)
        # Past the lookup the subscriber is its number in the plan: the text is not carried.
        events = with_sub_ids(events, plan).drop("subscriber")
        stateful = loaded.stateful.gather(events["sub_id"]).fill_null(False)
        later = events.filter(stateful)
        now = events.filter(~stateful) if later.height else events
        del events
        if later.height:
            parts = later.with_columns(
                _part=_owner_hash(later, run.key, run.partitions)
            ).partition_by("_part", as_dict=True, include_key=False)
            for (part,), frame in parts.items():
                target = Path(run.spill) / f"p{part:04d}" / f"{number:06d}-{step:05d}.arrow"
                target.parent.mkdir(parents=True, exist_ok=True)
                frame.write_ipc(target, compression="uncompressed")
        rated_at = time.perf_counter()
        seconds["split"] += rated_at - at
        if now.height:
            rated.append(rate_prepared(now, plan)[0])  # draws no pool: nothing to keep
        seconds["rate"] += time.perf_counter() - rated_at
    at = time.perf_counter()
    result: dict[str, Any] = {"rows": rows, "rated": 0, "errors": {}, "amount": 0}
    if rated:
        frame = pl.concat(rated)
        target = Path(run.out_dir) / f"rated-s{number:06d}.parquet"
        _write_atomically(frame, target)
        result.update(_summary(frame), file=str(target), rated=frame.height)
    seconds["write"] += time.perf_counter() - at
    rss, cpu_now = _usage()
    return {**result, **seconds, "rss": rss, "cpu": cpu_now - cpu}


def _summary(rated: pl.DataFrame) -> dict[str, Any]:
    summary = rated.group_by("error").agg(n=pl.len(), amount=pl.col("amount_li").sum())
    return {
        "errors": {str(e): int(n) for e, n, _ in summary.iter_rows() if e is not None},
        "amount": int(summary["amount"].sum()),
    }


def _rate_partition(run: _Run, part: int, balances: pl.DataFrame | None) -> dict[str, Any]:
    """Rate one partition's spill files and write its rated Parquet atomically."""
    started, (_, cpu) = time.perf_counter(), _usage()
    files = sorted((Path(run.spill) / f"p{part:04d}").glob("*.arrow"))
    if not files:
        rss, cpu_now = _usage()
        return {"part": part, "rows": 0, "rss": rss, "cpu": cpu_now - cpu, "drawn": None}
    plan = _plan_for(_load(run.plan_file), part, run.partitions, run.key)
    usage = pl.concat([pl.read_ipc(f) for f in files], rechunk=False)
    read_at = time.perf_counter()
    rated, drawn = rate_prepared(usage, plan, balances)
    del usage
    rated_at = time.perf_counter()
    target = Path(run.out_dir) / f"rated-{part:04d}.parquet"
    _write_atomically(rated, target)
    if drawn.height:
        _write_atomically(drawn, Path(run.out_dir) / f"allowances-{part:04d}.parquet")
    rss, cpu_now = _usage()
    return {
        "part": part,
        "rows": rated.height,
        "file": str(target),
        **_summary(rated),
        "drawn": drawn if drawn.height else None,
        "rss": rss,
        "cpu": cpu_now - cpu,
        "read": read_at - started,
        "rate": rated_at - read_at,
        "write": time.perf_counter() - rated_at,
    }


def _write_atomically(frame: pl.DataFrame, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    frame.write_parquet(
        tmp,
        compression="zstd",
        compression_level=1,
        statistics=True,
        row_group_size=RATED_ROW_GROUP,
    )
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


# --- driver -------------------------------------------------------------------------------

# The pool of each worker count, started at the first run and kept (see the module
# docstring), and the file each compiled plan was written to for the workers.
_POOLS: dict[int, Pool] = {}
_PLAN_FILES: dict[int, tuple[CompiledPlan, Path]] = {}
_PLAN_DIR: Path | None = None
# One run at a time per process: runs share the pool, and a run's plan file replaces the last.
_RUNS = threading.Lock()


def _pool(workers: int) -> Pool:
    pool = _POOLS.get(workers)
    if pool is None:
        with _worker_threads(workers):
            pool = _POOLS[workers] = get_context("spawn").Pool(workers)
    return pool


def _stop_pool(workers: int) -> None:
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.terminate()
        pool.join()


@atexit.register
def shutdown_workers() -> None:
    """Stop the kept worker pools and remove the plan files (at exit, or to free memory)."""
    global _PLAN_DIR
    for workers in list(_POOLS):
        _stop_pool(workers)
    _PLAN_FILES.clear()
    if _PLAN_DIR is not None:
        shutil.rmtree(_PLAN_DIR, ignore_errors=True)
        _PLAN_DIR = None


def _plan_file(compiled: CompiledPlan) -> Path:
    """The file the workers load this plan from, written once per compiled plan (tmp file,
    then rename: a worker never reads half a plan)."""
    global _PLAN_DIR
    known = _PLAN_FILES.get(id(compiled))
    if known is not None and known[0] is compiled and known[1].exists():
        return known[1]
    if _PLAN_DIR is None or not _PLAN_DIR.exists():
        _PLAN_DIR = Path(tempfile.mkdtemp(prefix="openbss-rating-plans-"))
    for _, stale in _PLAN_FILES.values():  # workers keep one plan; so does the parent
        stale.unlink(missing_ok=True)
    _PLAN_FILES.clear()
    target = _PLAN_DIR / f"plan-{uuid.uuid4().hex}.pickle"
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as handle:
        pickle.dump(compiled, handle, pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)
    _PLAN_FILES[id(compiled)] = (compiled, target)
    return target


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
"""(stage ``split`` or ``rate``, steps done, steps in the stage, records in the step).

``split`` reports each input file streamed (its records read); ``rate`` each output written,
the stream pass's (its stateless records) and then each partition's."""


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
    with _RUNS:
        return _rate_parquet(
            paths, plan, out_dir, partitions, workers, state, max_partition_rows, progress
        )


def _rate_parquet(
    paths: Sequence[Path],
    plan: RatingPlan,
    out_dir: Path,
    partitions: int,
    workers: int,
    state: AllowanceState | None,
    max_partition_rows: int,
    progress: RateProgress | None,
) -> RateReport:
    started = time.perf_counter()
    report = progress or (lambda _stage, _done, _total, _rows: None)
    compiled = compile_plan(plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    count = partition_count(paths, partitions, max_partition_rows)
    spill = out_dir / f".spill-{uuid.uuid4().hex}"
    balances = state_frame(state) if state is not None and state.balances else None
    try:
        spill.mkdir()
        pool = _pool(workers)  # started first: its start-up overlaps writing the plan
        run = _Run(
            plan_file=str(_plan_file(compiled)),
            spill=str(spill),
            out_dir=str(out_dir),
            partitions=count,
            key="account_id" if compiled.shared else "sub_id",
            columns=usage_columns(compiled),
        )
        pending = [pool.apply_async(_stream_file, (run, str(p), n)) for n, p in enumerate(paths)]
        streamed = []
        for done, task in enumerate(pending, start=1):
            streamed.append(task.get())
            report("split", done, len(pending), streamed[-1]["rows"])
        split_at = time.perf_counter()
        rating = [
            pool.apply_async(_rate_partition, (run, part, balances))
            for part in range(count)
            if (spill / f"p{part:04d}").exists()
        ]
        # The rate stage counts every record rated: the stream pass's files, then the
        # partitions as they finish.
        steps = len(streamed) + len(rating)
        for done, result in enumerate(streamed, start=1):
            report("rate", done, steps, result["rated"])
        rated = []
        for done, task in enumerate(rating, start=len(streamed) + 1):
            rated.append(task.get())
            report("rate", done, steps, rated[-1]["rows"])
        rate_at = time.perf_counter()
    except BaseException:
        # Tasks of this run may still be running (and writing): stop them with the pool.
        _stop_pool(workers)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return _finish(out_dir, state, streamed, rated, count, workers, (started, split_at, rate_at))


def _finish(
    out_dir: Path,
    state: AllowanceState | None,
    streamed: list[dict[str, Any]],
    rated: list[dict[str, Any]],
    partitions: int,
    workers: int,
    clock: tuple[float, float, float],
) -> RateReport:
    """Check the counts, drop an earlier run's leftovers, apply the pools, report."""
    outputs = [s for s in streamed if s["rated"]] + [r for r in rated if r["rows"]]
    records = sum(s["rated"] for s in streamed) + sum(r["rows"] for r in rated)
    read = sum(s["rows"] for s in streamed)
    if records != read:
        raise RuntimeError(f"{read} records read but {records} rated")
    files = tuple(Path(r["file"]) for r in outputs)
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
    for r in outputs:
        for code, n in r.get("errors", {}).items():
            errors[code] = errors.get(code, 0) + n
    tasks = streamed + rated
    started, split_at, rate_at = clock
    return RateReport(
        records=records,
        rated=records - sum(errors.values()),
        errors=errors,
        amount_li=sum(r.get("amount", 0) for r in outputs),
        pools=drawn.height,
        partitions=partitions,
        workers=workers,
        files=files,
        seconds=time.perf_counter() - started,
        split_seconds=split_at - started,
        rate_seconds=rate_at - split_at,
        stage_seconds={
            stage: sum(t.get(stage, 0.0) for t in tasks)
            for stage in ("split", "read", "rate", "write")
        },
        cpu_seconds=sum(t["cpu"] for t in tasks),
        worker_peak_rss_bytes=max((t["rss"] for t in tasks), default=0),
    )


def read_rated(out_dir: Path) -> pl.LazyFrame:
    """The rated records a run wrote (all partitions)."""
    return pl.scan_parquet(sorted(str(p) for p in out_dir.glob("rated-*.parquet")))
