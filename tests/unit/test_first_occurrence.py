"""The in-file duplicate check: first occurrences by hash, exact where hashes are shared."""

from __future__ import annotations

import random

import polars as pl

from openbss.mediation.pipeline import first_by_hash, first_occurrence


def keys_with_repeats(count: int, seed: int) -> pl.Series:
    rng = random.Random(seed)
    pool = [
        f"SW{rng.randint(1, 3)}|{rng.randint(0, count)}|{rng.randint(0, 9)}" for _ in range(count)
    ]
    return pl.Series(
        "key", [None if rng.random() < 0.05 else rng.choice(pool) for _ in range(count)]
    )


def test_first_occurrence_is_is_first_distinct() -> None:
    for seed in range(5):
        keys = keys_with_repeats(5000, seed)
        assert first_occurrence(keys).to_list() == keys.is_first_distinct().to_list()
    unique = pl.Series("key", [f"k{n}" for n in range(1000)])
    assert first_occurrence(unique).all()


def test_a_hash_collision_never_makes_a_record_a_duplicate() -> None:
    keys = keys_with_repeats(5000, 7)
    # A deliberately poor hash (the key's length): nearly every distinct key collides.
    colliding = keys.str.len_bytes().fill_null(0).cast(pl.UInt64)
    assert first_by_hash(keys, colliding).to_list() == keys.is_first_distinct().to_list()
