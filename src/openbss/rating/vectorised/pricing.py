"""Pricing: the rule of each event, its amount and units, band splitting, remainders, tiers."""

from __future__ import annotations

import polars as pl

from openbss.rating.vectorised.clock import (
    _bands,
    _edge_clocks,
    _local_by_tariff,
    _near_transition,
    _to_utc,
)
from openbss.rating.vectorised.codes import DAY_US, NO_ZONE, SECOND_US, SERVICES, SMS, VOICE
from openbss.rating.vectorised.plan import CompiledPlan

# --- pricing ------------------------------------------------------------------------------


def _rule_expr(cp: CompiledPlan, band: pl.Expr) -> pl.Expr:
    services, zones, bands, directions, accesses = cp.rule_key_dims
    key = pl.col("tariff").cast(pl.Int64) * services + pl.col("svc")
    key = key * zones + pl.col("zone").fill_null(NO_ZONE)
    key = key * bands + band.fill_null(bands - 1)
    key = (key * directions + pl.col("dir")) * accesses + pl.col("acc")
    return pl.lit(cp.rule_table).gather(key)


def _ceil_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return -((-a) // b)


def _price(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Amount and rounded units of each event as priced from its start.

    Reads tariff, svc, zone, dir, acc, t, local, dur, vol and band (the call's band, which
    selects the starting rule); adds rule, amount, units and no_rule (a part without rule).
    Durations and volumes are never negative, so the price needs no branch (see
    ``_charge_columns``).
    """
    f = f.with_columns(rule=_rule_expr(cp, pl.col("band")))
    f = f.with_columns(
        **{name: pl.lit(series).gather(pl.col("rule")) for name, series in cp.charges.items()}
    )
    dur, step = pl.col("dur"), pl.col("step_div")
    answered = (dur > 0).cast(pl.Int64)
    steps = _ceil_div((dur - pl.col("first_block_s")).clip(lower_bound=0), step)
    f = f.with_columns(
        time_li=answered * pl.col("first_block_li") + steps * pl.col("step_li"),
        rounded_s=answered * pl.col("first_block_s") + steps * step,
        part_no_rule=pl.lit(False),
    )
    if any(cp.tariff_split):
        f = _split(f, cp)
    unit = pl.col("unit_div")
    volume_units = _ceil_div(pl.col("vol"), unit)
    amount = pl.col("fixed_li") + pl.col("time_li") + volume_units * pl.col("unit_li")
    return f.with_columns(
        amount=amount.clip(upper_bound=pl.col("cap_li")),
        units=pl.when(pl.col("svc") == VOICE)
        .then(pl.col("rounded_s"))
        .when(pl.col("svc") == SMS)
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(volume_units * unit),
        no_rule=pl.col("rule").is_null() | pl.col("part_no_rule"),
    ).drop(*cp.charges, "time_li", "rounded_s", "part_no_rule")


def _split(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Re-price the calls of "split" tariffs that reach a band edge, part by part."""
    split = pl.lit(pl.Series(cp.tariff_split, dtype=pl.Boolean)).gather(pl.col("tariff"))
    wanted = (split & (pl.col("dur") > 0) & pl.col("rule").is_not_null()).fill_null(False)
    needed = ["t", "local", "dur", "tariff", "svc", "zone", "dir", "acc", "band"]
    calls = (
        f.select(*needed, "first_block_s", "first_block_li", wanted=wanted)
        .with_row_index("row")
        .filter(pl.col("wanted"))
    )
    if calls.height == 0:
        return f
    end = calls["t"] + calls["dur"] * SECOND_US
    calls = calls.with_columns(
        end=end,
        local_end=_local_by_tariff(end, calls["tariff"], cp),
        profile=cp.tariff_profile.gather(calls["tariff"]),
    )
    # A call reaches an edge when the first edge after its start lies before its end; near
    # a change of the zone's offset every call is cut the exact way.
    day_start = (pl.col("local") // DAY_US) * DAY_US
    tod = pl.col("local") - day_start
    following: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for number, profile in reversed(list(enumerate(cp.profiles))):
        nxt: pl.Expr = pl.lit(DAY_US, dtype=pl.Int64)
        for clock in reversed(_edge_clocks(profile)):
            nxt = pl.when(tod < clock).then(pl.lit(clock, dtype=pl.Int64)).otherwise(nxt)
        following = pl.when(pl.col("profile") == number).then(nxt).otherwise(following)
    near = _near_transition(calls["t"], calls["tariff"], cp) | _near_transition(
        calls["end"], calls["tariff"], cp
    )
    calls = calls.with_columns(near=near)
    calls = calls.filter((day_start + following < pl.col("local_end")) | pl.col("near"))
    if calls.height == 0:
        return f
    parts = _parts(calls, cp)
    return f.with_columns(
        time_li=f["time_li"].scatter(parts["row"], parts["time_li"]),
        rounded_s=f["rounded_s"].scatter(parts["row"], parts["rounded_s"]),
        part_no_rule=f["part_no_rule"].scatter(parts["row"], parts["no_rule"]),
    )


def _parts(calls: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Time price and rounded seconds of crossing calls, cut where the band changes.

    Mirrors the contract: edges are band starts and ends and midnights on every local date
    the call touches, as whole started seconds from the start; a part begins at an edge
    where the band differs from the running part's; the starting rule's first block covers
    the call's first seconds, and each part rounds its remaining seconds to its own step.
    """
    clocks = pl.Series([_edge_clocks(p) for p in cp.profiles], dtype=pl.List(pl.Int64))
    edges = (
        calls.select(
            "row",
            "t",
            "end",
            "dur",
            "tariff",
            "local",
            "local_end",
            "near",
            day=pl.int_ranges(pl.col("local") // DAY_US, pl.col("local_end") // DAY_US + 1),
            clock=pl.lit(clocks).gather(pl.col("profile")),
        )
        .explode("day")
        .explode("clock")
        .with_columns(edge_local=pl.col("day") * DAY_US + pl.col("clock"))
    )
    # Away from offset changes an edge is the call's own offset away from its local time.
    edge_utc = edges["edge_local"] - (edges["local"] - edges["t"])
    if edges["near"].any():
        exact = _to_utc(edges["edge_local"], edges["tariff"], cp)
        edge_utc = exact.zip_with(edges["near"], edge_utc)
    offset = _ceil_div(pl.col("edge") - pl.col("t"), pl.lit(SECOND_US))
    edges = (
        edges.with_columns(edge=edge_utc)
        .filter((pl.col("edge") > pl.col("t")) & (pl.col("edge") < pl.col("end")))
        .select("row", "t", "tariff", "dur", offset=offset)
        .unique(["row", "offset"])
        .filter(pl.col("offset") < pl.col("dur"))
        .sort("row", "offset")
    )
    at = edges["t"] + edges["offset"] * SECOND_US
    edges = edges.with_columns(
        part_band=_bands(_local_by_tariff(at, edges["tariff"], cp), edges["tariff"], cp)
    ).join(calls.select("row", "band"), on="row", how="left", maintain_order="left")
    same_call = pl.col("row") == pl.col("row").shift(1)
    previous = pl.when(same_call).then(pl.col("part_band").shift(1)).otherwise(pl.col("band"))
    starts = edges.filter(pl.col("part_band").ne_missing(previous)).select(
        "row", begin="offset", part_band="part_band"
    )
    keys = ["row", "tariff", "svc", "zone", "dir", "acc", "dur", "first_block_s"]
    parts = (
        pl.concat(
            [
                calls.select("row", begin=pl.lit(0, dtype=pl.Int64), part_band=pl.col("band")),
                starts,
            ]
        )
        .sort("row", "begin")
        .join(calls.select(keys), on="row", how="left", maintain_order="left")
    )
    next_begin = pl.when(pl.col("row").shift(-1) == pl.col("row")).then(pl.col("begin").shift(-1))
    parts = parts.with_columns(
        finish=next_begin.otherwise(pl.col("dur")),
        part_rule=_rule_expr(cp, pl.col("part_band")),
    ).with_columns(
        step_div=pl.lit(cp.charges["step_div"]).gather(pl.col("part_rule")),
        step_li=pl.lit(cp.charges["step_li"]).gather(pl.col("part_rule")),
    )
    first_block = pl.col("first_block_s")
    overlap = (pl.min_horizontal(pl.col("finish"), first_block) - pl.col("begin")).clip(
        lower_bound=0
    )
    steps = _ceil_div(pl.col("finish") - pl.col("begin") - overlap, pl.col("step_div"))
    summed = parts.group_by("row").agg(
        time=(steps * pl.col("step_li")).sum(),
        rounded=(steps * pl.col("step_div")).sum(),
        no_rule=pl.col("part_rule").is_null().any(),
    )
    # The first block is priced once (these calls have a duration above 0).
    return summed.join(calls.select("row", "first_block_li", "first_block_s"), on="row").select(
        "row",
        "no_rule",
        time_li=pl.col("first_block_li") + pl.col("time"),
        rounded_s=pl.col("first_block_s") + pl.col("rounded"),
    )


# --- remainders, tiers --------------------------------------------------------------------

_PRICE_INPUTS = ("tariff", "svc", "zone", "dir", "acc", "t", "local", "dur", "vol", "band")


def _remainders(rest: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Price what allowances left uncovered, as events of their own (see the model).

    ``rest`` holds the partly covered events with their quantity ``q`` and ``covered``.
    """
    voice = pl.col("svc") == VOICE
    left = pl.col("q") - pl.col("covered")
    rest = rest.with_columns(
        t=pl.when(voice).then(pl.col("t") + pl.col("covered") * SECOND_US).otherwise(pl.col("t")),
        dur=pl.when(voice).then(left).otherwise(0),
        vol=pl.when(voice).then(0).otherwise(left),
    )
    local = _local_by_tariff(rest["t"], rest["tariff"], cp)
    split = pl.Series(cp.tariff_split, dtype=pl.Boolean).gather(rest["tariff"])
    band = _bands(local, rest["tariff"], cp).zip_with(split, rest["band"])
    priced = _price(rest.with_columns(local=local, band=band).select("i", *_PRICE_INPUTS), cp)
    return priced.select("i", "amount", "units", "no_rule")


def _tiers(f: pl.DataFrame, cp: CompiledPlan) -> pl.Series:
    """The amount after tier discounts, counted per subscriber, tariff id, cycle, service."""
    tiered = [k for k, t in enumerate(cp.tariffs) if t.tiers]
    if not tiered:
        return f["amount"]
    ids = {cp.tariff_id_code[k] for k in tiered}
    tid = pl.lit(pl.Series(cp.tariff_id_code, dtype=pl.Int32)).gather(pl.col("tariff"))
    counted = _in_event_order(
        f.select(
            "i",
            "t",
            "record_id",
            "sub_id",
            "tariff",
            "cycle",
            "svc",
            "units",
            "amount",
            tid=tid,
            counted=pl.col("error").is_null() & pl.col("chargeable") & tid.is_in(sorted(ids)),
        )
        .filter(pl.col("counted"))
        .drop("counted")
    )
    before = pl.col("units").cum_sum().over("sub_id", "tid", "cycle", "svc") - pl.col("units")
    percent: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for k in reversed(tiered):
        chain: pl.Expr = pl.lit(None, dtype=pl.Int64)
        ranked = sorted(cp.tariffs[k].tiers, key=lambda tier: -tier.from_units)
        for tier in reversed(ranked):
            code = SERVICES.index(tier.service) if tier.service in SERVICES else -1
            reached = (pl.col("svc") == code) & (before >= tier.from_units)
            chain = pl.when(reached).then(pl.lit(tier.percent, dtype=pl.Int64)).otherwise(chain)
        percent = pl.when(pl.col("tariff") == k).then(chain).otherwise(percent)
    discounted = counted.select(
        "i",
        amount=pl.when(percent.is_not_null())
        .then((pl.col("amount") * percent + 50) // 100)
        .otherwise(pl.col("amount")),
    )
    return f["amount"].scatter(discounted["i"], discounted["amount"])


def _in_event_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows by event time, ties by record id (and then input order), as the contract draws
    pools and counts tiers. Ties are rare, so the text key is used only when there are any."""
    by_time = frame.sort("t", maintain_order=True)
    if by_time.height > 1 and (by_time["t"].diff() == 0).any():
        return frame.sort("t", "record_id", maintain_order=True)
    return by_time
