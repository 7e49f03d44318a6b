"""The rated-usage store: where rating runs write, and the one reader of rated usage.

Layout under ``<data dir>/rated/``::

    province=GD/period=2026-10/run=<id>/rated-NNNN.parquet      the run's records
                                        allowances-NNNN.parquet  the pools it drew
                                        changes.parquet          what changed since the run before

The rated files hold the rating columns only (``vectorised.OUTPUT_COLUMNS``); what a record
was — its time, number, account — stays in mediation's usage store. :func:`rated_usage`
joins the two for a period's *current* run, so no other code needs the layout or the join.
A run directory is read only through its run row (``RatingRun.output_dir``): a superseded
run's row points nowhere and its directory is swept.
"""

from __future__ import annotations

import calendar
import shutil
from datetime import date
from itertools import product
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from openbss.kit.names import inside, province_code, safe_id
from openbss.mediation import public as usage_store
from openbss.rating import repository as repo
from openbss.rating.contract import Direction, RateRule, Zone
from openbss.rating.documents import TariffDocument
from openbss.rating.models import RatingRun
from openbss.rating.partitioned import DIRECTION_ALIASES, SERVICE_ALIASES, read_rated
from openbss.rating.vectorised import RATED_SCHEMA

CHANGES_FILE = "changes.parquet"
_RATED_PARTS = "rated-*.parquet"

# What a rated record was, from the usage store.
USAGE_SCHEMA: dict[str, pl.DataType] = {
    "batch_id": pl.String(),
    "source": pl.String(),
    "event_time": pl.Datetime("us", "UTC"),
    "duration_s": pl.Int64(),
    "volume_up": pl.Int64(),
    "volume_down": pl.Int64(),
    "calling": pl.String(),
    "called": pl.String(),
    "service": pl.String(),
    "direction": pl.String(),
    "charging_party": pl.String(),
    "area_code": pl.String(),
    "ip_access_code": pl.String(),
    "product_id": pl.String(),
    "customer_id": pl.String(),
    "billing_account_id": pl.String(),
}
# Which rule of the tariff version priced a record (its position and name): not stored, but
# found again as the engines find it — the first rule matching the record (null for a
# record rated with an error).
RULE_SCHEMA: dict[str, pl.DataType] = {"rule_index": pl.Int64(), "rule": pl.String()}
RATED_USAGE_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    **USAGE_SCHEMA,
    **{k: v for k, v in RATED_SCHEMA.items() if k != "record_id"},
    **RULE_SCHEMA,
}
_RULE_FIELDS = ("service", "zone", "band", "direction", "access")
_RULE_KEYS = ("tariff_id", "tariff_version", *(f"rule_{f}" for f in _RULE_FIELDS))


def period_days(period: str) -> list[date]:
    """The calendar days of a period ("YYYY-MM"): the usage store's days it rates."""
    year, month = int(period[:4]), int(period[5:7])
    return [date(year, month, day) for day in range(1, calendar.monthrange(year, month)[1] + 1)]


def period_usage_parts(session: Session, data_dir: Path, province: str, period: str) -> list[Path]:
    """The usage a run of the period rates: the normalised parts of its days that finished
    mediation batches wrote (a batch still being written is rated once it is finished)."""
    return usage_store.finished_usage_parts(session, data_dir, province, period_days(period))


def rated_root(data_dir: Path, province: str, period: str) -> Path:
    """The directory of a province's period: one ``run=<id>`` directory per run kept."""
    province_code(province)
    return inside(data_dir, "rated", f"province={province}", f"period={safe_id(period, 'period')}")


def run_dir(data_dir: Path, province: str, period: str, run_id: str) -> Path:
    return inside(rated_root(data_dir, province, period), f"run={safe_id(run_id, 'a run id')}")


def changes_file(out_dir: Path) -> Path:
    return out_dir / CHANGES_FILE


def sweep(data_dir: Path, province: str, period: str, keep: set[str]) -> None:
    """Remove the period's run directories not in ``keep`` (killed runs, replaced runs)."""
    root = rated_root(data_dir, province, period)
    if not root.is_dir():
        return
    for directory in root.glob("run=*"):
        if str(directory) not in keep:
            shutil.rmtree(directory, ignore_errors=True)


def run_records(out_dir: Path | None) -> pl.LazyFrame:
    """The records a run wrote (RATED_SCHEMA); empty when it rated nothing."""
    if out_dir is None or not any(out_dir.glob(_RATED_PARTS)):
        return pl.LazyFrame(schema=RATED_SCHEMA)
    return read_rated(out_dir).select(
        pl.col(name).cast(dtype) for name, dtype in RATED_SCHEMA.items()
    )


def current_run(session: Session, province: str, period: str) -> RatingRun | None:
    """The run that is the period's current rating, when it has one whose records are kept."""
    found = repo.find_period(session, province, period)
    if found is None or found.current_run_id is None:
        return None
    run = session.get(RatingRun, found.current_run_id)
    return run if run is not None and run.output_dir else None


def _rule_keys(known: dict[str, set[str]]) -> list[pl.Expr]:
    """A record's fields as rules see them (the store's values read as the engines read
    them); a value no rule names is null, which only a rule naming nothing matches."""

    def named(column: pl.Expr, field: str) -> pl.Expr:
        return pl.when(column.is_in(sorted(known[field]))).then(column).alias(f"rule_{field}")

    direction = pl.col("direction").fill_null("").replace("", Direction.MO.value)
    return [
        pl.col("service").replace(SERVICE_ALIASES).alias("rule_service"),
        named(pl.col("zone"), "zone"),
        named(pl.col("band"), "band"),
        named(direction.replace(DIRECTION_ALIASES), "direction"),
        named(pl.col("ip_access_code"), "access"),
    ]


def _rule_table(session: Session, province: str) -> tuple[pl.LazyFrame, dict[str, set[str]]]:
    """The first matching rule of every tariff version the province sees, for every
    combination of the values rules name (and null: none of them)."""
    versions = [
        (row.tariff_id, row.version, TariffDocument.model_validate(row.document).to_tariff(()))
        for row in repo.tariff_versions(session, province)
    ]
    rules = [rule for _id, _version, tariff in versions for rule in tariff.rules]
    known = {
        "zone": {r.zone.value for r in rules if r.zone is not None},
        "band": {r.band for r in rules if r.band is not None},
        "direction": {r.direction.value for r in rules if r.direction is not None},
        "access": {r.ip_access_code for r in rules if r.ip_access_code is not None},
    }
    choices = [[None, *sorted(known[f])] for f in ("zone", "band", "direction", "access")]
    table: list[tuple[object, ...]] = []
    for tariff_id, version, tariff in versions:
        for service in sorted({r.service.value for r in tariff.rules}):
            for zone, band, direction, access in product(*choices):
                index = _first_rule(tariff.rules, service, zone, band, direction, access)
                if index is not None:
                    name = tariff.rules[index].name
                    table.append(
                        (tariff_id, version, service, zone, band, direction, access, index, name)
                    )
    schema: dict[str, pl.DataType] = dict.fromkeys(_RULE_KEYS, pl.String())
    schema["tariff_version"] = pl.Int64()
    frame = pl.LazyFrame(table, schema={**schema, **RULE_SCHEMA}, orient="row")
    return frame, known


def _first_rule(
    rules: tuple[RateRule, ...],
    service: str,
    zone: str | None,
    band: str | None,
    direction: str | None,
    access: str | None,
) -> int | None:
    as_zone = None if zone is None else Zone(zone)
    for index, rule in enumerate(rules):
        if rule.matches(service, as_zone, band, direction or "", access):
            return index
    return None


def rated_usage(session: Session, data_dir: Path, province: str, period: str) -> pl.LazyFrame:
    """The period's rated usage (RATED_USAGE_SCHEMA): every record of its current run —
    never of a run it superseded — with what the usage store says of it.

    A period never rated (or whose rating was never kept) reads as an empty frame with the
    same schema; who must tell "not rated" from "no usage" asks :func:`current_run` (billing
    takes a period through ``runs.close_period``, which refuses a period never rated).
    Collect the frame before the period is rated again: a rerun sweeps what it supersedes.
    """
    run = current_run(session, province, period)
    if run is None or run.output_dir is None:
        return pl.LazyFrame(schema=RATED_USAGE_SCHEMA)
    usage = usage_store.usage_frame(session, data_dir, province, period_days(period))
    known = usage.select(
        "record_id", *(pl.col(name).cast(dtype) for name, dtype in USAGE_SCHEMA.items())
    )
    rules, named = _rule_table(session, province)
    joined = run_records(Path(run.output_dir)).join(known, on="record_id", how="left")
    return (
        joined.with_columns(_rule_keys(named))
        .join(rules, on=list(_RULE_KEYS), how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("error").is_null()).then(pl.col(c)).alias(c) for c in RULE_SCHEMA
        )
        .select(list(RATED_USAGE_SCHEMA))
    )
