"""Number clean-up in normalisation: separators and the IP long-distance access code."""

from __future__ import annotations

import random

import polars as pl

from openbss.mediation.normalise import normalise


def e164(number: pl.Expr, area_code: pl.Expr) -> pl.Expr:
    """The numbering plan's rules written out one expression each, first match wins: the
    definition the rule-number form in ``normalise`` is held to."""
    area = area_code.str.replace(r"^0", "")
    return (
        pl.when(number.str.contains(r"^\+[1-9]\d{6,14}$"))
        .then(number)
        .when(number.str.contains(r"^00[1-9]\d{6,14}$"))
        .then(pl.lit("+") + number.str.slice(2))
        .when(number.str.contains(r"^86(1[3-9]\d{9})$"))
        .then(pl.lit("+") + number)
        .when(number.str.contains(r"^0[1-9]\d{8,10}$"))
        .then(pl.lit("+86") + number.str.slice(1))
        .when(number.str.contains(r"^1[3-9]\d{9}$"))
        .then(pl.lit("+86") + number)
        .when(number.str.contains(r"^[2-8]\d{6,7}$") & area.str.contains(r"^[1-9]\d{1,3}$"))
        .then(pl.lit("+86") + area + number)
        .when(number.str.contains(r"^1\d{2,5}$"))
        .then(number)  # a service short code: 110, 114, 10000, 12315
        .otherwise(None)
    )


def _normalised(calling: list[str | None], called: list[str | None]) -> pl.DataFrame:
    raw = pl.DataFrame(
        {
            "calling": calling,
            "called": called,
            "area_code": ["020"] * len(called),
            "service": ["voice"] * len(called),
            "direction": ["mo"] * len(called),
            "account_name": [None] * len(called),
        },
        schema_overrides={"account_name": pl.String},
    )
    columns = ["calling_e164", "ip_access_code", "called_raw", "called_e164"]
    return normalise(raw.lazy()).select(columns).collect()


def test_clean_numbers_are_taken_as_they_are() -> None:
    frame = _normalised(["83001234", "+8613800138000"], ["1790907552600001", "179090"])
    assert frame.rows() == [
        ("+862083001234", "17909", "07552600001", "+867552600001"),
        ("+8613800138000", "17909", "0", None),
    ]


def test_separators_are_removed_when_a_batch_has_them() -> None:
    frame = _normalised(["8300 1234", None, "(020)8300-1234"], ["13800138000", "114", "17951 0108"])
    assert frame.rows() == [
        ("+862083001234", None, "13800138000", "+8613800138000"),
        (None, None, "114", "114"),
        ("+862083001234", "17951", "0108", None),
    ]


def test_an_access_code_without_a_national_number_after_it_stays() -> None:
    frame = _normalised(["83001234", "83001234"], ["17909", "1790913800138000"])
    assert frame.rows() == [
        ("+862083001234", None, "17909", "17909"),
        ("+862083001234", None, "1790913800138000", None),
    ]


def _generated_numbers(count: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)
    shapes = [
        lambda: f"+{rng.randint(1, 99)}{rng.randint(10**5, 10**13)}",
        lambda: f"00{rng.randint(0, 99)}{rng.randint(10**5, 10**13)}",
        lambda: f"86{rng.choice('0123456789')}{rng.randint(10**8, 10**10)}",
        lambda: f"0{rng.randint(0, 999)}{rng.randint(10**5, 10**8)}",
        lambda: f"1{rng.randint(0, 9)}{rng.randint(10**8, 10**9)}",
        lambda: f"{rng.randint(0, 9)}{rng.randint(10**4, 10**7)}",
        lambda: f"1{rng.randint(0, 10**6)}",
        lambda: f"{rng.choice(('17909', '17951', '12593', '17900'))}0{rng.randint(10**8, 10**10)}",
        lambda: f"{rng.choice(('17909', '17911', '1790', '17951'))}{rng.randint(0, 10**11)}",
        lambda: rng.choice(("", "+", "abc", "0", "00", "86", "+0123456789", "13800-138000")),
    ]
    return [None if rng.random() < 0.03 else rng.choice(shapes)() for _ in range(count)]


def test_normalised_numbers_follow_the_rules_one_by_one() -> None:
    """The rule-number form normalise computes equals the one-expression-per-rule definition,
    for generated numbers of every shape and area codes good, bad and missing."""
    count = 60_000
    rng = random.Random(11)
    raw = pl.DataFrame(
        {
            "calling": _generated_numbers(count, 1),
            "called": _generated_numbers(count, 2),
            "area_code": [
                rng.choice(("020", "0755", "20", "0", "00755", "x1", None)) for _ in range(count)
            ],
            "service": ["voice"] * count,
            "direction": ["mo"] * count,
            "account_name": [None] * count,
        },
        schema_overrides={"account_name": pl.String, "area_code": pl.String},
    )
    area = pl.col("area_code").fill_null(pl.lit("021"))
    got = normalise(raw.lazy(), default_area="021").collect()
    expected = got.select(
        calling_e164=e164(pl.col("calling_raw"), area),
        called_e164=e164(pl.col("called_raw"), area),
    )
    assert got.select("calling_e164", "called_e164").equals(expected)
    assert got.get_column("called_e164").null_count() < count  # the shapes reach the rules
    assert got.get_column("called_e164").str.starts_with("+86").sum() > count // 10
