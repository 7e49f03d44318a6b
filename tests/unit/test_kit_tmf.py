"""TMF representation helpers: timestamps, fields=, attribute filters, JSON merge-patch."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.errors import BadRequest
from openbss.kit.tmf import (
    attribute_filters,
    filter_values,
    format_datetime,
    matches,
    merge_patch,
    parse_datetime,
    select_fields,
    unquote,
)

CST = timezone(timedelta(hours=8))

# ----- timestamps --------------------------------------------------------------------------


def test_format_datetime_is_utc_with_z_and_milliseconds() -> None:
    assert format_datetime(datetime(2024, 3, 1, 8, 30, 5, 123456, tzinfo=UTC)) == (
        "2024-03-01T08:30:05.123Z"
    )
    assert format_datetime(datetime(2024, 3, 1, 16, 30, tzinfo=CST)) == "2024-03-01T08:30:00.000Z"
    # Naive values are taken as UTC.
    assert format_datetime(datetime(2024, 1, 1)) == "2024-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01T08:30:00Z",
        "2024-03-01T08:30:00z",
        "2024-03-01T08:30:00+00:00",
        "2024-03-01T16:30:00+08:00",
        "2024-03-01T08:30:00",
        " 2024-03-01T08:30:00.000Z ",
    ],
)
def test_parse_datetime_accepts_every_form_of_one_instant(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed == datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00Z", "2024-03-01 08:30 Z+"])
def test_parse_datetime_refuses_garbage_with_a_400(text: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_datetime(text, "validFor.startDateTime")
    assert "validFor.startDateTime" in raised.value.message
    assert raised.value.status == 400


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_format_then_parse_round_trips_to_the_millisecond(instant: datetime) -> None:
    text = format_datetime(instant)
    assert text.endswith("Z") and "+" not in text
    assert parse_datetime(text) == instant.replace(microsecond=instant.microsecond // 1000 * 1000)


# ----- fields= -----------------------------------------------------------------------------

RESOURCE = {"id": "1", "href": "http://x/1", "name": "n", "status": "active", "@type": "T"}


def test_select_fields_keeps_id_and_href() -> None:
    assert select_fields(RESOURCE, "name") == {"id": "1", "href": "http://x/1", "name": "n"}
    assert select_fields(RESOURCE, " name , status ,") == {
        "id": "1",
        "href": "http://x/1",
        "name": "n",
        "status": "active",
    }
    assert select_fields(RESOURCE, "id") == {"id": "1", "href": "http://x/1"}
    assert select_fields(RESOURCE, "unknown") == {"id": "1", "href": "http://x/1"}


def test_select_fields_without_fields_returns_a_copy_of_everything() -> None:
    for fields in (None, ""):
        selected = select_fields(RESOURCE, fields)
        assert selected == RESOURCE
        assert selected is not RESOURCE


# ----- attribute filters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('"a b"', "a b"), ("'a b'", "a b"), ("  x ", "x"), ('"', '"'), ('"a', '"a'), ("", "")],
)
def test_unquote(raw: str, expected: str) -> None:
    assert unquote(raw) == expected


def test_filter_values_comma_is_or_unless_quoted() -> None:
    assert filter_values(["a,b", "c"]) == ["a", "b", "c"]
    assert filter_values(['"a,b"']) == ["a,b"]
    assert filter_values(["'Coffee Do Brazil'"]) == ["Coffee Do Brazil"]


def test_attribute_filters_drop_control_parameters() -> None:
    query = [
        ("fields", "name"),
        ("offset", "0"),
        ("limit", "5"),
        ("sort", "name"),
        ("depth", "1"),
        ("expand", "x"),
        ("@type", "Individual"),
        ("name", "a"),
        ("name", "b"),
        ("status", "active"),
    ]
    assert attribute_filters(query) == {"name": ["a", "b"], "status": ["active"]}


DOC: dict[str, Any] = {
    "id": "42",
    "name": "Coffee Do Brazil Fair Trade",
    "isBundle": False,
    "isSellable": True,
    "version": 2,
    "lastUpdate": "2024-03-01T08:30:00.000Z",
    "validFor": {"startDateTime": "2024-03-01T08:30:00+00:00"},
    "relatedParty": [{"id": "p1", "role": "owner"}, {"id": "p2", "role": "user"}],
    "productSpecification": {"id": "s1", "characteristic": [{"name": "speed", "value": "100M"}]},
}


@pytest.mark.parametrize(
    "filters",
    [
        {"name": ["Coffee Do Brazil Fair Trade"]},
        {"name": ['"Coffee Do Brazil Fair Trade"']},
        {"name": ["'Coffee Do Brazil Fair Trade'"]},
        {"name": ["other,Coffee Do Brazil Fair Trade"]},
        {"isBundle": ["false"]},
        {"isSellable": ["true"]},
        {"version": ["2"]},
        {"relatedParty.id": ["p2"]},
        {"relatedParty.role": ["owner"]},
        {"productSpecification.id": ["s1"]},
        {"productSpecification.characteristic.value": ["100M"]},
        {"lastUpdate": ["2024-03-01T08:30:00.000Z"]},
        {"lastUpdate": ["2024-03-01T08:30:00+00:00"]},
        {"lastUpdate": ["2024-03-01T16:30:00+08:00"]},
        {"lastUpdate": ['"2024-03-01T08:30:00Z"']},
        {"validFor.startDateTime": ["2024-03-01T08:30:00Z"]},
        {"id": ["42"], "isBundle": ["false"], "relatedParty.id": ["p1"]},
    ],
)
def test_matching_filters(filters: dict[str, list[str]]) -> None:
    assert matches(DOC, filters)


@pytest.mark.parametrize(
    "filters",
    [
        {"name": ["Coffee"]},
        {"name": ['"Coffee Do Brazil Fair Trade']},
        {"isBundle": ["true"]},
        {"isBundle": ["False"]},
        {"isSellable": ["1"]},
        {"relatedParty.id": ["p3"]},
        {"relatedParty": ["p1"]},
        {"missing": ["x"]},
        {"missing.deeper": ["x"]},
        {"lastUpdate": ["2024-03-01T08:30:01Z"]},
        # An unencoded "+" arrives as a space: that is not the same instant.
        {"lastUpdate": ["2024-03-01T16:30:00 08:00"]},
        {"id": ["42"], "isBundle": ["true"]},
    ],
)
def test_non_matching_filters(filters: dict[str, list[str]]) -> None:
    assert not matches(DOC, filters)


def test_no_filters_match_everything() -> None:
    assert matches(DOC, {})
    assert matches({}, {})


# ----- JSON merge-patch (RFC 7386, appendix A) ---------------------------------------------

RFC7386_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC7386_EXAMPLES)
def test_merge_patch_rfc7386_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch_of_the_rfc_document_example() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from("abcd"), children, max_size=4)
    ),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(st.sampled_from("abcd"), JSON_VALUES, max_size=4)


@given(JSON_OBJECTS, JSON_OBJECTS)
def test_merge_patch_is_idempotent_and_pure(target: dict[str, Any], patch: dict[str, Any]) -> None:
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once
    assert (target, patch) == (target_before, patch_before)


@given(JSON_OBJECTS, JSON_OBJECTS)
def test_merge_patch_sets_removes_and_keeps_top_level_members(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    result = merge_patch(target, patch)
    for key, value in patch.items():
        if value is None:
            assert key not in result
        elif not isinstance(value, dict):
            assert result[key] == value
    for key, value in target.items():
        if key not in patch:
            assert result[key] == value
