"""Matching a partner's statement: layouts as data, directions from their side, tolerance,
and bad files refused with the line that is wrong."""

from __future__ import annotations

import pytest

from openbss.settlement.errors import SettlementInputError
from openbss.settlement.reconcile.calculations import (
    Key,
    layout,
    match,
    ours_by_key,
    parse_statement,
)

OURS = ours_by_key(
    "2005-03",
    [
        ("in", "2003 mobile→fixed voice", 6_000),
        ("out", "2003 SMS fixed→mobile", 300),
        ("info", "billed revenue", 99_999),  # information lines are never matched
    ],
)


def test_a_carrier_statement_in_chinese_with_directions_from_its_side() -> None:
    text = (
        "账期,收支,结算项目,金额(元)\n"
        "200503,应付,2003 mobile→fixed voice,60.01\n"  # what they pay is what we receive
        '2005-03,应收,2003 SMS fixed→mobile,"3.00"\n'
    ).encode()
    theirs = parse_statement(text, layout("carrier_cn"))
    assert theirs == {
        Key("2005-03", "in", "2003 mobile→fixed voice"): 6_001,
        Key("2005-03", "out", "2003 SMS fixed→mobile"): 300,
    }
    assert match(OURS, theirs, tolerance_fen=1) == (2, [])  # one fen apart: within tolerance
    matched, found = match(OURS, theirs, tolerance_fen=0)
    assert (matched, [(f.kind, f.delta_fen) for f in found]) == (1, [("differs", 1)])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2005-03,sideways,r,1.00", "line 2: unknown direction 'sideways'"),
        ("2005-03,in,r,1.001", "line 2: amount '1.001' is finer than a fen"),
        ("2005-13,in,r,1.00", "line 2: period '2005-13' is not YYYY-MM"),
        ("2005-03,in,,1.00", "line 2: no rule"),
        ("2005-03,in,r,abc", "line 2: amount 'abc' is not a number"),
    ],
)
def test_bad_lines_are_refused_with_where_they_are(line: str, message: str) -> None:
    text = f"period,direction,rule,amount_yuan\n{line}\n".encode()
    with pytest.raises(SettlementInputError, match=message):
        parse_statement(text, layout("openbss"))


def test_a_file_without_the_layout_columns_or_an_unknown_layout_is_refused() -> None:
    with pytest.raises(SettlementInputError, match="lacks column"):
        parse_statement(b"a,b\n1,2\n", layout("openbss"))
    with pytest.raises(SettlementInputError, match="unknown statement layout"):
        layout("nokia")
    with pytest.raises(SettlementInputError, match="not UTF-8"):
        parse_statement(b"\xff\xfe\x00", layout("openbss"))
