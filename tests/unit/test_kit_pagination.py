"""TMF offset/limit paging: strict parsing and the 206 rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.errors import BadRequest
from openbss.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, PageRequest


def test_defaults() -> None:
    assert PageRequest.parse(None, None) == PageRequest(offset=0, limit=DEFAULT_LIMIT)
    assert PageRequest.parse("", "") == PageRequest(offset=0, limit=DEFAULT_LIMIT)
    assert (DEFAULT_LIMIT, MAX_LIMIT) == (100, 1000)


@pytest.mark.parametrize(
    ("offset", "limit", "expected"),
    [
        ("0", "1", PageRequest(0, 1)),
        ("5", "10", PageRequest(5, 10)),
        ("100000", None, PageRequest(100000, DEFAULT_LIMIT)),
        (None, "1000", PageRequest(0, 1000)),
    ],
)
def test_valid_values(offset: str | None, limit: str | None, expected: PageRequest) -> None:
    assert PageRequest.parse(offset, limit) == expected


@pytest.mark.parametrize(
    ("offset", "limit", "named"),
    [
        ("-1", None, "offset"),
        ("abc", None, "offset"),
        ("1.5", None, "offset"),
        (None, "0", "limit"),
        (None, "1001", "limit"),
        (None, "-5", "limit"),
        (None, "ten", "limit"),
        (None, "1e3", "limit"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(
    offset: str | None, limit: str | None, named: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        PageRequest.parse(offset, limit)
    assert raised.value.status == 400
    assert f"'{named}'" in raised.value.message


@given(
    st.integers(min_value=0, max_value=MAX_OFFSET), st.integers(min_value=1, max_value=MAX_LIMIT)
)
def test_every_valid_pair_round_trips(offset: int, limit: int) -> None:
    assert PageRequest.parse(str(offset), str(limit)) == PageRequest(offset, limit)


@given(st.integers(max_value=-1) | st.integers(min_value=MAX_LIMIT + 1))
def test_every_out_of_range_limit_is_refused(limit: int) -> None:
    with pytest.raises(BadRequest):
        PageRequest.parse(None, str(limit))


@given(st.integers(min_value=MAX_OFFSET + 1, max_value=10**40))
def test_an_offset_past_the_bound_is_refused_not_sent_to_the_database(offset: int) -> None:
    # offset=10**20 overflowed the database's 64-bit OFFSET and answered 500.
    with pytest.raises(BadRequest) as raised:
        PageRequest.parse(str(offset), None)
    assert raised.value.status == 400


def window(total: int, offset: int, limit: int) -> Page[int]:
    items = list(range(total))[offset : offset + limit]
    return Page(items=items, total=total, offset=offset)


@pytest.mark.parametrize(
    ("total", "offset", "limit", "truncated"),
    [
        (0, 0, 10, False),
        (3, 0, 10, False),
        (3, 0, 3, False),
        (3, 0, 2, True),
        (3, 1, 1, True),
        (3, 2, 5, True),  # the tail of a list is still a part of it
        (3, 5, 5, True),  # past the end
    ],
)
def test_truncated(total: int, offset: int, limit: int, truncated: bool) -> None:
    assert window(total, offset, limit).truncated is truncated


@given(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=1, max_value=MAX_LIMIT),
)
def test_a_page_is_complete_exactly_when_it_holds_everything(
    total: int, offset: int, limit: int
) -> None:
    page = window(total, offset, limit)
    assert len(page.items) <= limit
    assert page.truncated is not (page.items == list(range(total)) and offset == 0)
