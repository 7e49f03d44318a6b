"""Per-process lookup tables derived from a compiled plan, built at first use and kept.

* the subscriber index: a record's subscriber to its ``sub_id`` through an open-addressing
  hash table of the subscribers' 64-bit hashes (numpy arrays, probed for a whole batch at
  once) and an exact comparison of the text found. A hash join would rebuild a table of every
  subscriber of the plan for each batch; a binary search over the sorted hashes costs about
  twenty dependent cache misses per record, the table about one;
* the output enums as Series: gathering codes from a Series of the enum's categories keeps
  the enum type without converting a Python ``pl.Enum`` of the plan's (some hundred
  thousand) prefixes into Polars' type for every batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

_SEED = 0x5EED_2005
_KEPT = 16  # tables kept per kind: a worker rates one plan, per partition a smaller one
_EMPTY = np.uint64(0)  # a free slot; a subscriber hashing to 0 makes the caller join


@dataclass(frozen=True, slots=True)
class _Index:
    """Slots of an open-addressing table (linear probing, at most half full)."""

    keys: np.ndarray  # uint64: the hash in each slot, _EMPTY where free
    rows: np.ndarray  # int64: the subscriber's row in the plan's frame, -1 where free
    mask: np.uint64  # slots - 1 (slots is a power of two)
    sub_ids: pl.Series  # per row of the plan's frame
    names: pl.Series  # per row of the plan's frame


_INDEXES: dict[int, tuple[pl.DataFrame, _Index | None]] = {}
_ENUMS: dict[int, tuple[pl.Enum, pl.Series]] = {}


def _slots(hashes: np.ndarray, mask: np.uint64) -> np.ndarray:
    # The hash's high bits: Polars' string hash mixes them at least as well as the low ones.
    shift = np.uint64(64 - int(mask).bit_length())
    return (hashes >> shift) & mask if int(mask) else np.zeros(len(hashes), np.uint64)


def _build(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.uint64]:
    """Insert every hash (all distinct, none 0) into a table of at least twice their count."""
    slots = 1 << max(1, (2 * len(hashes) - 1).bit_length())
    mask = np.uint64(slots - 1)
    keys = np.zeros(slots, np.uint64)
    rows = np.full(slots, -1, np.int64)
    slot = _slots(hashes, mask)
    pending = np.arange(len(hashes), dtype=np.int64)
    while len(pending):
        wanted = slot[pending]
        free = keys[wanted] == _EMPTY
        # Of several rows wanting one free slot the first takes it; the rest probe on.
        taken, first = np.unique(wanted[free], return_index=True)
        placed = pending[free][first]
        keys[taken] = hashes[placed]
        rows[taken] = placed
        moving = np.ones(len(pending), bool)
        moving[np.flatnonzero(free)[first]] = False
        pending = pending[moving]
        slot[pending] = (slot[pending] + np.uint64(1)) & mask
    return keys, rows, mask


def _index(subscribers: pl.DataFrame) -> _Index | None:
    """The index of a plan's ``subscribers`` frame; None when two subscribers share a hash
    or one hashes to the free-slot marker (then the caller joins)."""
    kept = _INDEXES.get(id(subscribers))
    if kept is not None and kept[0] is subscribers:
        return kept[1]
    hashes = subscribers["subscriber"].hash(_SEED)
    index = None
    if hashes.n_unique() == subscribers.height and not (hashes == 0).any():
        keys, rows, mask = _build(hashes.to_numpy())
        index = _Index(keys, rows, mask, subscribers["sub_id"], subscribers["subscriber"])
    if len(_INDEXES) >= _KEPT:
        _INDEXES.clear()
    _INDEXES[id(subscribers)] = (subscribers, index)
    return index


def _probe(index: _Index, hashes: np.ndarray) -> np.ndarray:
    """The row of each hash in the plan's frame, -1 where the table has no such hash."""
    slot = _slots(hashes, index.mask)
    found = np.full(len(hashes), -1, np.int64)
    todo = np.arange(len(hashes), dtype=np.int64)
    while len(todo):
        at = slot[todo]
        key = index.keys[at]
        hit = key == hashes[todo]
        found[todo[hit]] = index.rows[at[hit]]
        todo = todo[~hit & (key != _EMPTY)]  # an occupied slot of another hash: probe on
        slot[todo] = (slot[todo] + np.uint64(1)) & index.mask
    return found


def sub_ids(subscriber: pl.Series, subscribers: pl.DataFrame) -> pl.Series:
    """The ``sub_id`` of each subscriber in the plan's ``subscribers`` (subscriber, sub_id),
    null for one the plan does not know; in input order."""
    index = _index(subscribers)
    if index is None or subscribers.height == 0:
        known = subscriber.to_frame("subscriber").join(
            subscribers, on="subscriber", how="left", maintain_order="left"
        )
        return known["sub_id"]
    row = pl.Series(_probe(index, subscriber.hash(_SEED).to_numpy()))
    at = row.clip(lower_bound=0)
    found = (row >= 0) & (index.names.gather(at) == subscriber).fill_null(False)
    ids = index.sub_ids.gather(at)
    return pl.select(pl.when(found).then(ids)).to_series().alias("sub_id")


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
