"""The engine: input preparation, tariff and destination per record, the rating pass and
its output, and the public API (frames in and out, allowance state).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import pyarrow as pa

from openbss.rating.contract import (
    AllowanceState,
    Direction,
    PoolBalance,
    PoolKey,
    RatedEvent,
    RatingPlan,
    UsageEvent,
    Zone,
)
from openbss.rating.vectorised.allowances import _draw, _opening
from openbss.rating.vectorised.clock import _bands, _cycles, _local_by_tariff
from openbss.rating.vectorised.codes import (
    _NO_RULE,
    _NO_TARIFF,
    _UNKNOWN_DESTINATION,
    BALANCE_SCHEMA,
    DIRECTIONS,
    OTHER_DIRECTION,
    OTHER_SERVICE,
    REQUIRED,
    SERVICES,
    SMS,
    USAGE_EVENT_SCHEMA,
    VOICE,
    ZONES,
)
from openbss.rating.vectorised.destinations import _called_key
from openbss.rating.vectorised.lookup import enum_values, sub_ids
from openbss.rating.vectorised.plan import CompiledPlan, _micros, compile_plan
from openbss.rating.vectorised.pricing import _in_event_order, _price, _remainders, _tiers

# --- input --------------------------------------------------------------------------------


def _codes(column: pl.Expr, values: Sequence[str], other: int) -> pl.Expr:
    """Small integer codes of a text column: the value's index, ``other`` for the rest."""
    if not values:
        return pl.lit(other, dtype=pl.Int32)
    enum = pl.Enum(list(values))
    return (
        column.cast(pl.String)
        .cast(enum, strict=False)
        .to_physical()
        .cast(pl.Int32)
        .fill_null(other)
    )


def prepare(usage: pl.DataFrame | pa.Table, cp: CompiledPlan) -> pl.DataFrame:
    """The columns rating reads, as codes and integers (event time as UTC µs).

    Everything here is per record and independent of other records, so a batch job can do
    it while it partitions the input and carry the compact result (``rate_prepared``).
    """
    converted = usage if isinstance(usage, pl.DataFrame) else pl.from_arrow(usage)
    if not isinstance(converted, pl.DataFrame):
        raise TypeError("usage must be a table")
    frame: pl.DataFrame = converted
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"usage lacks column(s) {', '.join(missing)}")
    if not isinstance(frame.schema["event_time"], pl.Datetime):
        raise ValueError("event_time must be a datetime column")

    def column(name: str, default: object, dtype: pl.DataType) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(default, dtype=dtype)
        return (
            pl.col(name).cast(dtype).fill_null(default)
            if default is not None
            else pl.col(name).cast(dtype)
        )

    area_id = _codes(column("calling_area_code", None, pl.String()), cp.area_codes, -2)
    selected = [
        pl.col("record_id").cast(pl.String),
        pl.col("subscriber").cast(pl.String),
        pl.col("event_time").dt.cast_time_unit("us").cast(pl.Int64).alias("t"),
        _codes(pl.col("service"), SERVICES, OTHER_SERVICE).cast(pl.Int8).alias("svc"),
        _codes(column("direction", Direction.MO.value, pl.String()), DIRECTIONS, OTHER_DIRECTION)
        .cast(pl.Int8)
        .alias("dir"),
        (_codes(column("ip_access_code", None, pl.String()), cp.access_codes, -1) + 1)
        .cast(pl.Int16)
        .alias("acc"),
        column("duration_s", 0, pl.Int64()).alias("dur"),
        column("volume_bytes", 0, pl.Int64()).alias("vol"),
        column("called", "", pl.String()).alias("called"),
        pl.when(column("calling_area_code", None, pl.String()).is_null())
        .then(None)
        .otherwise(area_id)
        .alias("carea"),
    ]
    if cp.uses_products:
        selected.append(column("product_id", None, pl.String()).alias("product_id"))
    if cp.shared:
        selected.append(column("account_id", "", pl.String()).alias("account_id"))
    prepared = frame.select(selected)
    problems = prepared.select(
        nulls=pl.any_horizontal(pl.col("record_id", "subscriber", "t").is_null()).any(),
        negative=((pl.col("dur") < 0) | (pl.col("vol") < 0)).any(),
    ).row(0)
    if problems[0]:
        raise ValueError("record_id, subscriber and event_time must not be null")
    if problems[1]:
        raise ValueError("negative duration or volume: mediation rejects such records")
    key, used = _called_key(prepared["called"], cp.width)
    return prepared.with_columns(
        key=key, used=used.cast(pl.Int8), has_called=pl.col("called") != ""
    ).drop("called")


# --- tariff, destination, zone ------------------------------------------------------------


def _assign(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """The first assignment in plan order in force for the subscriber (and product)."""
    if "sub_id" not in f.columns:  # else looked up already (``with_sub_ids``)
        f = f.with_columns(sub_id=sub_ids(f["subscriber"], cp.subscribers))
    a = cp.assignments
    if cp.single_assignment:
        asg = pl.col("sub_id")
        valid: pl.Expr = pl.lit(True)
        # The bounds are checked only where some assignment could fail them.
        if a.height and int(a["valid_from"].max()) > int(f["t"].min() or 0):  # type: ignore[arg-type]
            valid = valid & (pl.lit(a["valid_from"]).gather(asg) <= pl.col("t"))
        if a["valid_to"].null_count() < a.height:
            valid_to = pl.lit(a["valid_to"]).gather(asg)
            valid = valid & (valid_to.is_null() | (pl.col("t") < valid_to))
        if cp.uses_products:
            product = pl.lit(a["product_id"]).gather(asg)
            valid = valid & (product.is_null() | (product == pl.col("product_id")).fill_null(False))
        return f.with_columns(asg=pl.when(valid).then(asg).otherwise(None))
    pairs = f.select("i", "sub_id", "t", *(["product_id"] if cp.uses_products else [])).join(
        a, on="sub_id", how="inner", suffix="_a"
    )
    valid = (pl.col("valid_from") <= pl.col("t")) & (
        pl.col("valid_to").is_null() | (pl.col("t") < pl.col("valid_to"))
    )
    if cp.uses_products:
        valid = valid & (
            pl.col("product_id_a").is_null()
            | (pl.col("product_id_a") == pl.col("product_id")).fill_null(False)
        )
    first = pairs.filter(valid).group_by("i").agg(pl.col("asg").min())
    return f.join(first, on="i", how="left", maintain_order="left")


def _resolve_tariff(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """The version in force at the event of the assignment's tariff (highest version)."""
    tid = pl.lit(cp.assignments["tariff_id_code"]).gather(pl.col("asg"))
    order = sorted(range(len(cp.tariffs)), key=lambda k: (-cp.tariffs[k].version, k))
    tariff: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for k in reversed(order):
        tariff_k = cp.tariffs[k]
        in_force = (tid == cp.tariff_id_code[k]) & (pl.col("t") >= _micros(tariff_k.effective_from))
        if tariff_k.effective_to is not None:
            in_force = in_force & (pl.col("t") < _micros(tariff_k.effective_to))
        tariff = pl.when(in_force).then(pl.lit(k, dtype=pl.Int32)).otherwise(tariff)
    return f.with_columns(tariff=tariff)


def _match(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Longest prefix of the called number (see the package docstring) and its zone."""
    key, used, has_called = f["key"], f["used"], f["has_called"]
    tariff = f["tariff"]
    if cp.tariff_table_base.n_unique() > 1:
        key = key + cp.tariff_table_base.gather(tariff)
    segment = cp.bounds.search_sorted(key.fill_null(-1), side="right").cast(pl.Int64) - 1
    dest = pl.select(
        pl.when((segment >= 0) & has_called & tariff.is_not_null())
        .then(pl.lit(cp.segment_destination).gather(segment.clip(lower_bound=0)))
        .cast(pl.Int32)
    ).to_series()
    while True:  # a prefix longer than a short number: fall back to its parent
        too_long = (cp.destination_length.gather(dest) > used).fill_null(False)
        if not too_long.any():
            break
        dest = dest.zip_with(~too_long, cp.destination_parent.gather(dest))
    areas = len(cp.area_codes)
    darea, carea = pl.col("darea"), pl.col("carea")
    in_province = pl.lit(cp.in_province)
    row = pl.col("tariff") * areas
    both = in_province.gather(row + darea) & in_province.gather(row + carea.clip(lower_bound=0))
    zone = (
        pl.when(darea.is_null())
        .then(pl.lit(cp.destination_zone).gather(pl.col("dest")))
        .when(carea.is_null())
        .then(None)
        .when(darea == carea)
        .then(pl.lit(ZONES.index(Zone.LOCAL), dtype=pl.Int8))
        .when(both & (carea >= 0))
        .then(pl.lit(ZONES.index(Zone.INTRA_PROVINCE), dtype=pl.Int8))
        .otherwise(pl.lit(ZONES.index(Zone.INTER_PROVINCE), dtype=pl.Int8))
    )
    return (
        f.with_columns(dest=dest, darea=cp.destination_area.gather(dest))
        .with_columns(zone=zone.cast(pl.Int8))
        .drop("key", "used", "darea")
    )


# --- rating, output -----------------------------------------------------------------------


def _rate(
    prepared: pl.DataFrame, cp: CompiledPlan, balances: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    f = _match(_resolve_tariff(_assign(prepared.with_row_index("i"), cp), cp), cp)
    local = _local_by_tariff(f["t"], f["tariff"], cp)
    f = f.with_columns(local=local, band=_bands(local, f["tariff"], cp), cycle=_cycles(local))
    no_destination = pl.col("dest").is_null() | pl.col("zone").is_null()
    f = _price(
        f.with_columns(
            error=pl.when(pl.col("tariff").is_null())
            .then(pl.lit(_NO_TARIFF, dtype=pl.Int8))
            .when(pl.col("has_called") & no_destination)
            .then(pl.lit(_UNKNOWN_DESTINATION, dtype=pl.Int8)),
            chargeable=(pl.col("svc") == SMS) | (pl.col("dur") > 0) | (pl.col("vol") > 0),
        ),
        cp,
    )
    ok = pl.col("error").is_null()
    no_rule = pl.col("rule").is_null() | (pl.col("chargeable") & pl.col("no_rule"))
    f = f.with_columns(error=pl.when(ok & no_rule).then(_NO_RULE).otherwise(pl.col("error")))
    priced = ok & pl.col("chargeable")
    f = f.with_columns(
        amount=pl.when(priced).then(pl.col("amount")).otherwise(0),
        units=pl.when(priced).then(pl.col("units")).otherwise(0),
        q=pl.when(pl.col("svc") == VOICE)
        .then(pl.col("dur"))
        .when(pl.col("svc") == SMS)
        .then(1)
        .otherwise(pl.col("vol")),
    )

    allowance = pl.Series("allowance", [None] * f.height, dtype=pl.Int32)
    covered = pl.zeros(f.height, dtype=pl.Int64, eager=True)
    drawn = pl.DataFrame(schema=BALANCE_SCHEMA)
    if cp.allowances:
        eligible = priced & (pl.col("amount") > 0)
        lc = pl.lit(cp.assignments["list_code"]).gather(pl.col("asg"))
        f = f.with_columns(lc=lc)
        eligible = eligible & pl.lit(cp.list_has_allowances).gather(pl.col("lc")).fill_null(False)
        columns = ["i", "t", "record_id", "sub_id", "svc", "zone", "lc", "cycle", "q"]
        e = f.select(*columns, *(["account_id"] if cp.shared else []), eligible=eligible)
        ordered = _in_event_order(e.filter(pl.col("eligible")).drop("eligible"))
        served, drawn = _draw(ordered, cp, _opening(balances, cp))
        served = served.filter(pl.col("allowance").is_not_null())
        allowance = allowance.scatter(served["i"], served["allowance"])
        covered = covered.scatter(served["i"], served["covered"])
    f = f.with_columns(allowance=allowance, covered=covered)

    # Partly covered events: the remainder's price and units; a remainder without a rule
    # makes the event NO_RULE (the pool stays drawn, as in the reference).
    rest = f.filter(pl.col("allowance").is_not_null() & (pl.col("q") > pl.col("covered")))
    full = pl.col("allowance").is_not_null() & (pl.col("q") <= pl.col("covered"))
    f = f.with_columns(
        amount=pl.when(full).then(0).otherwise(pl.col("amount")),
        units=pl.when(full).then(pl.col("covered")).otherwise(pl.col("units")),
    )
    if rest.height:
        r = _remainders(rest, cp).with_columns(covered=rest["covered"])
        failed = r.filter(pl.col("no_rule"))["i"]
        r = r.with_columns(  # a failed remainder leaves an errored row: nothing to show
            amount=pl.when(pl.col("no_rule")).then(0).otherwise(pl.col("amount")),
            units=pl.when(pl.col("no_rule")).then(0).otherwise(pl.col("units") + pl.col("covered")),
        )
        f = f.with_columns(
            amount=f["amount"].scatter(r["i"], r["amount"]),
            units=f["units"].scatter(r["i"], r["units"]),
            error=f["error"].scatter(
                failed, pl.repeat(_NO_RULE, failed.len(), dtype=pl.Int8, eager=True)
            ),
            allowance=f["allowance"].scatter(
                failed, pl.repeat(None, failed.len(), dtype=pl.Int32, eager=True)
            ),
            covered=f["covered"].scatter(
                failed, pl.zeros(failed.len(), dtype=pl.Int64, eager=True)
            ),
        )
    f = f.with_columns(amount=_tiers(f, cp))
    return _output(f, cp), drawn


def _output(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """One explained row per record; errored rows keep what was established before the
    error (amount, units and allowance are already 0 or null there)."""
    located = ~pl.col("error").is_in([_NO_TARIFF, _UNKNOWN_DESTINATION]).fill_null(False)
    tid = pl.lit(pl.Series(cp.tariff_id_code, dtype=pl.Int32)).gather(pl.col("tariff"))
    versions = pl.Series([t.version for t in cp.tariffs], dtype=pl.Int64)

    def text(codes: pl.Expr, column: str) -> pl.Expr:
        return pl.lit(enum_values(cp.enums[column][0])).gather(codes).alias(column)

    return f.select(
        "record_id",
        text(tid, "tariff_id"),
        tariff_version=pl.lit(versions).gather(pl.col("tariff")),
        matched_prefix=text(pl.lit(cp.destination_prefix).gather(pl.col("dest")), "matched_prefix"),
        zone=text(pl.when(located).then(pl.col("zone")), "zone"),
        band=text(pl.when(located).then(pl.col("band")), "band"),
        units="units",
        allowance_id=text(pl.col("allowance"), "allowance_id"),
        allowance_used="covered",
        amount_li="amount",
        error=text(pl.col("error"), "error"),
    )


# --- public API ---------------------------------------------------------------------------


def rate_frame(
    usage: pl.DataFrame | pa.Table, cp: CompiledPlan, balances: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rate a batch under a compiled plan: (rated rows in input order, pools drawn).

    ``balances`` (``BALANCE_SCHEMA``) are pool balances before the batch; the second frame
    holds every pool the batch drew (or opened), as the batch left it.
    """
    return rate_prepared(prepare(usage, cp), cp, balances)


def with_sub_ids(prepared: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """A prepared batch with each record's subscriber number in the plan (``sub_id``, null
    for a subscriber without an assignment): a batch job looks it up once, to choose how to
    rate the record, and ``rate_prepared`` uses it (with this plan or a part of it)."""
    return prepared.with_columns(sub_id=sub_ids(prepared["subscriber"], cp.subscribers))


def rate_prepared(
    prepared: pl.DataFrame, cp: CompiledPlan, balances: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rate_frame`` of a batch already through ``prepare`` (with the same plan)."""
    opening = balances if balances is not None else pl.DataFrame(schema=BALANCE_SCHEMA)
    return _rate(prepared, cp, opening)


def rate_table(
    usage: pl.DataFrame | pa.Table, plan: RatingPlan, state: AllowanceState | None = None
) -> pl.DataFrame:
    """Rate a batch of usage events (the columns of ``UsageEvent``) under ``plan``.

    Returns one row per input record, in input order, with the columns of ``RatedEvent``
    (text columns as Polars enums). ``state`` holds allowance balances before the batch and
    is updated in place, as ``rate_reference`` does.
    """
    balances = state_frame(state) if state is not None and state.balances else None
    rated, drawn = rate_frame(usage, compile_plan(plan), balances)
    if state is not None:
        apply_balances(state, drawn)
    return rated


def state_frame(state: AllowanceState) -> pl.DataFrame:
    """The balances of an allowance state as a frame (``BALANCE_SCHEMA``)."""
    items = list(state.balances.items())
    return pl.DataFrame(
        {
            "allowance_id": [k.allowance_id for k, _ in items],
            "owner": [k.owner for k, _ in items],
            "cycle": [k.cycle for k, _ in items],
            "fresh": [b.fresh for _, b in items],
            "carried": [b.carried for _, b in items],
        },
        schema=BALANCE_SCHEMA,
    )


def apply_balances(state: AllowanceState, drawn: pl.DataFrame) -> None:
    """Write the pools a batch drew back into ``state`` (existing balances in place)."""
    for allowance_id, owner, cycle, fresh, carried in drawn.iter_rows():
        key = PoolKey(allowance_id, owner, cycle)
        balance = state.balances.get(key)
        if balance is None:
            state.balances[key] = PoolBalance(fresh, carried)
        else:
            balance.fresh, balance.carried = fresh, carried


def usage_frame(events: Sequence[UsageEvent]) -> pl.DataFrame:
    """Usage events as the table ``rate_table`` reads (for tests and online callers)."""
    return pl.DataFrame(
        {
            "record_id": [e.record_id for e in events],
            "subscriber": [e.subscriber for e in events],
            "account_id": [e.account_id for e in events],
            "event_time": [e.event_time for e in events],
            "service": [str(e.service) for e in events],
            "direction": [str(e.direction) for e in events],
            "product_id": [e.product_id for e in events],
            "duration_s": [e.duration_s for e in events],
            "volume_bytes": [e.volume_bytes for e in events],
            "calling": [e.calling for e in events],
            "called": [e.called for e in events],
            "ip_access_code": [e.ip_access_code for e in events],
            "calling_area_code": [e.calling_area_code for e in events],
        },
        schema=USAGE_EVENT_SCHEMA,
    )


def rated_events(rated: pl.DataFrame) -> list[RatedEvent]:
    """The rows of a rated frame as ``RatedEvent`` values (for comparison and display)."""
    return [
        RatedEvent(
            record_id=row["record_id"],
            tariff_id=row["tariff_id"],
            tariff_version=row["tariff_version"],
            matched_prefix=row["matched_prefix"],
            zone=Zone(row["zone"]) if row["zone"] is not None else None,
            band=row["band"],
            units=row["units"],
            allowance_id=row["allowance_id"],
            allowance_used=row["allowance_used"],
            amount_li=row["amount_li"],
            error=row["error"],
        )
        for row in rated.iter_rows(named=True)
    ]
