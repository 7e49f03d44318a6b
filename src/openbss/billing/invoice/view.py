"""An :class:`InvoiceDocument` as the strings the layout places, in the order it places them.

Everything printed is decided here — labels in both languages in the customer's order, money
as ``¥1,234.56``, masked numbers, local times, cleaned free text — so the Typst layout only
arranges strings and never interprets them. The result is plain JSON-able data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from openbss.billing.invoice.document import (
    BUSINESS_TAX_NOTE_EN,
    BUSINESS_TAX_NOTE_ZH,
    ChildAccountSection,
    InvoiceDocument,
    InvoiceLine,
    Language,
    UsageDetailRow,
)
from openbss.billing.invoice.text import (
    clean_text,
    format_local_time,
    format_usage_quantity,
    format_yuan,
    mask_called_number,
)

# Longest free text printed per field, in characters; longer text is cut with an ellipsis.
NAME_LIMIT = 80
ADDRESS_LIMIT = 100
DESCRIPTION_LIMIT = 60
NUMBER_LIMIT = 32
NOTE_LIMIT = 200
NO_VALUE = "—"

Pair = tuple[str, str]  # (zh, en)

LABELS: dict[str, Pair] = {
    "operator": ("中国电信", "China Telecom"),
    "title": ("话费账单", "Invoice"),
    "bill_number": ("账单号", "Bill no."),
    "bill_id": ("账单标识", "Bill ID"),
    "province": ("省份", "Province"),
    "period": ("账期", "Billing period"),
    "issue_date": ("出账日期", "Issue date"),
    "due_date": ("缴费截止日期", "Due date"),
    "customer": ("客户名称", "Customer"),
    "account_id": ("账户号码", "Account no."),
    "account_name": ("账户名称", "Account name"),
    "address": ("账单地址", "Billing address"),
    "amount_due": ("本期应缴", "Amount due"),
    "charges": ("费用明细", "Charges"),
    "item": ("项目", "Item"),
    "service_number": ("号码", "Service no."),
    "amount": ("金额（含税）", "Amount (tax incl.)"),
    "tax_rate": ("税率", "Tax rate"),
    "tax": ("税额", "Tax"),
    "subtotal": ("小计", "Subtotal"),
    "summary": ("合计", "Summary"),
    "total_charges": ("本期费用", "Current charges"),
    "total_discounts": ("优惠及减免", "Discounts and credits"),
    "tax_of_which": ("其中税额", "of which tax"),
    "total_tax": ("税额合计", "Total tax"),
    "previous_balance": ("上期结余", "Previous balance"),
    "payments": ("本期已缴", "Payments received"),
    "detail": ("通话详单", "Itemised usage detail"),
    "detail_service_number": ("计费号码", "Service no."),
    "started_at": ("起始时间", "Start time"),
    "called_number": ("对方号码", "Other party"),
    "quantity": ("时长/流量", "Duration/volume"),
    "usage_type": ("类型", "Type"),
    "usage_amount": ("金额", "Amount"),
    "masked_note": (
        "应您的要求，对方号码部分隐藏",
        "Other parties' numbers are partly hidden at your request",
    ),
    "no_detail": ("本期无通话详单", "No itemised usage this period"),
    "child": ("合账子账户", "Consolidated account"),
}

CHARGE_TYPE_ORDER: dict[str, Pair] = {
    "recurring": ("套餐及月租费", "Plans and recurring charges"),
    "usage": ("通信费", "Usage charges"),
    "oneTime": ("一次性费用", "One-time charges"),
    "adjustment": ("调账", "Adjustments"),
    "minimumSpendTopUp": ("保底补足", "Minimum spend top-up"),
    "discount": ("优惠", "Discounts"),
    "credit": ("减免", "Credits"),
}

TAX_CATEGORIES: dict[str, Pair] = {
    "basic": ("基础电信服务", "basic telecom services"),
    "valueAdded": ("增值电信服务", "value-added telecom services"),
}


class _Printer:
    """Pairs and rows in the customer's language order."""

    def __init__(self, doc: InvoiceDocument) -> None:
        self.zh_first = doc.language is Language.ZH
        self.zone = ZoneInfo(doc.time_zone)
        self.mask = doc.mask_called_numbers
        self.detail_note = doc.usage_detail_note

    def pair(self, zh: str, en: str) -> list[str]:
        """Both languages, first-language first: the layout stacks them."""
        return [zh, en] if self.zh_first else [en, zh]

    def inline(self, zh: str, en: str) -> str:
        first, second = self.pair(zh, en)
        return f"{first} / {second}"

    def label(self, key: str) -> list[str]:
        return self.pair(*LABELS[key])

    def label_inline(self, key: str) -> str:
        return self.inline(*LABELS[key])

    def charges(self, lines: Iterable[InvoiceLine]) -> dict[str, Any]:
        groups: dict[str, list[InvoiceLine]] = {}
        for line in lines:
            groups.setdefault(line.charge_type, []).append(line)
        order = [key for key in CHARGE_TYPE_ORDER if key in groups]
        order += [key for key in groups if key not in CHARGE_TYPE_ORDER]
        return {
            "columns": [
                self.label(key) for key in ("item", "service_number", "amount", "tax_rate", "tax")
            ],
            "subtotal": self.label_inline("subtotal"),
            "groups": [self._group(key, groups[key]) for key in order],
        }

    def _group(self, charge_type: str, lines: list[InvoiceLine]) -> dict[str, Any]:
        zh, en = CHARGE_TYPE_ORDER.get(charge_type, (charge_type, charge_type))
        return {
            "title": self.inline(clean_text(zh, NAME_LIMIT), clean_text(en, NAME_LIMIT)),
            "rows": [
                [
                    self.pair(
                        clean_text(line.description_zh, DESCRIPTION_LIMIT),
                        clean_text(line.description_en, DESCRIPTION_LIMIT),
                    ),
                    clean_text(line.service_number or NO_VALUE, NUMBER_LIMIT),
                    format_yuan(line.amount_fen),
                    clean_text(line.tax_rate or NO_VALUE, NUMBER_LIMIT),
                    format_yuan(line.tax_fen),
                ]
                for line in lines
            ],
            "amount": format_yuan(sum(line.amount_fen for line in lines)),
            "tax": format_yuan(sum(line.tax_fen for line in lines)),
        }

    def detail(self, rows: Iterable[UsageDetailRow]) -> dict[str, Any]:
        return {
            "title": self.label_inline("detail"),
            "columns": [
                self.label(key)
                for key in (
                    "detail_service_number",
                    "started_at",
                    "called_number",
                    "quantity",
                    "usage_type",
                    "usage_amount",
                )
            ],
            "rows": [self._detail_row(row) for row in rows],
            "empty": self.label_inline("no_detail"),
            "note": "  ".join(self._detail_notes()),
        }

    def _detail_notes(self) -> list[str]:
        notes = [self.label_inline("masked_note")] if self.mask else []
        if self.detail_note is not None:
            zh, en = self.detail_note
            notes.append(self.inline(clean_text(zh, NOTE_LIMIT), clean_text(en, NOTE_LIMIT)))
        return notes

    def _detail_row(self, row: UsageDetailRow) -> list[str]:
        called = clean_text(row.called_number, NUMBER_LIMIT)
        return [
            clean_text(row.service_number, NUMBER_LIMIT),
            format_local_time(row.started_at, self.zone),
            mask_called_number(called) if self.mask else called,
            format_usage_quantity(row.duration_seconds, row.volume_bytes),
            self.inline(
                clean_text(row.description_zh, DESCRIPTION_LIMIT),
                clean_text(row.description_en, DESCRIPTION_LIMIT),
            ),
            format_yuan(row.amount_fen),
        ]

    def child(self, section: ChildAccountSection) -> dict[str, Any]:
        title = (
            f"{self.label_inline('child')}: {clean_text(section.account_id, NUMBER_LIMIT)} "
            f"{clean_text(section.account_name, NAME_LIMIT)}"
        )
        return {
            "title": title,
            "charges": self.charges(section.lines),
            "detail": self.detail(section.usage_detail),
        }


def invoice_view(doc: InvoiceDocument, font_family: str) -> dict[str, Any]:
    """The strings of ``doc`` as the layout (``invoice.typ``) reads them."""
    p = _Printer(doc)
    totals = doc.totals
    summary: list[list[Any]] = [
        [p.label("total_charges"), format_yuan(totals.charges_fen)],
        [p.label("total_discounts"), format_yuan(totals.discounts_fen)],
    ]
    for tax in totals.taxes:
        zh, en = TAX_CATEGORIES.get(tax.category, (tax.category, tax.category))
        rate = f" {clean_text(tax.rate, NUMBER_LIMIT)}" if tax.rate else ""
        summary.append(
            [
                p.pair(
                    f"{LABELS['tax_of_which'][0]}：{clean_text(zh, NAME_LIMIT)}{rate}",
                    f"{LABELS['tax_of_which'][1]}: {clean_text(en, NAME_LIMIT)}{rate}",
                ),
                format_yuan(tax.tax_fen),
            ]
        )
    if totals.taxes:
        summary.append([p.label("total_tax"), format_yuan(totals.tax_fen)])
    summary += [
        [p.label("previous_balance"), format_yuan(doc.previous_balance_fen)],
        [p.label("payments"), format_yuan(doc.payments_received_fen)],
        [p.label("amount_due"), format_yuan(doc.amount_due_fen)],
    ]
    address = [clean_text(line, ADDRESS_LIMIT) for line in doc.billing_address]
    period = (
        f"{clean_text(doc.period, NUMBER_LIMIT)} "
        f"({doc.period_start.isoformat()} – {doc.period_end.isoformat()})"
    )
    bill_number = clean_text(doc.bill_number, NUMBER_LIMIT)
    account_id = clean_text(doc.account_id, NUMBER_LIMIT)
    return {
        "font": font_family,
        "lang": doc.language.value,
        "document_title": f"{p.label_inline('title')} {bill_number}",
        "operator": p.label("operator"),
        "title": p.label("title"),
        "running_head": [
            f"{p.label_inline('bill_number')}: {bill_number}",
            f"{p.label_inline('account_id')}: {account_id}",
        ],
        "footer": "第 {n} 页 / Page {n} of {m}" if p.zh_first else "Page {n} of {m} / 第 {n} 页",
        "bill_facts": [
            [p.label("bill_number"), bill_number],
            [p.label("bill_id"), clean_text(doc.bill_id, NUMBER_LIMIT)],
            [p.label("province"), clean_text(doc.province, NUMBER_LIMIT)],
        ],
        "customer_facts": [
            [p.label("customer"), clean_text(doc.customer_name, NAME_LIMIT)],
            [p.label("account_id"), account_id],
            [p.label("account_name"), clean_text(doc.account_name, NAME_LIMIT)],
            [p.label("address"), address or [NO_VALUE]],
        ],
        "period_facts": [
            [p.label("period"), period],
            [p.label("issue_date"), doc.issue_date.isoformat()],
            [p.label("due_date"), doc.due_date.isoformat()],
        ],
        "amount_due": [p.label("amount_due"), format_yuan(doc.amount_due_fen)],
        "charges_title": p.label_inline("charges"),
        "charges": p.charges(doc.lines),
        "summary_title": p.label_inline("summary"),
        "summary": summary,
        "notes": (
            [p.inline(BUSINESS_TAX_NOTE_ZH, BUSINESS_TAX_NOTE_EN)]
            if totals.business_tax_included
            else []
        ),
        "detail": p.detail(doc.usage_detail),
        "children": [p.child(section) for section in doc.children],
    }
