"""Allowances: opening balances, pools drawn in event-time order, and the pools left."""

from __future__ import annotations

import polars as pl

from openbss.rating.contract import Allowance
from openbss.rating.vectorised.codes import _MAX_POSITIONS, BALANCE_SCHEMA, SERVICES, ZONES
from openbss.rating.vectorised.plan import CompiledPlan

# --- allowances ---------------------------------------------------------------------------

_POW2 = pl.Series([1 << k for k in range(_MAX_POSITIONS + 1)], dtype=pl.Int64)


def _cycle_text(cycle: pl.Expr) -> pl.Expr:
    year = (cycle // 12).cast(pl.String).str.zfill(4)
    month = (cycle % 12 + 1).cast(pl.String).str.zfill(2)
    return pl.concat_str([year, pl.lit("-"), month])


def _cycle_number(text: pl.Expr) -> pl.Expr:
    year = text.str.slice(0, 4).cast(pl.Int32)
    return year * 12 + text.str.slice(5, 2).cast(pl.Int32) - 1


def _opening(balances: pl.DataFrame, cp: CompiledPlan) -> dict[int, pl.DataFrame]:
    """Balances before the batch per allowance, keyed as the engine keys pools: the owner is
    the subscriber number (``sub_id``) or, for shared pools, the account."""
    by_allowance: dict[int, pl.DataFrame] = {}
    if balances.height == 0:
        return by_allowance
    frame = balances.with_columns(cycle=_cycle_number(pl.col("cycle")))
    for number, allowance in enumerate(cp.allowances):
        rows = frame.filter(pl.col("allowance_id") == allowance.id)
        if not allowance.shared:
            rows = rows.join(
                cp.subscribers.rename({"subscriber": "owner"}), on="owner", how="inner"
            ).with_columns(owner=pl.col("sub_id"))
        by_allowance[number] = rows.select("owner", "cycle", "fresh", "carried")
    return by_allowance


def _open_pools(
    pools: pl.DataFrame, units: int, carry: bool, opening: pl.DataFrame | None
) -> pl.DataFrame:
    """Initial and final balance of every pool the batch draws (owner, cycle, total).

    A pool the state holds starts from its balance; a new one from ``units`` fresh, plus the
    previous cycle's fresh units when it carries over (the previous pool as this batch left
    it, or as the state held it). Carried units go first.
    """
    keys = ["owner", "cycle"]
    if opening is not None:
        pools = pools.join(
            opening.rename({"fresh": "st_fresh", "carried": "st_carried"}),
            on=keys,
            how="left",
            maintain_order="left",
        )
    else:
        pools = pools.with_columns(
            st_fresh=pl.lit(None, dtype=pl.Int64), st_carried=pl.lit(None, dtype=pl.Int64)
        )
    pools = pools.with_columns(
        new=pl.col("st_fresh").is_null(),
        fresh0=pl.col("st_fresh").fill_null(units),
        carried0=pl.col("st_carried").fill_null(0),
    )
    used = pl.min_horizontal(pl.col("total"), pl.col("fresh0") + pl.col("carried0"))
    from_carried = pl.min_horizontal(used, pl.col("carried0"))
    final = [
        (pl.col("fresh0") + pl.col("carried0")).alias("initial"),
        (pl.col("fresh0") - (used - from_carried)).alias("fresh"),
        (pl.col("carried0") - from_carried).alias("carried"),
    ]
    if carry and pools["new"].any():
        if opening is not None:
            before = opening.select("owner", cycle=pl.col("cycle") + 1, prev_state=pl.col("fresh"))
            pools = pools.join(before, on=keys, how="left", maintain_order="left")
        else:
            pools = pools.with_columns(prev_state=pl.lit(None, dtype=pl.Int64))
        while True:  # one round per chained cycle: each new pool's carry is its predecessor's
            finished = pools.with_columns(final)
            previous = finished.select("owner", cycle=pl.col("cycle") + 1, prev_batch="fresh")
            carried = (
                pools.join(previous, on=keys, how="left", maintain_order="left")
                .select(
                    pl.when(pl.col("new"))
                    .then(pl.coalesce("prev_batch", "prev_state", pl.lit(0, dtype=pl.Int64)))
                    .otherwise(pl.col("carried0"))
                )
                .to_series()
            )
            if carried.equals(pools["carried0"]):
                break
            pools = pools.with_columns(carried0=carried)
    return pools.with_columns(final).select("owner", "cycle", "initial", "fresh", "carried")


def _pool_draws(
    c: pl.DataFrame, allowance: Allowance, opening: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Units each candidate finds left in its pool, and the pools' balances.

    ``c`` (owner, cycle, q) is in event-time order; a stable sort by pool keeps that order
    inside each pool, so one running sum gives every event the quantity drawn before it in
    its pool. Returns ``c`` in pool order, the units left before each event, and the pools.
    """
    c = c.sort("owner", "cycle", maintain_order=True)
    head = (pl.col("owner") != pl.col("owner").shift(1)) | (
        pl.col("cycle") != pl.col("cycle").shift(1)
    )
    c = c.with_columns(head=head.fill_null(True), cum=pl.col("q").cum_sum())
    c = c.with_columns(pool=pl.col("head").cum_sum().cast(pl.Int64) - 1)
    heads = c["head"].arg_true()
    ends = pl.concat([heads.slice(1) - 1, pl.Series([c.height - 1], dtype=heads.dtype)])
    base = c["cum"].gather(heads) - c["q"].gather(heads)
    pools = _open_pools(
        c.gather(heads).select("owner", "cycle", total=c["cum"].gather(ends) - base),
        allowance.units_per_cycle,
        allowance.carry_over_cycles == 1,
        opening,
    )
    pool = c["pool"]
    before = c["cum"] - c["q"] - base.gather(pool)
    left = (pools["initial"].gather(pool) - before).clip(lower_bound=0)
    return c, left, pools


def _draw(
    e: pl.DataFrame, cp: CompiledPlan, opening: dict[int, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Which allowance serves each event and how much it covers, and the pools drawn.

    ``e`` holds the events that may draw (chargeable, priced above 0, with allowances),
    sorted by event time and record id. An event's bit ``p`` in ``avail`` says that the
    allowance at position ``p`` of its assignment's list is applicable and had units left;
    it may draw from an allowance only when no earlier position's bit is set.
    """
    e = e.with_row_index("e_pos")
    avail = pl.zeros(e.height, dtype=pl.Int64, eager=True)
    covered = pl.zeros(e.height, dtype=pl.Int64, eager=True)
    drawn: dict[int, pl.DataFrame] = {}
    while True:
        start = avail
        for number in cp.allowance_order:
            allowance = cp.allowances[number]
            position = cp.allowance_position[number].gather(e["lc"])
            bit = _POW2.gather(position.clip(lower_bound=0))
            applicable = position >= 0
            if allowance.service in SERVICES:
                applicable = applicable & (e["svc"] == SERVICES.index(allowance.service))
            else:
                applicable = applicable & False
            if allowance.zones is not None:
                zones = [ZONES.index(z) for z in allowance.zones]
                applicable = applicable & e["zone"].is_in(zones).fill_null(False)
            blocked = (avail & (bit - 1)) != 0
            candidate = applicable & ~blocked
            rows = candidate.arg_true()
            has_bit = position >= 0
            avail = avail.zip_with(~has_bit, avail & ~bit)  # cleared; set again below
            if rows.len() == 0:
                drawn.pop(number, None)
                continue
            owner = pl.col("account_id") if allowance.shared else pl.col("sub_id")
            c, left, pools = _pool_draws(
                e.gather(rows).select("e_pos", "q", "cycle", owner=owner),
                allowance,
                opening.get(number),
            )
            has_left = left > 0
            served = c["e_pos"].filter(has_left)
            avail = avail.scatter(served, avail.gather(served) | bit.gather(served))
            drawn_units = pl.select(
                pl.min_horizontal(c["q"].filter(has_left), left.filter(has_left))
            ).to_series()
            covered = covered.scatter(served, drawn_units)
            drawn[number] = pools
        if cp.order_consistent or avail.equals(start):
            break
    position_of: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for k in reversed(range(cp.max_positions)):
        position_of = pl.when(pl.col("avail") == (1 << k)).then(k).otherwise(position_of)
    served_by = e.with_columns(avail=avail, covered=covered).select(
        "i",
        "covered",
        allowance=pl.lit(cp.list_allowance).gather(
            pl.col("lc").cast(pl.Int64) * cp.max_positions + position_of
        ),
    )
    return served_by, _drawn_pools(drawn, cp)


def _drawn_pools(drawn: dict[int, pl.DataFrame], cp: CompiledPlan) -> pl.DataFrame:
    frames = []
    for number, pools in drawn.items():
        allowance = cp.allowances[number]
        owner = pl.col("owner")
        if not allowance.shared:  # the subscriber of each sub_id
            pools = pools.join(
                cp.subscribers, left_on="owner", right_on="sub_id", maintain_order="left"
            ).with_columns(owner=pl.col("subscriber"))
        frames.append(
            pools.select(
                allowance_id=pl.lit(allowance.id, dtype=pl.String),
                owner=owner.cast(pl.String),
                cycle=_cycle_text(pl.col("cycle")),
                fresh="fresh",
                carried="carried",
            )
        )
    if not frames:
        return pl.DataFrame(schema=BALANCE_SCHEMA)
    return pl.concat(frames)
