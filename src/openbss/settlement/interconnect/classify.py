"""Which usage records are interconnect traffic, with which carrier, in which direction and
traffic class — as Polars expressions over the usage store's columns (no per-record Python).

For each voice or SMS record (docs/domain/settlement-interconnect.md):

- *the other party* is the caller of an incoming (``mt``) record and the called party of an
  outgoing (``mo``, ``fwd``) one; *the trunk group* is the record's ``trunk_in`` when incoming,
  ``trunk_out`` otherwise;
- *the carrier*: the trunk group's carrier when the table gives one; none (our own network)
  when the table marks the trunk group ``own``; otherwise — a shared gateway, a trunk group not
  in the table, or none recorded — the carrier of the other party's mobile number block in force
  on the call's day, and our own network for a fixed-line number. Traffic with our own carrier
  or none is not interconnect traffic and is dropped;
- *the direction*: ``in`` (the other carrier's customer called ours: they pay us) for incoming
  records, ``out`` (we pay them) for the others;
- *the traffic class* ``<caller's network>><called party's network>``: the other party's
  network is its block's (``mobile``, ``td``) or ``fixed``; our subscriber's is found the same
  way from its own number.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl

from openbss.settlement.interconnect.data import Block, Carriers

TIME_ZONE = ZoneInfo("Asia/Shanghai")
INTERCONNECT_COLUMNS = (
    "record_id",
    "event_time",
    "service",
    "direction",
    "carrier",
    "traffic_class",
    "duration_s",
)
# The usage store columns classification reads.
USAGE_COLUMNS = (
    "record_id", "event_time", "service", "direction", "calling", "called", "charging_party",
    "duration_s", "trunk_in", "trunk_out",
)  # fmt: skip


def _micros(day: date) -> int:
    """Midnight (Beijing time) starting ``day``, in UTC microseconds."""
    return int(datetime.combine(day, time(0), TIME_ZONE).timestamp()) * 1_000_000


def _block_expr(blocks: tuple[Block, ...], field: str, prefix: pl.Expr, t: pl.Expr) -> pl.Expr:
    """The carrier or network of a mobile number's block at instant ``t`` (µs), else null.

    Undated blocks are one lookup (``replace_strict``); the few dated ones are a short
    chain of conditions evaluated per block, not per record."""
    undated = {b.prefix: getattr(b, field) for b in blocks if not (b.valid_from or b.valid_to)}
    result: pl.Expr = prefix.replace_strict(undated, default=None, return_dtype=pl.String)
    for block in (b for b in blocks if b.valid_from or b.valid_to):
        when = prefix == block.prefix
        if block.valid_from is not None:
            when = when & (t >= _micros(block.valid_from))
        if block.valid_to is not None:
            when = when & (t < _micros(block.valid_to))
        result = pl.when(when).then(pl.lit(getattr(block, field))).otherwise(result)
    return result


def _mobile_prefix(number: pl.Expr) -> pl.Expr:
    return pl.when(number.str.contains(r"^\+861\d{10}$")).then(number.str.slice(3, 3))


def _network(number: pl.Expr, carriers: Carriers, t: pl.Expr) -> pl.Expr:
    """``mobile``/``td`` by block, ``fixed`` for other Chinese numbers, null otherwise."""
    block = _block_expr(carriers.blocks, "network", _mobile_prefix(number), t)
    chinese_fixed = number.str.contains(r"^\+86[1-9]") & _mobile_prefix(number).is_null()
    return pl.when(block.is_not_null()).then(block).when(chinese_fixed).then(pl.lit("fixed"))


def interconnect_events(usage: pl.LazyFrame, carriers: Carriers) -> pl.LazyFrame:
    """The interconnect traffic among ``usage`` rows (USAGE_COLUMNS), as INTERCONNECT_COLUMNS."""
    t = pl.col("event_time").dt.epoch("us")
    incoming = pl.col("direction") == "mt"
    other = pl.when(incoming).then(pl.col("calling")).otherwise(pl.col("called"))
    ours = pl.when(incoming).then(pl.col("called")).otherwise(pl.col("calling"))
    trunk = pl.when(incoming).then(pl.col("trunk_in")).otherwise(pl.col("trunk_out"))
    trunk_carrier = {g.code: g.carrier for g in carriers.trunk_groups if g.carrier}
    own_trunks = [g.code for g in carriers.trunk_groups if g.own]
    by_block = _block_expr(carriers.blocks, "carrier", _mobile_prefix(pl.col("_other")), t)
    carrier = (
        pl.when(pl.col("_trunk").is_in(own_trunks))
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("_trunk").is_in(list(trunk_carrier)))
        .then(pl.col("_trunk").replace_strict(trunk_carrier, default=None, return_dtype=pl.String))
        .otherwise(by_block)
    )
    other_net = _network(pl.col("_other"), carriers, t).fill_null(pl.lit("fixed"))
    our_net = _network(pl.col("_ours"), carriers, t).fill_null(pl.lit("fixed"))
    return (
        usage.filter(pl.col("service").is_in(["voice", "sms"]))
        .with_columns(_other=other, _ours=ours, _trunk=trunk)
        # A caller who withheld the number still crosses a carrier's own trunk group.
        .filter(
            pl.col("_other").str.starts_with("+86").fill_null(False)
            | pl.col("_trunk").is_in(list(trunk_carrier)).fill_null(False)
        )
        .with_columns(carrier=carrier)
        .filter(pl.col("carrier").is_not_null() & (pl.col("carrier") != carriers.own_carrier))
        .select(
            "record_id",
            "event_time",
            "service",
            direction=pl.when(incoming).then(pl.lit("in")).otherwise(pl.lit("out")),
            carrier="carrier",
            traffic_class=pl.when(incoming)
            .then(pl.concat_str(other_net, pl.lit(">"), our_net))
            .otherwise(pl.concat_str(our_net, pl.lit(">"), other_net)),
            duration_s=pl.col("duration_s").fill_null(0),
        )
    )
