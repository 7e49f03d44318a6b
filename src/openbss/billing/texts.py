"""The words a bill line shows, in Chinese and English, from its ``description_key``.

A line carries a key (``"rental.monthly"``, ``"usage.voice"``), never prose, so that the
invoice, the TMF API and the portal word a line the same way in both languages. A key with no
entry here is shown as itself rather than refused: a new catalog price key must not make a
bill unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class LineText:
    zh: str
    en: str


LINE_TEXTS = MappingProxyType(
    {
        "rental.monthly": LineText("月租费", "Monthly rental"),
        "rental.daily": LineText("日租费", "Daily rental"),
        "rental.inAdvance": LineText("预收下月月租费", "Next month's rental, in advance"),
        "rental.advanceSettled": LineText("冲抵预收月租费", "Rental charged in advance, settled"),
        "rental.fixed": LineText("固定电话月租费", "Fixed line rental"),
        "rental.phs": LineText("小灵通月租费", "PHS rental"),
        "rental.mobile": LineText("移动电话月租费", "Mobile rental"),
        "rental.adsl": LineText("宽带月租费", "Broadband rental"),
        "rental.broadband": LineText("宽带月租费", "Broadband rental"),
        "rental.bundle": LineText("套餐月租费", "Bundle rental"),
        "oneTime.installation": LineText("装机费", "Installation fee"),
        "usage.voice": LineText("通话费", "Calls"),
        "usage.localCall": LineText("市话费", "Local calls"),
        "usage.longDistance": LineText("长途费", "Long-distance calls"),
        "usage.sms": LineText("短信费", "Text messages"),
        "usage.data": LineText("上网流量费", "Data"),
        "discount.product": LineText("产品优惠", "Product discount"),
        "discount.account": LineText("帐户优惠", "Account discount"),
        "discount.cap": LineText("封顶优惠", "Spending cap"),
        "minimumSpend.topUp": LineText("保底补足", "Minimum spend top-up"),
        "adjustment.debit": LineText("调帐(补收)", "Adjustment (debit)"),
        "adjustment.credit": LineText("调帐(减免)", "Adjustment (credit)"),
    }
)


def line_text(description_key: str) -> LineText:
    """The Chinese and English words of ``description_key`` (the key itself if unknown)."""
    return LINE_TEXTS.get(description_key) or LineText(description_key, description_key)
