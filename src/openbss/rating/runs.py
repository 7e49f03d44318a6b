"""Rating a province's period, and rerating it: every record, every time, exactly once.

A run rates the whole period (a calendar month in the province's time zone) from the usage
store's finished batches, under the plan in the database, with the allowance counters the
previous cycle left (for carry-over). Rating the whole period each time is what makes a run
repeatable: allowances and tiers depend on every event before, so a correction cannot be
applied to a few records alone. Its output goes to a directory of its own (store.py has
the layout, and the one reader of rated usage)::

    <data dir>/rated/province=GD/period=2026-10/run=<id>/rated-NNNN.parquet
                                                         changes.parquet

and becomes the period's current rating only in the transaction that also writes its
counts, counters and differences. A run killed half-way leaves a ``running`` row and a
directory that the next run of the period sweeps away; nothing current changes.

Rerating is a run like any other: compared record by record with the run it replaces, it
yields per-record changes (``changes.parquet``) and per-account differences. Rating the same
tariffs twice finds no difference. When billing has taken the period, the differences
become adjustments (billed with the next cycle) instead of silently changing the bill.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Conflict, NotFound
from openbss.kit.extras import require
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.mediation import public as usage_store
from openbss.rating import repository as repo
from openbss.rating import store
from openbss.rating.contract import (
    AllowanceState,
    PoolBalance,
    PoolKey,
    RatingPlan,
    previous_cycle,
)
from openbss.rating.models import AccountDelta, RatingAdjustment, RatingRun, RunStatus
from openbss.rating.partitioned import RateProgress, RateReport, rate_parquet, read_rated
from openbss.rating.pushed import PUSHED_COLUMNS, mark_pushed, pushed_batches

# Also known by these names here, where runs write them.
from openbss.rating.store import CHANGES_FILE as CHANGES_FILE
from openbss.rating.store import rated_root as rated_root
from openbss.rating.tariffs import plan_fingerprint, rating_plan
from openbss.rating.vectorised import apply_balances, state_frame

# ASCII digits, and years inside the accepted date-time range (kit.clock), so the month
# after a period can always be computed.
PERIOD_PATTERN = re.compile(r"^(19[0-9]{2}|[2-8][0-9]{3})-(0[1-9]|1[0-2])$")


def check_period(period: str) -> str:
    if not PERIOD_PATTERN.match(period):
        raise BadRequest(f"period must be YYYY-MM, not {period!r}", code="INVALID_PERIOD")
    return period


@dataclass(frozen=True)
class AccountChange:
    account_id: str
    records: int
    before_li: int
    after_li: int

    @property
    def delta_li(self) -> int:
        return self.after_li - self.before_li


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    province: str
    period: str
    records: int
    rated: int
    errors: dict[str, int]
    amount_li: int
    previous_run_id: str | None
    changed_records: int
    delta_li: int
    accounts: list[AccountChange]
    billed: bool  # the period was billed: the differences became adjustments
    adjustments: int
    # Later periods rated with this period's closing allowance balances, which this run
    # changed: they need rerating too.
    later_periods: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _opening_state(session: Session, province: str, period: str) -> AllowanceState:
    """The previous cycle's closing balances: what carries over into this one."""
    cycle = previous_cycle(period)
    return AllowanceState(
        {
            PoolKey(c.allowance_id, c.owner, c.cycle): PoolBalance(c.fresh, c.carried)
            for c in repo.counters(session, province, cycle)
        }
    )


def _cycle_bounds(period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of the cycle and of the next one (local months), in UTC."""
    year, month = int(period[:4]), int(period[5:7])
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=tz).astimezone(UTC)
    return start, datetime(*following, 1, tzinfo=tz).astimezone(UTC)


def _open_untouched_pools(plan: RatingPlan, period: str, state: AllowanceState) -> None:
    """Open in ``state`` the carry-over pools of the cycle that no event drew.

    The engines open a pool at its first event, so a holder who used nothing has no pool and
    the next cycle would carry nothing. A run sees the whole cycle: it opens those pools as
    the engines would (fresh units, plus what the previous cycle left to carry), and they
    are kept with the others.
    """
    carrying = {a.id: a for a in plan.allowances if a.carry_over_cycles}
    if not carrying:
        return
    previous = previous_cycle(period)
    zones = {t.id: t.tz for t in plan.tariffs}
    for assignment in plan.assignments:
        held = [carrying[i] for i in assignment.allowance_ids if i in carrying]
        if not held or assignment.tariff_id not in zones:
            continue
        start, end = _cycle_bounds(period, zones[assignment.tariff_id])
        ended = assignment.valid_to is not None and assignment.valid_to <= start
        if assignment.valid_from >= end or ended:
            continue
        for allowance in held:
            owner = assignment.account_id if allowance.shared else assignment.subscriber
            key = PoolKey(allowance.id, owner or "", period)
            if owner is None or key in state.balances:
                continue
            before = state.balances.get(PoolKey(allowance.id, owner, previous))
            state.balances[key] = PoolBalance(
                allowance.units_per_cycle, before.fresh if before is not None else 0
            )


def _start(
    factory: sessionmaker[Session], data_dir: Path, province: str, period: str
) -> tuple[str, str | None, Path]:
    """Register the run; runs of the period left ``running`` by a killed process are
    abandoned (their output is never read) and their directories swept."""
    run_id = new_id()
    out_dir = store.run_dir(data_dir, province, period, run_id)
    with unit_of_work(factory) as session:
        for stale in repo.running(session, province, period):
            stale.status, stale.error, stale.output_dir = RunStatus.ABANDONED, "not finished", None
        current = repo.period(session, province, period)
        keep = {
            r.output_dir
            for r in repo.runs(session, province, period)
            if r.output_dir and r.status == RunStatus.DONE
        }
        store.sweep(data_dir, province, period, keep)
        session.add(
            RatingRun(
                id=run_id,
                province=province,
                period=period,
                status=RunStatus.RUNNING,
                previous_run_id=current.current_run_id,
                output_dir=str(out_dir),
                plan_fingerprint=plan_fingerprint(session, province),
            )
        )
        return run_id, current.current_run_id, out_dir


def _previous_output(session: Session, run_id: str | None) -> Path | None:
    if run_id is None:
        return None
    run = session.get(RatingRun, run_id)
    return Path(run.output_dir) if run is not None and run.output_dir else None


def _compare(
    out_dir: Path, files: Sequence[Path], previous: Path | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per batch counts, and per-record changes against the previous run (written to
    ``changes.parquet``) with their per-account sums."""
    rated = store.run_records(out_dir).select("record_id", "amount_li", "error", "tariff_version")
    if files:
        usage = usage_store.scan_parts(files).select(
            "record_id", "batch_id", account_id=pl.col("billing_account_id").fill_null("")
        )
    else:
        usage = pl.LazyFrame(
            schema={"record_id": pl.String, "batch_id": pl.String, "account_id": pl.String}
        )
    batches = (
        rated.join(usage, on="record_id", how="left")
        .group_by("batch_id")
        .agg(records=pl.len(), errors=pl.col("error").is_not_null().sum())
        .collect()
    )
    before = store.run_records(previous).select(
        "record_id",
        before_li="amount_li",
        before_version="tariff_version",
        before_error="error",
    )
    after = rated.select(
        "record_id",
        after_li="amount_li",
        after_version="tariff_version",
        after_error=pl.col("error").cast(pl.String),
    )
    changes = (
        after.join(before, on="record_id", how="full", coalesce=True)
        .with_columns(pl.col("before_li", "after_li").fill_null(0))
        .filter(
            (pl.col("before_li") != pl.col("after_li"))
            | pl.col("before_error").ne_missing(pl.col("after_error"))
        )
        .join(usage.select("record_id", "account_id"), on="record_id", how="left")
        .with_columns(
            account_id=pl.col("account_id").fill_null(""),
            delta_li=pl.col("after_li") - pl.col("before_li"),
        )
        .collect()
    )
    changes.write_parquet(store.changes_file(out_dir))
    accounts = (
        changes.group_by("account_id")
        .agg(
            records=pl.len(),
            before_li=pl.col("before_li").sum(),
            after_li=pl.col("after_li").sum(),
        )
        .sort("account_id")
    )
    return batches, changes, accounts


def _pushed_rows(out_dir: Path, files: Sequence[Path], batch_ids: set[str]) -> pl.DataFrame:
    """The run's rated rows of usages pushed through TMF635, with their batch and product."""
    if not batch_ids or not files:
        return pl.DataFrame()
    usage = (
        usage_store.scan_parts(files)
        .select("record_id", "batch_id", "product_id")
        .filter(pl.col("batch_id").is_in(sorted(batch_ids)))
    )
    return (
        read_rated(out_dir)
        .join(usage, on="record_id", how="inner")
        .select(PUSHED_COLUMNS)
        .with_columns(pl.col("tariff_id", "error").cast(pl.String))
        .collect()
    )


@dataclass(frozen=True)
class _Counts:
    records: int
    rated: int
    errors: dict[str, int]
    amount_li: int

    @classmethod
    def of(cls, report: RateReport) -> _Counts:
        return cls(report.records, report.rated, dict(report.errors), report.amount_li)


def _rate_on_spark(
    files: Sequence[Path], plan: RatingPlan, out_dir: Path, state: AllowanceState
) -> _Counts:
    """The same kernel on Apache Spark, in a local session (``rate_spark_parquet`` itself
    takes any session, e.g. a cluster's). Spark's part files are renamed to the run's
    ``rated-NNNN.parquet`` so that everything downstream reads one layout."""
    from openbss.rating.spark import local_session, rate_spark_parquet

    out_dir.mkdir(parents=True, exist_ok=True)
    if not files:
        return _Counts(0, 0, {}, 0)
    target = out_dir / ".spark"
    summary = rate_spark_parquet(local_session(), files, plan, target, balances=state_frame(state))
    for number, part in enumerate(sorted(target.glob("part-*.parquet"))):
        part.replace(out_dir / f"rated-{number:04d}.parquet")
    shutil.rmtree(target, ignore_errors=True)
    apply_balances(state, summary.drawn)
    amount = read_rated(out_dir).select(pl.col("amount_li").sum()).collect().item()
    errors = sum(summary.errors.values())
    return _Counts(summary.records, summary.records - errors, summary.errors, int(amount or 0))


def rate_period(
    factory: sessionmaker[Session],
    data_dir: Path,
    province: str,
    period: str,
    *,
    workers: int = 2,
    partitions: int = 4,
    reason: str = "rating run",
    engine: Literal["local", "spark"] = "local",
    progress: RateProgress | None = None,
) -> RunOutcome:
    """Rate (or rerate) a province's period; see the module docstring.

    ``engine`` ``local`` rates over ``workers`` processes; ``spark`` runs the same kernel on
    Apache Spark (PySpark must be installed)."""
    started = time.perf_counter()
    check_period(period)
    if engine == "spark":
        require("pyspark", extra="spark")  # before the plan is built and a run is claimed
    with factory() as session:
        plan = rating_plan(session, province)
        state = _opening_state(session, province, period)
        files = store.period_usage_parts(session, data_dir, province, period)
    run_id, previous_id, out_dir = _start(factory, data_dir, province, period)
    try:
        if engine == "spark":
            report = _rate_on_spark(files, plan, out_dir, state)
        else:
            report = _Counts.of(
                rate_parquet(
                    files,
                    plan,
                    out_dir,
                    partitions=partitions,
                    workers=workers,
                    state=state,
                    progress=progress,
                )
            )
        with factory() as session:
            previous = _previous_output(session, previous_id)
        batches, changes, accounts = _compare(out_dir, files, previous)
        with factory() as session:
            pushed_ids = pushed_batches(session, [b for b in batches["batch_id"] if b])
        pushed = _pushed_rows(out_dir, files, pushed_ids)
    except BaseException as exc:
        with unit_of_work(factory) as session:
            run = session.get(RatingRun, run_id)
            if run is not None and run.status == RunStatus.RUNNING:
                run.status, run.error, run.output_dir = RunStatus.FAILED, repr(exc)[:2000], None
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    _open_untouched_pools(plan, period, state)
    counters = [
        {
            "province": province,
            "cycle": key.cycle,
            "allowance_id": key.allowance_id,
            "owner": key.owner,
            "fresh": balance.fresh,
            "carried": balance.carried,
            "run_id": run_id,
        }
        for key, balance in state.balances.items()
        if key.cycle == period
    ]
    with unit_of_work(factory) as session:
        current = repo.period(session, province, period, lock=True)
        run = session.get(RatingRun, run_id)
        if run is None or run.status != RunStatus.RUNNING or current.current_run_id != previous_id:
            raise Conflict(
                f"another rating run of {province} {period} finished first; run it again",
                code="RUN_SUPERSEDED",
            )
        billed = current.billed_run_id is not None
        run.status, run.finished_at = RunStatus.DONE, now()
        run.records, run.rated, run.errors = report.records, report.rated, report.errors
        run.amount_li = report.amount_li
        run.changed_records = changes.height
        run.delta_li = int(changes["delta_li"].sum()) if changes.height else 0
        repo.add_batch_counts(
            session,
            [
                {"run_id": run_id, "batch_id": b, "records": n, "errors": e}
                for b, n, e in batches.iter_rows()
                if b is not None
            ],
        )
        carrying = {a.id for a in plan.allowances if a.carry_over_cycles}
        closing_before = {
            (c.allowance_id, c.owner, c.fresh, c.carried)
            for c in repo.counters(session, province, period)
            if c.allowance_id in carrying
        }
        counters_changed = closing_before != {
            (c["allowance_id"], c["owner"], c["fresh"], c["carried"])
            for c in counters
            if c["allowance_id"] in carrying
        }
        repo.replace_counters(session, province, period, counters)
        if pushed.height:
            mark_pushed(session, pushed, now(), billed)
        repo.add_account_deltas(
            session,
            [
                {
                    "run_id": run_id,
                    "account_id": a,
                    "records": n,
                    "before_li": b,
                    "after_li": f,
                    "delta_li": f - b,
                }
                for a, n, b, f in accounts.iter_rows()
            ],
        )
        adjustments = [
            {
                "id": new_id(),
                "province": province,
                "period": period,
                "account_id": a,
                "amount_li": f - b,
                "run_id": run_id,
                "reason": reason,
            }
            for a, _n, b, f in accounts.iter_rows()
            if billed and f != b
        ]
        repo.add_adjustments(session, adjustments)
        replaced = session.get(RatingRun, previous_id) if previous_id else None
        if replaced is not None and replaced.id != current.billed_run_id:
            replaced.output_dir = None  # its records are superseded; the billed run's stay
        current.current_run_id = run_id
        # A later cycle opened with this one's closing balances (carry-over): if they moved,
        # its rating is stale until it is rerated.
        later = [
            p.period
            for p in repo.periods(session, province)
            if counters_changed and p.period > period and p.current_run_id is not None
        ]
        keep = {r.output_dir for r in repo.runs(session, province, period) if r.output_dir} | {
            str(out_dir)
        }
    store.sweep(data_dir, province, period, keep)
    return RunOutcome(
        run_id=run_id,
        province=province,
        period=period,
        records=report.records,
        rated=report.rated,
        errors=dict(report.errors),
        amount_li=report.amount_li,
        previous_run_id=previous_id,
        changed_records=changes.height,
        delta_li=int(changes["delta_li"].sum()) if changes.height else 0,
        accounts=[AccountChange(a, n, b, f) for a, n, b, f in accounts.iter_rows()],
        billed=billed,
        adjustments=len(adjustments),
        later_periods=later,
        seconds=time.perf_counter() - started,
    )


def close_period(session: Session, province: str, period: str) -> str:
    """Billing has taken the period's current rating: later changes become adjustments."""
    check_period(period)
    current = repo.period(session, province, period, lock=True)
    if current.current_run_id is None:
        raise Conflict(f"{province} {period} has not been rated", code="NOT_RATED")
    if current.billed_run_id is None:
        current.billed_run_id, current.billed_at = current.current_run_id, now()
    return current.billed_run_id


def current_batch_counts(session: Session, province: str | None) -> dict[str, tuple[int, int]]:
    """Per mediation batch, (records rated, of which with an error) by the current run of
    every period: what the mediation reconcile shows beside each batch."""
    run_ids = [p.current_run_id for p in repo.periods(session, province) if p.current_run_id]
    return repo.batch_counts(session, run_ids)


def current_day_counts(
    session: Session, data_dir: Path, province: str | None, zone: ZoneInfo
) -> dict[tuple[str, date], tuple[int, int]]:
    """Per (source, traffic day in ``zone``), (records rated, of which with an error) by the
    current run of every period: the mediation reconcile by traffic day shows them."""
    counts: dict[tuple[str, date], tuple[int, int]] = {}
    for found in repo.periods(session, province):
        run = store.current_run(session, found.province, found.period)
        if run is None or run.output_dir is None:
            continue
        usage = usage_store.usage_frame(
            session, data_dir, found.province, store.period_days(found.period)
        ).select("record_id", "source", "event_time")
        per_day = (
            store.run_records(Path(run.output_dir))
            .select("record_id", "error")
            .join(usage, on="record_id", how="inner")
            .group_by("source", pl.col("event_time").dt.convert_time_zone(zone.key).dt.date())
            .agg(pl.len().alias("rated"), pl.col("error").is_not_null().sum().alias("errors"))
            .collect()
        )
        for source, day, rated, errors in per_day.iter_rows():
            before = counts.get((source, day), (0, 0))
            counts[(source, day)] = (before[0] + int(rated), before[1] + int(errors))
    return counts


# --- reading runs (API) -------------------------------------------------------------------

RUN_READERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST)


def visible_runs(
    session: Session, principal: Principal, province: str, period: str | None
) -> list[tuple[RatingRun, bool]]:
    """A province's runs, each with whether it is its period's current rating."""
    principal.require(*RUN_READERS)
    if period is not None:
        check_period(period)
    current = {p.period: p.current_run_id for p in repo.periods(session, province)}
    return [(r, current.get(r.period) == r.id) for r in repo.runs(session, province, period)]


def run_account_deltas(
    session: Session, principal: Principal, province: str, run_id: str
) -> list[AccountDelta]:
    principal.require(*RUN_READERS)
    run = session.get(RatingRun, run_id)
    if run is None or run.province != province:
        raise NotFound(f"rating run {run_id!r} not found in province {province}")
    return repo.account_deltas(session, run_id)


def visible_adjustments(
    session: Session, principal: Principal, province: str, period: str | None
) -> list[RatingAdjustment]:
    principal.require(*RUN_READERS)
    if period is not None:
        check_period(period)
    return repo.adjustments(session, province, period)
