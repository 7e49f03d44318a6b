"""Bank collection layouts as data: the shipped layouts load, a request renders at the widths
the layout gives (bytes of GB 18030 for the fixed-width one), a result file reads back what
was written, broken layouts are refused on load, and each result line is judged against the
batch (paid, refused, partial, or rejected with its reason)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.payments import banks
from openbss.payments.collection import AskedLine, check_lines
from openbss.payments.collection_models import LineOutcome

BATCH = "ICBC-GD-20261203-01"
ICBC = banks.load_bank_layout("icbc_fixed")
CCB = banks.load_bank_layout("ccb_csv")


def test_shipped_layouts_load_by_bank() -> None:
    assert banks.available_banks() == {"CCB": "ccb_csv", "ICBC": "icbc_fixed"}
    assert banks.layout_for_bank("icbc") is ICBC
    with pytest.raises(banks.BankLayoutError, match="known banks: CCB, ICBC"):
        banks.layout_for_bank("XYZ")


def test_fixed_width_counts_bytes_and_cuts_a_long_holder_on_a_character() -> None:
    values = {"batch_id": BATCH, "line_no": 7, "billing_account_id": "acc-1",
              "bank_account_no": "6222000000000000001", "holder": "欧阳" * 30,
              "amount_fen": 12_800, "currency": "CNY"}  # fmt: skip
    line = banks.render_line(ICBC, ICBC.request.detail, values).encode("gb18030")
    assert len(line) == 150
    assert line[25:33] == b"00000007" and line[132:147] == b"000000000012800"
    assert line[92:132].decode("gb18030") == "欧阳" * 10  # 40 bytes, whole characters
    with pytest.raises(ValueError, match="wider"):
        banks.render_line(ICBC, ICBC.request.detail, {**values, "bank_account_no": "1" * 20})


@pytest.mark.parametrize(
    ("layout_text", "message"),
    [
        ("name = 'x'", "missing 'format'"),
        ("format = 'fixed'\nencoding = 'nope'", "unknown encoding"),
        ("format = 'csv'\nwho = 1", "unknown setting"),
    ],
)
def test_a_broken_layout_is_refused_on_load(layout_text: str, message: str) -> None:
    with pytest.raises(banks.BankLayoutError, match=message):
        banks.parse_bank_layout(layout_text)


def test_a_result_field_the_layout_cannot_have_is_named() -> None:
    text = (
        "format = 'csv'\n[status_codes]\nS = 'paid'\n"
        "[request.detail]\nfields = [{ name = 'line_no' }]\n"
        "[result.detail]\nfields = [{ name = 'colour' }]\n"
    )
    with pytest.raises(banks.BankLayoutError, match="'colour' is not one of"):
        banks.parse_bank_layout(text, source="mine.toml")


answers = st.lists(
    st.fixed_dictionaries(
        {
            "paid_fen": st.integers(0, 10**12),
            "status": st.sampled_from(["00", "01", "02"]),
            "reason_text": st.text(st.sampled_from("余额不足账户冻结 ab"), max_size=20),
            "bank_txn_id": st.text(st.sampled_from("ABC0123456789"), max_size=20),
        }
    ),
    max_size=20,
)


@given(answers, st.sampled_from([ICBC, CCB]))
def test_a_result_file_reads_back_what_was_written(
    rows: list[dict[str, object]], layout: banks.BankLayout
) -> None:
    codes = {v: k for k, v in layout.status_codes.items()}
    statuses = {"00": "paid", "01": "refused", "02": "partial"}
    details = [
        {**row, "batch_id": BATCH, "line_no": n + 1, "reference": f"{BATCH}/{n + 1}",
         "billing_account_id": f"acc-{n}", "amount_fen": 99,
         "status": codes[statuses[str(row["status"])]]}
        for n, row in enumerate(rows)
    ]  # fmt: skip
    frame = {"bank": layout.bank, "batch_id": BATCH, "date": "20261203", "count": len(rows)}
    parsed = banks.read_result(
        layout, banks.render_file(layout, layout.result, frame, details, frame)
    )
    assert parsed.file_error is None and parsed.header["batch_id"] == BATCH
    assert int(parsed.trailer["count"]) == len(rows)
    for written, line in zip(details, parsed.lines, strict=True):
        assert line.error is None
        assert int(line.values["paid_fen"]) == written["paid_fen"]
        assert line.values["reason_text"] == str(written["reason_text"]).strip()
        assert line.values["bank_txn_id"] == written["bank_txn_id"]


def test_a_file_without_its_trailer_is_rejected_whole() -> None:
    content = b"HDR,CCB,B,20261203\nDTL,B/1,a,100,S,,,T1\n"
    assert banks.read_result(CCB, content).file_error == "truncated: the last line is not a trailer"
    assert banks.read_result(CCB, b"").file_error == "empty file"


def test_each_result_line_is_judged_against_the_batch() -> None:
    asked = {
        1: AskedLine("acc-1", 1_000),
        2: AskedLine("acc-2", 2_000),
        3: AskedLine("acc-3", 500),
        4: AskedLine("acc-4", 500),
        5: AskedLine("acc-5", 100),
    }
    batch = "CCB-GD-20261203-01"

    def line(n: int, **values: str) -> banks.ParsedLine:
        return banks.ParsedLine(n, values)

    checked = check_lines(
        CCB,
        batch,
        asked,
        [
            line(2, reference=f"{batch}/1", paid_fen="1000", status="S"),
            line(
                3,
                reference=f"{batch}/2",
                paid_fen="0",
                status="F",
                reason_code="E51",
                reason_text="余额不足",
            ),
            line(4, reference=f"{batch}/3", paid_fen="200", status="P"),
            line(5, reference=f"{batch}/1", paid_fen="1000", status="S"),
            line(6, reference=f"{batch}/9", paid_fen="1", status="S"),
            line(7, reference="OTHER/1", paid_fen="1", status="S"),
            line(8, reference=f"{batch}/4", paid_fen="600", status="P"),
            line(9, reference=f"{batch}/5", billing_account_id="acc-9", status="S"),
            line(10, reference=f"{batch}/4", status="?"),
            banks.ParsedLine(11, {}, "7 fields, the layout has 8"),
        ],
    )
    outcomes = [(c.file_line, c.outcome, c.paid_fen) for c in checked]
    assert outcomes[:3] == [
        (2, LineOutcome.PAID, 1_000),
        (3, LineOutcome.REFUSED, 0),
        (4, LineOutcome.PARTIAL, 200),
    ]
    assert checked[1].reason == "余额不足" and checked[1].reason_code == "E51"
    reasons = [c.reason for c in checked[3:]]
    assert all(c.outcome is LineOutcome.REJECTED for c in checked[3:])
    assert reasons == [
        "line 1 of the batch is answered twice",
        f"batch {batch} has no line 9",
        f"belongs to batch 'OTHER', not {batch}",
        "partial payment of 600 fen of 500 asked",
        "line 5 was asked of another account",
        "unknown status code '?'",
        "7 fields, the layout has 8",
    ]
