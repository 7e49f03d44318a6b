"""Bills and their lines as TMF678 JSON, built from the typed columns.

Amounts are integer fen in the tables and TMF ``Money`` on the wire (:mod:`openbss.kit.money`).
Dates a bill carries as calendar days (its issue and due dates, a rental's first and last day)
are days of the province's time zone; on the wire they become the instant that day starts,
in UTC with ``Z``, as every TMF timestamp. A billing period is the province calendar month
(:mod:`openbss.billing.cycles`), its end exclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from openbss.account.service import API_PATH as ACCOUNT_API_PATH
from openbss.billing.arithmetic import BASIS_POINTS_PER_WHOLE
from openbss.billing.cycles import cycle_of, zone
from openbss.billing.models import BillItem, BillState, CustomerBill
from openbss.billing.texts import line_text
from openbss.inventory.service import API_PATH as INVENTORY_API_PATH
from openbss.kit.money import tmf_money_from_fen
from openbss.kit.settings import get_settings
from openbss.kit.tmf import JSON, format_datetime

API = "customerBillManagement"
API_PATH = "/tmf-api/customerBillManagement/v4"
BILL_PATH = "customerBill"
ITEM_PATH = "appliedCustomerBillingRate"
ON_DEMAND_PATH = "customerBillOnDemand"
# Every bill of the monthly run is a regular, scheduled bill.
BILL_CATEGORY = "normal"
RUN_TYPE = "onCycle"
# A bill on demand (``billing.on_demand``) is made on a request, not by the cycle run.
ON_DEMAND_CATEGORY = "interim"
ON_DEMAND_RUN_TYPE = "offCycle"


def day_start(day: date) -> str:
    """The instant ``day`` starts in the province time zone, as a TMF timestamp."""
    local = datetime(day.year, day.month, day.day, tzinfo=zone(get_settings().timezone))
    return format_datetime(local.astimezone(UTC))


def tax_rate(basis_points: int) -> float:
    """A rate in basis points as the TMF number: ``900`` → ``0.09``."""
    return float(Decimal(basis_points) / BASIS_POINTS_PER_WHOLE)


def resource_href(base: str, api_path: str, path: str, resource_id: str) -> str:
    return f"{base.rstrip('/')}{api_path}/{path}/{resource_id}"


def account_ref(base: str, account_id: str) -> JSON:
    return {
        "id": account_id,
        "href": resource_href(base, ACCOUNT_API_PATH, "billingAccount", account_id),
        "@referredType": "BillingAccount",
    }


def bill_ref(base: str, bill_id: str) -> JSON:
    return {
        "id": bill_id,
        "href": resource_href(base, API_PATH, BILL_PATH, bill_id),
        "@referredType": "CustomerBill",
    }


def billing_period(period: str) -> JSON:
    cycle = cycle_of(period, get_settings().timezone)
    return {
        "startDateTime": format_datetime(cycle.start_utc),
        "endDateTime": format_datetime(cycle.end_utc),
    }


def tax_items(items: Iterable[BillItem]) -> list[JSON]:
    """The bill's VAT per category and rate: the sum of its lines' taxes. Lines without VAT
    (bills of the business-tax years) add nothing, so such a bill shows no tax item."""
    totals: dict[tuple[str, int], int] = {}
    for item in items:
        if item.tax_rate_bp:
            key = (item.tax_category, item.tax_rate_bp)
            totals[key] = totals.get(key, 0) + item.tax_fen
    return [
        {
            "taxCategory": category,
            "taxRate": tax_rate(rate_bp),
            "taxAmount": tmf_money_from_fen(amount),
            "@type": "TaxItem",
        }
        for (category, rate_bp), amount in sorted(totals.items())
    ]


def remaining_fen(bill: CustomerBill) -> int:
    # The receivables ledger keeps ``settled_fen`` in step with the bill's open item.
    if bill.state == BillState.ON_DEMAND:
        return bill.amount_fen
    return max(bill.amount_fen - (bill.settled_fen or 0), 0)


def bill_body(bill: CustomerBill, items: Iterable[BillItem], base: str) -> JSON:
    """TMF678 CustomerBill of ``bill`` and its lines."""
    on_demand = bill.state == BillState.ON_DEMAND
    return {
        "id": bill.id,
        "href": resource_href(base, API_PATH, BILL_PATH, bill.id),
        "billNo": bill.bill_no,
        "billDate": day_start(bill.bill_date),
        "paymentDueDate": day_start(bill.payment_due_date),
        "billingPeriod": billing_period(bill.period),
        "category": ON_DEMAND_CATEGORY if on_demand else BILL_CATEGORY,
        "runType": ON_DEMAND_RUN_TYPE if on_demand else RUN_TYPE,
        "state": bill.state,
        "amountDue": tmf_money_from_fen(bill.amount_fen),
        "taxIncludedAmount": tmf_money_from_fen(bill.amount_fen),
        "taxExcludedAmount": tmf_money_from_fen(bill.amount_fen - bill.tax_fen),
        "remainingAmount": tmf_money_from_fen(remaining_fen(bill)),
        "taxItem": tax_items(items),
        "billingAccount": account_ref(base, bill.billing_account_id),
        # The bill's printable document is known by the bill number.
        "billDocument": [
            {
                "id": bill.bill_no,
                "name": f"{bill.bill_no}.pdf",
                "attachmentType": "bill",
                "mimeType": "application/pdf",
                "@type": "Attachment",
            }
        ],
        "lastUpdate": format_datetime(bill.updated_at),
        "@type": "CustomerBill",
    }


def coverage(item: BillItem, bill: CustomerBill | None) -> JSON | None:
    """The days a line charges for; a line without its own days covers the bill's period."""
    if item.first_day is not None and item.last_day is not None:
        return {
            "startDateTime": day_start(item.first_day),
            "endDateTime": day_start(item.last_day + timedelta(days=1)),
        }
    return billing_period(bill.period) if bill is not None else None


def item_body(item: BillItem, bill: CustomerBill | None, base: str) -> JSON:
    """TMF678 AppliedCustomerBillingRate of one bill line."""
    text = line_text(item.description_key)
    body: JSON = {
        "id": item.id,
        "href": resource_href(base, API_PATH, ITEM_PATH, item.id),
        "type": item.charge_type,
        "name": text.zh,
        "description": text.en,
        "date": format_datetime(item.created_at),
        "isBilled": item.is_billed,
        "taxIncludedAmount": tmf_money_from_fen(item.amount_fen),
        "taxExcludedAmount": tmf_money_from_fen(item.amount_fen - item.tax_fen),
        "appliedTax": [
            {
                "taxCategory": item.tax_category,
                "taxRate": tax_rate(item.tax_rate_bp),
                "taxAmount": tmf_money_from_fen(item.tax_fen),
                "@type": "AppliedBillingTaxRate",
            }
        ],
        "bill": bill_ref(base, item.bill_id),
        "billingAccount": account_ref(base, item.billing_account_id),
        "@type": "AppliedCustomerBillingRate",
    }
    period = coverage(item, bill)
    if period is not None:
        body["periodCoverage"] = period
    if item.product_id is not None:
        body["product"] = {
            "id": item.product_id,
            "href": resource_href(base, INVENTORY_API_PATH, "product", item.product_id),
            "@referredType": "Product",
        }
    return body
