"""Number clean-up in normalisation: separators and the IP long-distance access code."""

from __future__ import annotations

import polars as pl

from openbss.mediation.normalise import normalise


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
