"""Hand-worked interconnect, inter-province and revenue-share cases: each figure below is
worked out by hand from the rules in ``rules.toml`` / ``rates.toml`` and the rule of
docs/domain/settlement-interconnect.md, then held against what the rating kernel prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from openbss.settlement.errors import SettlementInputError
from openbss.settlement.interconnect.data import load_carriers, load_rules, parse_rules
from openbss.settlement.interconnect.settle import settle_usage
from openbss.settlement.interprovince.settle import settle_interprovince
from openbss.settlement.revenue_share.calculations import (
    ShareInputs,
    bad_debt_part,
    revenue_share,
)

OUR_FIXED = "+862083001234"  # a Guangzhou fixed line of ours
UNICOM = "+8613012345678"  # China Unicom mobile
MOBILE = "+8613812345678"  # China Mobile (GSM)
TD = "+8615712345678"  # China Mobile TD-SCDMA block
CDMA_133 = "+8613312345678"  # Unicom CDMA until Oct 2008, then China Telecom's


def at(year: int, month: int = 3, day: int = 10, hour: int = 2) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def record(
    n: int,
    when: datetime,
    *,
    direction: str = "mt",
    other: str = UNICOM,
    ours: str = OUR_FIXED,
    duration_s: int = 60,
    service: str = "voice",
    trunk: str | None = "TG0201",
) -> dict[str, object]:
    incoming = direction == "mt"
    return {
        "record_id": f"r{n}",
        "event_time": when,
        "service": service,
        "direction": direction,
        "calling": other if incoming else ours,
        "called": ours if incoming else other,
        "charging_party": ours,
        "duration_s": duration_s,
        "trunk_in": trunk if incoming else None,
        "trunk_out": None if incoming else trunk,
    }


def usage(rows: list[dict[str, object]]) -> pl.LazyFrame:
    schema = {
        "record_id": pl.String, "event_time": pl.Datetime("us", "UTC"), "service": pl.String,
        "direction": pl.String, "calling": pl.String, "called": pl.String,
        "charging_party": pl.String, "duration_s": pl.Int64, "trunk_in": pl.String,
        "trunk_out": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema).lazy()


def settle(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    lines = settle_usage(usage(rows), load_rules(), load_carriers())
    return [tuple(r) for r in lines.iter_rows()]


# --- interconnect ------------------------------------------------------------------------


def test_1000_minutes_mobile_to_fixed_from_unicom_in_2005_is_60_yuan_receivable() -> None:
    rows = [record(n, at(2005)) for n in range(1000)]
    assert settle(rows) == [
        ("CUCC", "in", "voice", "2003 mobile→fixed voice", 1000, 1000, "minute", 60_000)
    ]


def test_the_same_traffic_in_2015_is_40_yuan() -> None:
    rows = [record(n, at(2015)) for n in range(1000)]
    assert settle(rows) == [
        ("CUCC", "in", "voice", "2014 mobile→fixed voice", 1000, 1000, "minute", 40_000)
    ]


def test_every_started_minute_is_paid() -> None:
    # 61 s → 2 minutes, 120 s → 2, 1 s → 1: 5 minutes at 0.06 = 0.30 yuan
    rows = [record(0, at(2005), duration_s=61), record(1, at(2005), duration_s=120),
            record(2, at(2005), duration_s=1)]  # fmt: skip
    assert settle(rows) == [("CUCC", "in", "voice", "2003 mobile→fixed voice", 3, 5, "minute", 300)]


def test_an_unanswered_call_is_counted_and_costs_nothing() -> None:
    assert settle([record(0, at(2005), duration_s=0)]) == [
        ("CUCC", "in", "voice", "2003 mobile→fixed voice", 1, 0, "minute", 0)
    ]


def test_our_fixed_line_calling_a_mobile_in_2005_settles_nothing() -> None:
    rows = [record(0, at(2005), direction="mo", other=MOBILE, duration_s=600)]
    assert settle(rows) == [
        ("CMCC", "out", "voice", "2003 fixed→mobile voice (no settlement)", 1, 10, "minute", 0)
    ]


def test_fixed_to_fixed_across_networks_before_and_after_june_2009() -> None:
    netcom = "+862087654321"
    before = record(0, at(2009, 5, 31, 15), direction="mo", other=netcom, duration_s=600,
                    trunk="TG0701")  # 23:00 on 31 May in Beijing time  # fmt: skip
    after = record(1, at(2009, 5, 31, 16), direction="mo", other=netcom, duration_s=600,
                   trunk="TG0701")  # 00:00 on 1 June  # fmt: skip
    assert settle([before, after]) == [
        ("CNC", "out", "voice", "2003 fixed→fixed voice", 1, 10, "minute", 1500),
        ("CNC", "out", "voice", "2009 fixed→fixed voice", 1, 10, "minute", 600),
    ]


def test_netcom_calling_us_over_its_trunk_is_receivable() -> None:
    rows = [record(0, at(2010), other="+862087654321", trunk="TG0701", duration_s=300)]
    assert settle(rows) == [("CNC", "in", "voice", "2009 fixed→fixed voice", 1, 5, "minute", 300)]


def test_sms_across_networks_2005_and_2015() -> None:
    rows = [
        record(0, at(2005), service="sms", duration_s=0, trunk="TG0601"),
        record(1, at(2005), service="sms", duration_s=0, trunk="TG0601"),
        record(2, at(2015), service="sms", duration_s=0, trunk="TG0601"),
    ]
    assert settle(rows) == [
        ("CUCC", "in", "sms", "2003 SMS mobile→fixed", 2, 2, "message", 60),
        ("CUCC", "in", "sms", "2014 SMS mobile→fixed", 1, 1, "message", 10),
    ]


def test_td_numbers_are_priced_apart_from_2014_only() -> None:
    our_mobile = "+8618912345678"  # China Telecom's own mobile: a mobile line of ours
    rows = [
        record(0, at(2012), other=TD, ours=our_mobile, duration_s=60),  # CM mobile→mobile 0.06
        record(1, at(2015), other=TD, ours=our_mobile, duration_s=60),  # TD→mobile 0.012
        record(2, at(2015), direction="mo", other=TD, ours=our_mobile, duration_s=60),  # 0.06
    ]
    assert settle(rows) == [
        ("CMCC", "in", "voice", "2003 mobile→mobile voice", 1, 1, "minute", 60),
        ("CMCC", "in", "voice", "2014 TD→mobile voice (asymmetric)", 1, 1, "minute", 12),
        ("CMCC", "out", "voice", "2014 mobile→TD voice (asymmetric)", 1, 1, "minute", 60),
    ]


def test_133_belongs_to_unicom_until_october_2008_then_is_on_net() -> None:
    rows = [
        record(0, at(2008, 9, 30), other=CDMA_133, duration_s=60),
        record(1, at(2008, 10, 2), other=CDMA_133, duration_s=60),  # China Telecom's: on-net
    ]
    assert settle(rows) == [("CUCC", "in", "voice", "2003 mobile→fixed voice", 1, 1, "minute", 60)]


def test_own_trunk_groups_and_on_net_traffic_are_not_interconnect() -> None:
    rows = [
        record(0, at(2005), other=UNICOM, trunk="TG0101"),  # local tandem: our network
        record(1, at(2005), other="+862087654321", trunk="TG0201"),  # a fixed number by gateway
        record(2, at(2005), other="+85212345678", trunk="TG0401"),  # international
        record(3, at(2005), other="114", trunk=None),  # a service code
    ]
    assert settle(rows) == []


def test_files_without_trunk_groups_fall_back_to_the_number() -> None:
    rows = [record(0, at(2005), trunk=None, duration_s=120)]
    assert settle(rows) == [("CUCC", "in", "voice", "2003 mobile→fixed voice", 1, 2, "minute", 120)]


def test_a_call_before_the_2003_regime_is_reported_unpriced() -> None:
    rows = [record(0, at(2003, 11, 30), duration_s=60)]
    assert settle(rows) == [("CUCC", "in", "voice", "NO_TARIFF", 1, 0, "minute", 0)]


def test_several_carriers_and_directions_in_one_month() -> None:
    rows = [
        *[record(n, at(2005), duration_s=180) for n in range(10)],  # CU in: 30 min → 1.80
        *[record(100 + n, at(2005), other=MOBILE, duration_s=30) for n in range(4)],  # CM in: 4
    ]
    assert settle(rows) == [
        ("CMCC", "in", "voice", "2003 mobile→fixed voice", 4, 4, "minute", 240),
        ("CUCC", "in", "voice", "2003 mobile→fixed voice", 10, 30, "minute", 1800),
    ]


def test_overlapping_rules_are_refused() -> None:
    text = {
        "rule": [
            {"name": "a", "from": "mobile", "to": "fixed", "service": "voice", "yuan": "0.06",
             "valid_from": datetime(2003, 12, 1).date()},
            {"name": "b", "from": "mobile", "to": "fixed", "service": "voice", "yuan": "0.04",
             "valid_from": datetime(2014, 1, 1).date()},
        ]
    }  # fmt: skip
    with pytest.raises(SettlementInputError, match="both in force"):
        parse_rules(text)


def test_a_rate_finer_than_a_li_is_refused() -> None:
    rule = {"name": "a", "from": "mobile", "to": "fixed", "service": "voice",
            "yuan": "0.0605", "valid_from": datetime(2003, 12, 1).date()}  # fmt: skip
    with pytest.raises(SettlementInputError, match="whole li"):
        parse_rules({"rule": [rule]})


# --- inter-province ----------------------------------------------------------------------


def test_usage_served_by_shanghai_is_paid_to_shanghai() -> None:
    rows = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "event_time": [at(2005)] * 4,
            "service": ["voice", "sms", "data", "voice"],
            "duration_s": [125, 0, 600, 300],
            "volume_up": [0, 0, 1024 * 1024, 0],
            "volume_down": [0, 0, 1024 * 1024 + 1, 0],
            "area_code": ["021", "021", "010", "020"],  # the last: at home, not settled
        }
    ).with_columns(pl.col("event_time").dt.cast_time_unit("us"))
    lines = settle_interprovince(rows.lazy(), "GD")
    assert [tuple(r) for r in lines.iter_rows()] == [
        # 3 MiB started → 0.30 yuan
        ("GD>BJ", "out", "data", "group 2005 data served away", 1, 3, "MiB", 300),
        ("GD>SH", "out", "sms", "group 2005 SMS served away", 1, 1, "message", 20),
        # 125 s → 3 started minutes at 0.05
        ("GD>SH", "out", "voice", "group 2005 voice served away", 1, 3, "minute", 150),
    ]


# --- revenue share -----------------------------------------------------------------------


def test_ring_back_revenue_with_a_write_off_at_85_15() -> None:
    result = revenue_share(
        ShareInputs("901234", Decimal(85), billed_fen=100_000, bad_debt_fen=5_000)
    )
    assert (result.base_fen, result.sp_share_fen, result.operator_share_fen) == (
        95_000, 80_750, 14_250,
    )  # fmt: skip
    assert result.payable_fen == 80_750  # 807.50 yuan


@pytest.mark.parametrize(
    ("percent", "billed", "refunds", "bad_debt", "chargebacks", "expected"),
    [
        (70, 50_000, 0, 0, 0, (50_000, 35_000, 35_000)),  # 70/30: 350.00
        (50, 12_345, 0, 0, 0, (12_345, 6_173, 6_173)),  # 61.725 → 61.73 half up
        (85, 100_000, 2_000, 5_000, 0, (93_000, 79_050, 79_050)),  # refunds shared too
        (85, 100_000, 0, 0, 3_000, (100_000, 85_000, 82_000)),  # chargeback borne by the SP
        (85, 1_000, 1_500, 0, 0, (-500, -425, -425)),  # refunds above revenue: SP owes
    ],
)
def test_revenue_share_cases(
    percent: int,
    billed: int,
    refunds: int,
    bad_debt: int,
    chargebacks: int,
    expected: tuple[int, int, int],
) -> None:
    result = revenue_share(
        ShareInputs("sp", Decimal(percent), billed, refunds, bad_debt, chargebacks)
    )
    assert (result.base_fen, result.sp_share_fen, result.payable_fen) == expected


def test_a_write_off_is_taken_in_proportion_to_the_sp_part_of_the_bill() -> None:
    # 200.00 written off on a 400.00 bill of which 100.00 was the SP's: 50.00 is the SP's
    assert bad_debt_part(20_000, 10_000, 40_000) == 5_000
    assert bad_debt_part(10_000, 3_333, 10_000) == 3_333
    assert bad_debt_part(10_000, 0, 10_000) == 0


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(SettlementInputError, match="must not be negative"):
        revenue_share(ShareInputs("sp", Decimal(85), -1))


def test_rules_file_override_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "rules.toml"
    custom.write_text(
        '[[rule]]\nname = "flat"\nfrom = "mobile"\nto = "fixed"\nservice = "voice"\n'
        'yuan = "0.10"\nvalid_from = 2000-01-01\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("OPENBSS_SETTLEMENT_RULES", str(custom))
    assert settle([record(0, at(2005))]) == [("CUCC", "in", "voice", "flat", 1, 1, "minute", 100)]


def test_the_sp_statement_shows_the_base_and_pays_807_50() -> None:
    from openbss.settlement.revenue_share.calculations import statement_lines
    from openbss.settlement.statements import Line, Statement, statement_csv

    inputs = ShareInputs("901001", Decimal(85), billed_fen=100_000, bad_debt_fen=5_000,
                         chargebacks_fen=1_000, records=400)  # fmt: skip
    lines = tuple(
        Line(str(ln["direction"]), "vas", str(ln["rule"]), int(str(ln["records"])), 0,
             "record", int(str(ln["amount_fen"])) * 10, int(str(ln["amount_fen"])))
        for ln in statement_lines(inputs, revenue_share(inputs))
    )  # fmt: skip
    statement = Statement("revenueShare", "GD", "2005-03", "901001", "炫铃音乐", lines)
    assert (statement.payable_fen, statement.receivable_fen) == (80_750, 1_000)
    assert statement_csv(statement).decode().splitlines()[1:] == [
        "901001,2005-03,info,vas,billed revenue,400,0,record,1000.00",
        "901001,2005-03,info,vas,refunds,0,0,record,0.00",
        "901001,2005-03,info,vas,bad debt written off,0,0,record,-50.00",
        "901001,2005-03,info,vas,shared base,0,0,record,950.00",
        "901001,2005-03,out,vas,SP share 85 % of the shared base,0,0,record,807.50",
        "901001,2005-03,in,vas,complaint chargebacks,0,0,record,10.00",
    ]
