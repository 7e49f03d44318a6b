"""The invoice renderer: what a customer reads in the PDF, checked on its extracted text."""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from openbss.billing.invoice import (
    ChildAccountSection,
    InvoiceDocument,
    InvoiceFontMissing,
    InvoiceLine,
    InvoiceTotals,
    Language,
    TaxTotal,
    UsageDetailRow,
    format_yuan,
    locate_invoice_font,
    mask_called_number,
    render_invoice_pdf,
)
from openbss.billing.invoice.fonts import DEBIAN_FONT_DIRS
from openbss.billing.invoice.text import clean_text, format_volume
from tests.support import need

GOLDEN = Path(__file__).parent.parent / "golden" / "invoice_small.txt"
WQY_DIR = DEBIAN_FONT_DIRS[1]
CALLED = re.compile(r"\b1390013\d{4}\b")


@pytest.fixture
def font() -> None:
    try:
        locate_invoice_font()
    except InvoiceFontMissing as missing:
        need(False, missing.message)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def line(
    charge_type: str, zh: str, en: str, amount: int, tax: int, rate: str = "9%"
) -> InvoiceLine:
    return InvoiceLine(
        charge_type=charge_type,
        description_zh=zh,
        description_en=en,
        service_number="13300001111" if charge_type != "discount" else None,
        amount_fen=amount,
        tax_fen=tax,
        tax_category="basic" if rate == "9%" else "valueAdded",
        tax_rate=rate,
    )


def detail(count: int, start: int = 0) -> tuple[UsageDetailRow, ...]:
    first = datetime(2024, 2, 29, 16, 0, 5, tzinfo=UTC)  # 2024-03-01 00:00:05 in Shanghai
    return tuple(
        UsageDetailRow(
            service_number="13300001111",
            started_at=first + timedelta(minutes=13 * i),
            called_number=f"1390013{i:04d}",
            description_zh="本地通话",
            description_en="Local call",
            amount_fen=22 * (1 + i % 4),
            duration_seconds=31 + i % 97,
        )
        for i in range(start, start + count)
    )


SMALL = InvoiceDocument(
    bill_number="GD202403-000123",
    bill_id="bill-7f3a",
    province="GD",
    period="2024-03",
    period_start=date(2024, 3, 1),
    period_end=date(2024, 3, 31),
    issue_date=date(2024, 4, 3),
    due_date=date(2024, 4, 20),
    customer_name="张三",
    account_id="ACC-0001",
    account_name="张三家庭账户",
    billing_address=("广东省广州市天河区体育西路 1 号", "510620"),
    lines=(
        line("recurring", "天翼套餐月租", "Tianyi plan rental", 12900, 1065),
        line("usage", "本地通话费", "Local calls", 2244, 185),
        line("usage", "上网流量费", "Mobile data", 123456, 6988, rate="6%"),
        line("discount", "融合套餐优惠", "Bundle discount", -2000, -165),
    ),
    totals=InvoiceTotals(
        charges_fen=138600,
        discounts_fen=-2000,
        taxes=(
            TaxTotal(category="basic", rate="9%", tax_fen=1085),
            TaxTotal(category="valueAdded", rate="6%", tax_fen=6988),
        ),
    ),
    previous_balance_fen=5000,
    payments_received_fen=5000,
    amount_due_fen=136600,
    usage_detail=(
        *detail(2),
        UsageDetailRow(
            service_number="13300001111",
            started_at="2024-03-02 09:15:00",
            called_number="CTNET",
            description_zh="国内流量",
            description_en="Domestic data",
            amount_fen=300,
            volume_bytes=5 * 1024 * 1024 + 1,
        ),
    ),
)


# ---- printing helpers: no font needed ----


def test_money_prints_as_yuan_with_thousands_and_two_decimals() -> None:
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(5) == "¥0.05"
    assert format_yuan(-2000) == "-¥20.00"
    assert format_yuan(123456789012) == "¥1,234,567,890.12"


def test_called_numbers_mask_four_digits_before_the_last_two() -> None:
    assert mask_called_number("13800138000") == "13800****00"
    assert mask_called_number("02087654321") == "02087****21"
    assert mask_called_number("10000") == "***00"
    assert mask_called_number("1") == "*"


def test_volumes_round_up() -> None:
    assert format_volume(1) == "1 KB"
    assert format_volume(1024) == "1 KB"
    assert format_volume(5 * 1024 * 1024 + 1) == "5.01 MB"


def test_free_text_is_cleaned_and_cut() -> None:
    assert clean_text("a\nb\x00c\u202ed\u2028e", 50) == "a b cd e"
    assert clean_text("x" * 10, 5) == "xxxx…"
    assert clean_text("\ud800lone", 10) == "lone"


def test_money_is_never_a_float() -> None:
    with pytest.raises(TypeError, match="amount_fen"):
        replace(SMALL.lines[0], amount_fen=129.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        replace(SMALL.usage_detail[0], started_at=datetime(2024, 3, 1, 8, 0))


def test_a_font_folder_without_a_chinese_font_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENBSS_INVOICE_FONT_DIR", str(tmp_path))
    with pytest.raises(InvoiceFontMissing, match="fonts-wqy-microhei"):
        render_invoice_pdf(SMALL)


# ---- the PDF ----


def test_small_invoice_matches_the_golden_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # The golden text is of the WenQuanYi font (CI installs it): another font wraps otherwise.
    need(WQY_DIR.is_dir(), f"fonts-wqy-microhei is not installed ({WQY_DIR})")
    monkeypatch.setenv("OPENBSS_INVOICE_FONT_DIR", str(WQY_DIR))
    text = "\n\f\n".join(pages_text(render_invoice_pdf(SMALL))) + "\n"
    if os.environ.get("OPENBSS_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_small_invoice_prints_labels_amounts_dates_and_detail_in_order(font: None) -> None:
    summary, detail_page = pages_text(render_invoice_pdf(SMALL))
    for expected in (
        "中国电信",
        "China Telecom",
        "账单号",
        "Bill no.",
        "GD202403-000123",
        "2024-03 (2024-03-01 – 2024-03-31)",
        "缴费截止日期",
        "Due date",
        "2024-04-20",
        "本期应缴",
        "Amount due",
        "¥1,366.00",
        "¥1,234.56",
        "-¥20.00",
        "其中税额：基础电信服务 9%",
        "¥69.88",
        "第 1 页 / Page 1 of 2",
    ):
        assert expected in summary, expected
    assert "价内含营业税" not in summary
    assert "第 2 页 / Page 2 of 2" in detail_page
    rows = [
        "13300001111 2024-03-01 00:00:05 13900130000 0:00:31 本地通话 / Local call ¥0.22",
        "13300001111 2024-03-01 00:13:05 13900130001 0:00:32 本地通话 / Local call ¥0.44",
        "13300001111 2024-03-02 09:15:00 CTNET 5.01 MB 国内流量 / Domestic data ¥3.00",
    ]
    positions = [detail_page.index(row) for row in rows]
    assert positions == sorted(positions)


def test_english_first_and_business_tax_note(font: None) -> None:
    doc = replace(
        SMALL,
        language=Language.EN,
        totals=InvoiceTotals(charges_fen=138600, discounts_fen=-2000, business_tax_included=True),
    )
    summary = pages_text(render_invoice_pdf(doc))[0]
    assert "Page 1 of 2 / 第 1 页" in summary
    assert summary.index("Charges / 费用明细") >= 0
    assert "business tax included in prices / 价内含营业税" in summary


def test_long_detail_repeats_its_header_and_prints_every_row_once(font: None) -> None:
    rows = 2000
    pages = pages_text(render_invoice_pdf(replace(SMALL, usage_detail=detail(rows))))
    total = len(pages)
    assert total > 10
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / Page {number} of {total}" in text
    for text in pages[1:]:
        assert "起始时间" in text and "Start time" in text, text[:200]
        assert "GD202403-000123" in text  # the running head names the bill
    called = [match for text in pages for match in CALLED.findall(text)]
    assert called == [f"1390013{i:04d}" for i in range(rows)]


def test_masked_called_numbers_stay_masked(font: None) -> None:
    doc = replace(SMALL, usage_detail=detail(60), mask_called_numbers=True)
    text = "\n".join(pages_text(render_invoice_pdf(doc)))
    assert not CALLED.search(text)
    assert text.count("13900****") == 60
    assert "13900****00" in text and "13900****59" in text


def test_hostile_text_prints_literally_and_never_raises(font: None) -> None:
    markup = '#strong[x] $a$ *b* [c] \\ "q" #import "x.typ" _u_ `raw` <l> @ref // c'
    doc = replace(
        SMALL,
        customer_name=markup,
        account_name="名" * 5000,
        billing_address=(),
        bill_id="😀 emoji\u202eevil\x00",
        lines=(
            replace(
                SMALL.lines[0], description_en="A" * 400, description_zh="#set page(width: 1pt)"
            ),
        ),
        usage_detail=(replace(SMALL.usage_detail[0], called_number="#pagebreak()"),),
        children=(
            ChildAccountSection(account_id="]]", account_name="\\", lines=(), usage_detail=()),
        ),
    )
    pages = pages_text(render_invoice_pdf(doc))
    text = " ".join("\n".join(pages).split())  # long values wrap: compare across lines
    assert markup in text
    assert "#set page(width: 1pt)" in text
    assert "#pagebreak()" in text
    assert "名" * 79 + "…" in text.replace(" ", "") and "名" * 81 not in text.replace(" ", "")
    assert len(pages) == 3  # summary, detail, child: nothing injected a page


def test_consolidated_child_accounts_get_a_section_each(font: None) -> None:
    child = ChildAccountSection(
        account_id="ACC-0002",
        account_name="李四",
        lines=(line("recurring", "固话月租", "Fixed line rental", 2500, 206),),
        usage_detail=detail(3, start=500),
    )
    pages = pages_text(render_invoice_pdf(replace(SMALL, children=(child,))))
    assert len(pages) == 3
    assert "合账子账户 / Consolidated account: ACC-0002 李四" in pages[2]
    assert "¥25.00" in pages[2]
    assert CALLED.findall(pages[2]) == ["13900130500", "13900130501", "13900130502"]
