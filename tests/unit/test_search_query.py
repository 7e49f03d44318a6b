"""Reading a search box (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.errors import BadRequest
from openbss.kit.tmf import like_pattern
from openbss.search.calculations import MAX_LIMIT, check_limit, parse_query


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("020-87654321", "+862087654321"),
        ("(020) 8765 4321", "+862087654321"),
        ("+862087654321", "+862087654321"),
    ],
)
def test_phone_numbers_in_any_usual_form(text: str, phone: str) -> None:
    query = parse_query(text)
    assert query.phone_number == phone
    assert query.name_pattern is None  # digits are never a name


def test_resident_id_and_credit_code() -> None:
    assert parse_query("44010619800101001x").identity_number == "44010619800101001X"
    assert parse_query("91440101MA5CXXXXOU").identity_number is None  # no letter O
    assert parse_query("91440101MA59XNLD4C").identity_number == "91440101MA59XNLD4C"
    assert parse_query("44010619800101001X").phone_number is None


def test_a_name_is_a_prefix_unless_it_has_wildcards() -> None:
    assert parse_query("郭").name_pattern == "郭*"
    assert parse_query(" 郭 ").name_pattern == "郭*"
    assert parse_query("*科技*").name_pattern == "*科技*"
    assert parse_query("郭").identifier is None
    assert parse_query("CUST-0001").identifier == "CUST-0001"


@pytest.mark.parametrize("text", ["", "   ", "*", "***", "x" * 101, "郭\x00", "a\x1bb"])
def test_bad_search_text_is_refused(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_query(text)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limit_is_bounded(limit: int) -> None:
    with pytest.raises(BadRequest):
        check_limit(limit)


def test_like_pattern_escapes_sql_wildcards() -> None:
    assert like_pattern("郭*") == "郭%"
    assert like_pattern("*100%_off*") == "%100\\%\\_off%"
    assert like_pattern("a\\b") == "a\\\\b"


@given(st.text(alphabet=st.characters(blacklist_characters="*"), max_size=20))
def test_like_pattern_without_wildcards_has_no_free_wildcard(text: str) -> None:
    pattern = like_pattern(text)
    # every % or _ left in the pattern is escaped
    unescaped = pattern.replace("\\\\", "").replace("\\%", "").replace("\\_", "")
    assert "%" not in unescaped and "_" not in unescaped
