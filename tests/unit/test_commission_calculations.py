"""Channel commission maths, worked by hand (amounts in fen; 1 yuan = 100 fen)."""

from __future__ import annotations

from datetime import date

import pytest

from openbss.kit.errors import Unprocessable
from openbss.settlement.commissions.calculations import (
    Kind,
    Line,
    Recharge,
    Rules,
    Sale,
    activation_line,
    add_months,
    clawback_line,
    parse_rules,
    recharge_line,
    revenue_share_line,
    share,
    totals,
)

RULES = parse_rules(
    {
        "activation_fen": 5000,  # 50 yuan a line
        "service_types": ["bundle", "fixedVoice"],
        "recharge_fen": 100,  # 1 yuan a top-up
        "recharge_bp": 300,  # plus 3 %
        "revenue_share_bp": 500,  # 5 % of the line's bills
        "revenue_share_months": 3,
        "clawback_months": 3,
    }
)


def sale(activated: date, ceased: date | None = None, service_type: str = "bundle") -> Sale:
    return Sale("prod-1", "agent-1", "order-1", service_type, activated, ceased)


def test_case_1_an_activation_earns_the_flat_commission_in_its_month() -> None:
    line = activation_line("2026-11", sale(date(2026, 11, 5)), RULES)
    assert line == Line("agent-1", Kind.ACTIVATION, "prod-1", 0, 5000)
    assert activation_line("2026-12", sale(date(2026, 11, 5)), RULES) is None


def test_case_2_a_service_type_outside_the_rules_earns_nothing() -> None:
    assert activation_line("2026-11", sale(date(2026, 11, 5), service_type="phs"), RULES) is None


def test_case_3_revenue_share_for_three_bill_periods_rounded_half_up() -> None:
    activated = sale(date(2026, 9, 20))
    # 123.45 yuan billed: 5 % is 6.1725 yuan → 6.17
    assert revenue_share_line("2026-09", activated, 12345, RULES) == Line(
        "agent-1", Kind.REVENUE_SHARE, "prod-1", 12345, 617
    )
    # 123.50 yuan: 6.175 → 6.18 (half-up)
    assert revenue_share_line("2026-11", activated, 12350, RULES) == Line(
        "agent-1", Kind.REVENUE_SHARE, "prod-1", 12350, 618
    )
    # the fourth period is past the three months; a period before the activation earns nothing
    assert revenue_share_line("2026-12", activated, 12350, RULES) is None
    assert revenue_share_line("2026-08", activated, 12350, RULES) is None


def test_case_4_a_recharge_earns_the_flat_amount_plus_its_share() -> None:
    top_up = Recharge("topup-1", "agent-1", 10000, date(2026, 11, 8))  # 100 yuan
    assert recharge_line("2026-11", top_up, RULES) == Line(
        "agent-1", Kind.RECHARGE, "topup-1", 10000, 400
    )  # 1.00 + 3.00 yuan
    assert recharge_line("2026-10", top_up, RULES) is None


def test_case_5_a_line_ceased_within_three_months_gives_its_commission_back() -> None:
    early = sale(date(2026, 9, 20), ceased=date(2026, 11, 10))  # before 20 December
    assert clawback_line("2026-11", early, 5000, RULES) == Line(
        "agent-1", Kind.CLAWBACK, "prod-1", 5000, -5000
    )
    # the clawback falls in the month the line ceases, not in another
    assert clawback_line("2026-10", early, 5000, RULES) is None
    # nothing to give back when nothing was paid for the line
    assert clawback_line("2026-11", early, 0, RULES) is None


def test_case_6_three_full_months_of_service_keep_the_commission() -> None:
    served = sale(date(2026, 8, 10), ceased=date(2026, 11, 10))  # exactly three months
    assert clawback_line("2026-11", served, 5000, RULES) is None
    one_day_short = sale(date(2026, 8, 10), ceased=date(2026, 11, 9))
    assert clawback_line("2026-11", one_day_short, 5000, RULES) is not None


def test_case_7_half_clawback_and_a_month_end_activation() -> None:
    half = Rules(activation_fen=3333, clawback_months=3, clawback_bp=5000)
    # activated 30 November: three months on is 28 February 2027 (a shorter month)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    ceased = sale(date(2026, 11, 30), ceased=date(2027, 2, 27))
    # half of 33.33 yuan is 16.665 → 16.67 given back
    assert clawback_line("2027-02", ceased, 3333, half) == Line(
        "agent-1", Kind.CLAWBACK, "prod-1", 3333, -1667
    )
    assert clawback_line("2027-02", sale(date(2026, 11, 30), date(2027, 2, 28)), 3333, half) is None


def test_case_8_a_month_statement_nets_activation_and_clawback() -> None:
    same_month = sale(date(2026, 11, 3), ceased=date(2026, 11, 25))
    activation = activation_line("2026-11", same_month, RULES)
    assert activation is not None
    clawback = clawback_line("2026-11", same_month, activation.amount_fen, RULES)
    top_up = recharge_line("2026-11", Recharge("t", "agent-1", 5000, date(2026, 11, 4)), RULES)
    assert clawback is not None and top_up is not None
    assert totals([activation, clawback, top_up]) == {
        "agent-1": {"total": 250, Kind.ACTIVATION: 5000, Kind.CLAWBACK: -5000, Kind.RECHARGE: 250}
    }


def test_share_rounds_half_up_away_from_zero() -> None:
    assert [share(f, 5000) for f in (1, 3, -3, 0)] == [1, 2, -2, 0]


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"activation_fen": -1}, "'activation_fen' must be a whole number"),
        ({"revenue_share_bp": 10001}, "'revenue_share_bp' must be a whole number from 0 to 10000"),
        ({"activation_fen": 1.5}, "'activation_fen'"),
        ({"activation_fen": True}, "'activation_fen'"),
        ({"service_types": "bundle"}, "'service_types' must be a list"),
        ({"bonus": 1}, "unknown commission rule"),
        ({"clawback_months": 37}, "'clawback_months'"),
    ],
)
def test_bad_rules_are_refused(terms: dict[str, object], message: str) -> None:
    with pytest.raises(Unprocessable, match=message):
        parse_rules(terms)
