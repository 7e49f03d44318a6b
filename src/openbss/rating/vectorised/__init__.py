"""The vectorised rating engine: the contract of :mod:`openbss.rating.contract` as column work.

``rate_table`` rates a whole batch with Polars column operations and a few joins; Python
runs per tariff, rule, band, allowance and calendar day, never per record. Every record comes
back explained (the columns of :class:`~openbss.rating.contract.RatedEvent`), errors included.
The conformance suite holds it equal, row for row, to
:func:`openbss.rating.reference.rate_reference`. How each rule becomes column work:

- *Destinations*: a called number's leading digits, padded to the longest prefix's width,
  are one integer; each prefix is the interval of such integers it starts. Intervals of a
  prefix table nest, so cutting them at every bound gives segments whose innermost prefix
  is the longest match: one binary search per record (``search_sorted``) instead of a join
  per prefix length. A prefix longer than a short number falls back to its parent prefix.
- *Time*: local time is UTC plus the zone's offset, looked up per UTC day (a day holding a
  transition is converted exactly); day types, cycles and bands come from per-day tables
  and comparisons on the time of day. Near a daylight-saving change, band edges are read
  from local time as the contract reads them (fold 0).
- *Rules*: "first matching rule" depends only on (tariff, service, zone, band, direction,
  access code), all small codes, so it is a table lookup by a combined key.
- *Band splitting*: only calls that reach a band edge are cut, by exploding them over the
  edges they cross; other calls are priced in closed form.
- *Allowances*: within a pool, call ``i`` finds ``initial - sum(quantities before i)``
  units left, so a per-pool cumulative sum over event-time order decides coverage and
  partial coverage; allowances are processed in an order that agrees with every
  assignment's list, so "the first one with units left" is known before the next is drawn.
  Lists that disagree are solved by repeating the passes until nothing changes (each pass
  settles at least one more event in time order, so this ends at the sequential answer).
- *Tiers*: a cumulative sum of units per (subscriber, tariff, cycle, service).

Negative durations or volumes are refused (mediation rejects them); null numbers are 0.
"""

from openbss.rating.vectorised.codes import (
    BALANCE_SCHEMA,
    OUTPUT_COLUMNS,
    RATED_SCHEMA,
    REQUIRED,
    USAGE_EVENT_SCHEMA,
)
from openbss.rating.vectorised.engine import (
    apply_balances,
    prepare,
    rate_frame,
    rate_prepared,
    rate_table,
    rated_events,
    state_frame,
    usage_frame,
    with_sub_ids,
)
from openbss.rating.vectorised.plan import CompiledPlan, compile_plan

__all__ = [
    "BALANCE_SCHEMA",
    "OUTPUT_COLUMNS",
    "RATED_SCHEMA",
    "REQUIRED",
    "USAGE_EVENT_SCHEMA",
    "CompiledPlan",
    "apply_balances",
    "compile_plan",
    "prepare",
    "rate_frame",
    "rate_prepared",
    "rate_table",
    "rated_events",
    "state_frame",
    "usage_frame",
    "with_sub_ids",
]
