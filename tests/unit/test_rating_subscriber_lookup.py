"""The rating engine's subscriber index: the hash table finds exactly what a join finds."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.rating.vectorised import lookup

numbers = st.text(alphabet="+0123456789", min_size=0, max_size=14)


def _joined(subscriber: pl.Series, subscribers: pl.DataFrame) -> pl.Series:
    return subscriber.to_frame("subscriber").join(
        subscribers, on="subscriber", how="left", maintain_order="left"
    )["sub_id"]


def _plan_subscribers(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"subscriber": names, "sub_id": list(range(len(names)))},
        schema={"subscriber": pl.String, "sub_id": pl.Int32},
    )


@settings(max_examples=200, deadline=None)
@given(
    known=st.lists(numbers, unique=True, max_size=60),
    asked=st.lists(st.one_of(numbers, st.none()), max_size=80),
)
def test_sub_ids_equal_a_join(known: list[str], asked: list[str | None]) -> None:
    subscribers = _plan_subscribers(known)
    # Ask for known subscribers too, not only random text.
    subscriber = pl.Series("subscriber", asked + known[::2], dtype=pl.String)
    found = lookup.sub_ids(subscriber, subscribers)
    assert found.equals(_joined(subscriber, subscribers), null_equal=True)


def test_a_million_subscribers_in_one_batch() -> None:
    names = [f"+86{20_000_000 + i * 7}" for i in range(1_000_000)]
    subscribers = _plan_subscribers(names)
    asked = pl.Series("subscriber", [*names[::3], "+8620", "", "+86200000001", *names[1::5]])
    found = lookup.sub_ids(asked, subscribers)
    assert found.equals(_joined(asked, subscribers), null_equal=True)
    assert found.null_count() == 3


def test_probing_past_taken_slots_and_around_the_end() -> None:
    # Hashes crafted to want the same slots (equal high bits), the last slot included, so
    # inserts and lookups have to probe on and wrap around to slot 0.
    top = np.uint64(0xFFFF_0000_0000_0000)
    hashes = np.array([top | np.uint64(k) for k in range(1, 6)], dtype=np.uint64)
    keys, rows, mask = lookup._build(hashes)
    assert len(keys) == 16 and int(mask) == 15
    assert sorted(rows[rows >= 0].tolist()) == [0, 1, 2, 3, 4]
    index = lookup._Index(
        keys, rows, mask, pl.Series([0, 1, 2, 3, 4]), pl.Series(["a", "b", "c", "d", "e"])
    )
    asked = np.concatenate([hashes[::-1], np.array([top | np.uint64(99), 12345], np.uint64)])
    assert lookup._probe(index, asked).tolist() == [4, 3, 2, 1, 0, -1, -1]


def test_a_shared_hash_falls_back_to_the_join(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Two subscribers of one 64-bit hash cannot be told apart by the table: the index is
    # refused and the exact join answers.
    subscribers = _plan_subscribers(["+8620111", "+8620222", "+8620333"])
    real_hash = pl.Series.hash

    def colliding(self: pl.Series, seed: int = 0, *args: object) -> pl.Series:
        hashed = real_hash(self, seed)
        return pl.Series(self.name, [7] * len(self), dtype=pl.UInt64) if len(self) == 3 else hashed

    monkeypatch.setattr(pl.Series, "hash", colliding)
    assert lookup._index(subscribers) is None
    asked = pl.Series("subscriber", ["+8620222", "+8620999", "+8620111"])
    assert lookup.sub_ids(asked, subscribers).to_list() == [1, None, 0]
