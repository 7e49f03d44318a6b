"""Statement files: the CSV a partner's system reads and the PDF a person signs.

Both are made from the statement's lines alone — no wall-clock time, no run id — so the same
inputs give byte-identical files (a killed and rerun settlement run writes what an
uninterrupted one would). The PDF's creation date is the first day of the month after the
period. Amounts print in yuan with two decimals; a line's fen is its li rounded half up once
(:func:`openbss.kit.money.li_to_fen`), and totals are sums of the lines' fen.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import typst

from openbss.billing.invoice.fonts import InvoiceFont, locate_invoice_font
from openbss.kit.money import format_fen

LAYOUT = Path(__file__).with_name("statement.typ")
CSV_COLUMNS = (
    "partner", "period", "direction", "service", "rule", "records", "quantity", "unit",
    "amount_yuan",
)  # fmt: skip
_lock = threading.Lock()
KIND_TITLES = {
    "interconnect": ("网间互联互通结算单", "Interconnect settlement statement"),
    "revenueShare": ("SP/CP 业务结算单", "SP/CP revenue-share statement"),
    "interprovince": ("省际结算单", "Inter-province settlement statement"),
}
DIRECTION_TEXT = {"in": "应收 receivable", "out": "应付 payable", "info": "说明 info"}


@dataclass(frozen=True, slots=True)
class Line:
    direction: str  # in: the partner pays us; out: we pay the partner
    service: str
    rule: str
    records: int
    quantity: int
    unit: str
    amount_li: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Statement:
    kind: str
    province: str
    period: str
    partner: str
    partner_name: str
    lines: tuple[Line, ...]

    @property
    def receivable_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.direction == "in")

    @property
    def payable_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.direction == "out")

    @property
    def file_stem(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.partner)
        return f"{self.kind}-{safe}-{self.period}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def statement_csv(statement: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow(
            [
                statement.partner, statement.period, line.direction, line.service, line.rule,
                line.records, line.quantity, line.unit, yuan(line.amount_fen),
            ]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")


@lru_cache(maxsize=2)
def _compiler(font: InvoiceFont) -> typst.Compiler:
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(font.directory)]
    )
    return typst.Compiler(
        str(LAYOUT), root=str(LAYOUT.parent), font_paths=fonts, ignore_system_fonts=True
    )


def _view(statement: Statement, family: str) -> dict[str, object]:
    title = KIND_TITLES[statement.kind]
    return {
        "font": family,
        "title": list(title),
        "facts": [
            {
                "label": ["结算对象", "Partner"],
                "value": f"{statement.partner_name} ({statement.partner})",
            },
            {"label": ["结算账期", "Period"], "value": statement.period},
            {"label": ["省份", "Province"], "value": statement.province},
        ],
        "columns": [
            ["方向", "Direction"],
            ["业务", "Service"],
            ["结算规则", "Rule"],
            ["话单数", "Records"],
            ["计费量", "Quantity"],
            ["金额(元)", "Amount (yuan)"],
        ],
        "rows": [
            [
                DIRECTION_TEXT.get(line.direction, line.direction),
                line.service,
                line.rule,
                str(line.records),
                f"{line.quantity} {line.unit}",
                yuan(line.amount_fen),
            ]
            for line in statement.lines
        ],
        "totals": [
            {"label": ["应收合计", "Receivable"], "value": format_fen(statement.receivable_fen)},
            {"label": ["应付合计", "Payable"], "value": format_fen(statement.payable_fen)},
            {
                "label": ["净额", "Net (receivable − payable)"],
                "value": format_fen(statement.receivable_fen - statement.payable_fen),
            },
        ],
    }


def _timestamp(period: str) -> int:
    year, month = int(period[:4]), int(period[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return int(datetime(year, month, 1, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a bilingual (zh-CN + en) PDF; raises ``InvoiceFontMissing`` when the
    machine has no Chinese font."""
    font = locate_invoice_font()
    data = json.dumps(_view(statement, font.family), ensure_ascii=False)
    with _lock:
        pdf = _compiler(font).compile(
            format="pdf",
            sys_inputs={"statement": data},
            timestamp=_timestamp(statement.period),
            pdf_tags=False,
        )
    assert isinstance(pdf, bytes)
    return pdf
