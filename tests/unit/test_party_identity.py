"""Chinese identity numbers: 居民身份证 (GB 11643) and 统一社会信用代码 (GB 32100)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.party.identity import (
    make_resident_id,
    make_uscc,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)

DIGITS = "0123456789"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

REGIONS = st.text(alphabet=DIGITS, min_size=6, max_size=6)
BIRTHS = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
SEQUENCES = st.integers(min_value=0, max_value=999)
RESIDENT_IDS = st.builds(make_resident_id, REGIONS, BIRTHS, SEQUENCES)

USCC_CHARS = st.sampled_from(USCC_ALPHABET)
USCCS = st.builds(
    make_uscc,
    st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),
    REGIONS,
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


# ----- 居民身份证 -------------------------------------------------------------------------


def test_known_numbers() -> None:
    assert resident_id_problem("11010519491231002X") is None
    assert resident_id_problem("11010519491231002x") is None  # lower-case x is accepted
    assert resident_id_problem(" 11010519491231002X ") is None
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert make_resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "check character"),
        ("1101051949123100", "17 digits"),
        ("1101051949123100211", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("X10105194912310021", "17 digits"),
        ("", "17 digits"),
        (make_resident_id("110105", date(1899, 12, 31), 1), "before 1900"),
        ("110105" + "19490230" + "002" + resident_id_check_char("11010519490230002"), "real date"),
        ("110105" + "19491301" + "002" + resident_id_check_char("11010519491301002"), "real date"),
    ],
)
def test_invalid_numbers_say_why(number: str, why: str) -> None:
    problem = resident_id_problem(number)
    assert problem is not None and why in problem


@given(REGIONS, BIRTHS, SEQUENCES)
def test_generated_numbers_always_validate(region: str, born: date, sequence: int) -> None:
    number = make_resident_id(region, born, sequence)
    assert len(number) == 18
    assert resident_id_problem(number) is None
    assert resident_id_problem(number.lower()) is None
    assert resident_id_birth_date(number) == born
    assert number[:6] == region and number[14:17] == f"{sequence:03d}"


@given(RESIDENT_IDS, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_one_character_always_fails(
    number: str, position: int, data: st.DataObject
) -> None:
    allowed = DIGITS + "X" if position == 17 else DIGITS
    replacement = data.draw(st.sampled_from([c for c in allowed if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert resident_id_problem(changed) is not None


@given(RESIDENT_IDS, st.integers(min_value=0, max_value=16))
def test_swapping_adjacent_different_digits_fails(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    if a == b or not (a.isdigit() and b.isdigit()):
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert resident_id_problem(swapped) is not None


# ----- 统一社会信用代码 ---------------------------------------------------------------------


def test_uscc_shapes() -> None:
    code = make_uscc("91", "440300", "MA5F00001")
    assert len(code) == 18 and code[:17] == "91440300MA5F00001"
    assert uscc_problem(code) is None
    assert uscc_problem(code.lower()) is None
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91440300MA5F0000",  # 17 characters
        "91440300MA5F0000100",  # 19 characters
        "9144030OMA5F00001X",  # a letter among the six region digits
        "91440300MI5F000010",  # I is not in the alphabet
        "91440300MO5F000010",  # nor O
        "91440300MZ5F000010",  # nor Z
        "91440300MS5F000010",  # nor S
        "91440300MV5F000010",  # nor V
    ],
)
def test_malformed_uscc(code: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and "18 characters" in problem


@given(USCCS)
def test_generated_uscc_always_validates(code: str) -> None:
    assert len(code) == 18
    assert code[17] in USCC_ALPHABET
    assert uscc_problem(code) is None


@given(USCCS, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_one_uscc_character_always_fails(
    code: str, position: int, data: st.DataObject
) -> None:
    allowed = DIGITS if 2 <= position <= 7 else USCC_ALPHABET
    replacement = data.draw(st.sampled_from([c for c in allowed if c != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]
    problem = uscc_problem(changed)
    assert problem is not None and "check character" in problem
