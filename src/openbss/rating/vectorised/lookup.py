"""Per-process lookup tables derived from a compiled plan, built at first use and kept.

* the subscriber index: a record's subscriber to its ``sub_id`` by a sorted array of 64-bit
  hashes (a binary search per record) and an exact comparison of the text found, instead of
  a hash join that would rebuild a table of every subscriber of the plan for each batch;
* the output enums as Series: gathering codes from a Series of the enum's categories keeps
  the enum type without converting a Python ``pl.Enum`` of the plan's (some hundred
  thousand) prefixes into Polars' type for every batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_SEED = 0x5EED_2005
_KEPT = 16  # tables kept per kind: a worker rates one plan, per partition a smaller one


@dataclass(frozen=True, slots=True)
class _Index:
    hashes: pl.Series  # sorted
    sub_ids: pl.Series  # the sub_id at each sorted position
    names: pl.Series  # the subscriber at each sorted position


_INDEXES: dict[int, tuple[pl.DataFrame, _Index | None]] = {}
_ENUMS: dict[int, tuple[pl.Enum, pl.Series]] = {}


def _index(subscribers: pl.DataFrame) -> _Index | None:
    """The index of a plan's ``subscribers`` frame; None when two subscribers share a hash
    (then the caller joins)."""
    kept = _INDEXES.get(id(subscribers))
    if kept is not None and kept[0] is subscribers:
        return kept[1]
    ordered = subscribers.with_columns(h=pl.col("subscriber").hash(_SEED)).sort("h")
    index = None
    if ordered["h"].n_unique() == ordered.height:
        index = _Index(ordered["h"], ordered["sub_id"], ordered["subscriber"])
    if len(_INDEXES) >= _KEPT:
        _INDEXES.clear()
    _INDEXES[id(subscribers)] = (subscribers, index)
    return index


def sub_ids(subscriber: pl.Series, subscribers: pl.DataFrame) -> pl.Series:
    """The ``sub_id`` of each subscriber in the plan's ``subscribers`` (subscriber, sub_id),
    null for one the plan does not know; in input order."""
    index = _index(subscribers)
    if index is None or index.hashes.len() == 0:
        known = subscriber.to_frame("subscriber").join(
            subscribers, on="subscriber", how="left", maintain_order="left"
        )
        return known["sub_id"]
    hashes = subscriber.hash(_SEED)
    at = index.hashes.search_sorted(hashes, side="left").clip(upper_bound=index.hashes.len() - 1)
    found = (index.hashes.gather(at) == hashes) & (index.names.gather(at) == subscriber)
    ids = index.sub_ids.gather(at)
    return pl.select(pl.when(found.fill_null(False)).then(ids)).to_series().alias("sub_id")


def enum_values(enum: pl.Enum) -> pl.Series:
    """A Series of the enum's categories in code order (gather codes from it)."""
    kept = _ENUMS.get(id(enum))
    if kept is not None and kept[0] is enum:
        return kept[1]
    values = pl.Series(enum.categories, dtype=pl.String).cast(enum)
    if len(_ENUMS) >= _KEPT:
        _ENUMS.clear()
    _ENUMS[id(enum)] = (enum, values)
    return values
