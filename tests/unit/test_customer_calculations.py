"""Credit class (信用度等级) from credit profiles: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openbss.customer.calculations import (
    class_from_risk_rating,
    class_from_score,
    credit_class,
    current_profile,
    profile_class,
)

AT = datetime(2024, 6, 1, tzinfo=UTC)


def _profile(start: str | None, end: str | None = None, **values: int) -> dict[str, object]:
    period = {}
    if start:
        period["startDateTime"] = start
    if end:
        period["endDateTime"] = end
    return {"validFor": period, **values}


@pytest.mark.parametrize(
    ("score", "expected"),
    [(1000, "A"), (800, "A"), (799, "B"), (650, "B"), (649, "C"), (500, "C"), (499, "D"), (0, "D")],
)
def test_score_bands(score: int, expected: str) -> None:
    assert class_from_score(score) == expected


@pytest.mark.parametrize(
    ("rating", "expected"), [(0, "A"), (1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "D")]
)
def test_risk_rating_bands(rating: int, expected: str) -> None:
    assert class_from_risk_rating(rating) == expected


def test_both_measures_take_the_worse_class() -> None:
    assert profile_class({"creditScore": 850, "creditRiskRating": 3}) == "C"
    assert profile_class({"creditScore": 520, "creditRiskRating": 0}) == "C"
    assert profile_class({"creditScore": 700}) == "B"
    assert profile_class({"creditRiskRating": 2}) == "B"
    assert profile_class({"creditProfileDate": "2024-01-01T00:00:00Z"}) is None


def test_current_profile_is_the_valid_one_that_started_last() -> None:
    old = _profile("2023-01-01T00:00:00Z", creditScore=900)
    new = _profile("2024-05-01T00:00:00Z", creditScore=600)
    future = _profile("2024-07-01T00:00:00Z", creditScore=300)
    # List order does not matter: history is often appended after the current profile.
    assert current_profile([old, future, new], AT) is new
    assert credit_class([old, future, new], AT) == "C"


def test_expired_and_future_profiles_are_not_current() -> None:
    expired = _profile("2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", creditScore=900)
    future = _profile("2024-07-01T00:00:00Z", creditScore=900)
    assert current_profile([expired, future], AT) is None
    assert credit_class([expired, future], AT) is None
    assert credit_class([], AT) is None
    assert credit_class(None, AT) is None


def test_end_instant_is_exclusive_so_back_to_back_profiles_never_overlap() -> None:
    first = _profile("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", creditScore=900)
    second = _profile("2024-06-01T00:00:00Z", creditScore=550)
    assert current_profile([first, second], AT) is second
    assert credit_class([first], AT) is None


def test_open_start_counts_as_oldest_and_list_order_breaks_ties() -> None:
    open_start = _profile(None, creditScore=900)
    dated = _profile("2024-01-01T00:00:00Z", creditScore=700)
    assert current_profile([open_start, dated], AT) is dated
    twin_a = _profile("2024-01-01T00:00:00Z", creditScore=900)
    twin_b = _profile("2024-01-01T00:00:00Z", creditScore=100)
    assert current_profile([twin_a, twin_b], AT) is twin_a
    assert credit_class([open_start], AT) == "A"


def test_offsets_are_compared_as_instants() -> None:
    # 2024-06-01T07:00+08:00 is 2024-05-31T23:00Z, i.e. before AT: already started.
    profile = _profile("2024-06-01T07:00:00+08:00", creditScore=660)
    assert credit_class([profile], AT) == "B"
