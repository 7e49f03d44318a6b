"""Input limits, identifier spelling, date-time range and file-path names, as pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.clock import EARLIEST_INSTANT, LATEST_INSTANT, bounded_utc
from openbss.kit.errors import BadRequest, Unprocessable
from openbss.kit.limits import (
    LIST_LIMITS,
    MAX_DEPTH,
    MAX_LIST_ITEMS,
    MAX_STRING_CHARS,
    json_limit_problem,
    parse_json_body,
)
from openbss.kit.names import inside, province_code, safe_id
from openbss.kit.text import fold_fullwidth
from openbss.kit.tmf import entity_tag, if_match_satisfied, parse_datetime
from openbss.party.identity import make_resident_id, make_uscc, resident_id_problem, uscc_problem
from openbss.rating.runs import check_period as check_rating_period
from openbss.resources.validation import normalise_cn_phone


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_json_body(f'{{"amount": {constant}}}'.encode())
    assert raised.value.code == "MALFORMED_JSON"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_a_400_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_json_body(nested(depth))
    assert raised.value.code == "LIMIT_EXCEEDED"


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert parse_json_body(nested(MAX_DEPTH)) is not None


def test_strings_lists_and_named_lists_are_bounded() -> None:
    assert json_limit_problem({"note": "x" * MAX_STRING_CHARS}) is None
    assert "characters" in (json_limit_problem({"ext": "x" * (MAX_STRING_CHARS + 1)}) or "")
    assert "items" in (json_limit_problem({"a": list(range(MAX_LIST_ITEMS + 1))}) or "")
    bound = LIST_LIMITS["contactMedium"]
    assert json_limit_problem({"contactMedium": [{}] * bound}) is None
    problem = json_limit_problem({"x": [{"contactMedium": [{}] * (bound + 1)}]})
    assert problem is not None and "body.x[0].contactMedium" in problem


@given(st.recursive(st.none() | st.integers() | st.text(max_size=5), st.lists, max_leaves=20))
def test_small_documents_pass_and_round_trip(value: object) -> None:
    assert parse_json_body(json.dumps({"v": value}).encode()) == {"v": value}


def test_fullwidth_forms_fold_to_ascii_and_nothing_else_changes() -> None:
    assert fold_fullwidth("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert fold_fullwidth("张伟　１３３") == "张伟 133"
    assert fold_fullwidth("١٢٣") == "١٢٣"  # Arabic-Indic digits are not full-width forms


def test_identity_numbers_in_fullwidth_are_the_same_number_and_other_digits_are_refused() -> None:
    number = make_resident_id("110105", datetime(1949, 12, 31).date(), 2)
    fullwidth = number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert resident_id_problem(fullwidth) is None
    arabic = number[:-1].translate({ord(d): 0x0660 + int(d) for d in "0123456789"})
    assert resident_id_problem(arabic + number[-1]) is not None
    code = make_uscc("91", "440101", "MA5CXXXX1")
    assert uscc_problem(code) is None
    assert uscc_problem(code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})) is None
    # Full-width digits in the region part used to pass \d and then fail the checksum index.
    assert uscc_problem(code[:2] + "٤٤٠١٠١" + code[8:]) is not None


def test_phone_numbers_take_fullwidth_digits_but_no_other_script() -> None:
    assert normalise_cn_phone("１３３１２３４５６７８") == "+8613312345678"
    with pytest.raises(Unprocessable):
        normalise_cn_phone("١٣٣١٢٣٤٥٦٧٨")


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-14:00",  # overflows when converted to UTC
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59Z",
        "1899-12-31T23:59:59Z",
    ],
)
def test_datetimes_out_of_range_are_a_400(text: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_datetime(text, "validFor.endDateTime")
    assert raised.value.code == "DATE_OUT_OF_RANGE"


@given(st.datetimes(timezones=st.just(UTC)), st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_bounded_utc_accepts_exactly_the_range_and_never_overflows(
    moment: datetime, offset_minutes: int
) -> None:
    local = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    try:
        utc = bounded_utc(local)
    except ValueError:
        return
    assert EARLIEST_INSTANT <= utc < LATEST_INSTANT


def test_entity_tags_follow_the_content_and_if_match_compares_strongly() -> None:
    tag = entity_tag({"id": "1", "href": "http://a/x", "name": "A"})
    assert tag == entity_tag({"name": "A", "id": "1", "href": "http://b/x"})
    assert tag != entity_tag({"id": "1", "name": "B"})
    assert if_match_satisfied(tag, tag)
    assert if_match_satisfied(f'"other", {tag}', tag)
    assert if_match_satisfied("*", tag)
    assert not if_match_satisfied(f"W/{tag}", tag)
    assert not if_match_satisfied('"stale"', tag)


@pytest.mark.parametrize("bad", ["../../x", "gd", "G", "GD/..", "ＧＤ", "", "GDGDGDGDG"])
def test_province_codes_are_checked(bad: str) -> None:
    with pytest.raises(BadRequest):
        province_code(bad)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..", ".hidden", "a/b", "a b", "x" * 65])
def test_ids_that_would_leave_their_directory_are_refused(bad: str) -> None:
    with pytest.raises(BadRequest):
        safe_id(bad)


def test_paths_stay_inside_their_root(tmp_path: Path) -> None:
    assert province_code("GD") == "GD" and safe_id("CT2005-FIXED") == "CT2005-FIXED"
    assert inside(tmp_path, "usage", "province=GD") == tmp_path / "usage" / "province=GD"
    with pytest.raises(BadRequest):
        inside(tmp_path, "usage", "../../x")
    (tmp_path / "link").symlink_to("/etc")
    with pytest.raises(BadRequest):
        inside(tmp_path, "link", "passwd")


@pytest.mark.parametrize("period", ["9999-12", "0001-01", "２０２６-０３", "2026-3"])
def test_rating_periods_are_ascii_and_inside_the_date_range(period: str) -> None:
    with pytest.raises(BadRequest):
        check_rating_period(period)
    assert check_rating_period("2026-03") == "2026-03"
