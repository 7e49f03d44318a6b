"""What other domains may use of account (TMF666): billing accounts, bill formats and
settlement accounts, read.

The entity class is published for loading and type annotations; the queries live in this
domain's repository (``models`` and ``repository`` are private, enforced by import-linter).
"""

from __future__ import annotations

from openbss.account.calculations import (
    ENTERPRISE_DISCOUNT,
    enterprise_discount_basis_points,
    inherited_setting,
    paying_account_id,
)
from openbss.account.models import BillFormat, BillingAccount, SettlementAccount
from openbss.account.repository import (
    billing_accounts_of_party,
    billing_accounts_of_province,
    credit_limited_accounts,
    get_bill_format,
    get_billing_account,
    get_settlement_account,
)

__all__ = [
    "ENTERPRISE_DISCOUNT",
    "BillFormat",
    "BillingAccount",
    "SettlementAccount",
    "billing_accounts_of_party",
    "billing_accounts_of_province",
    "credit_limited_accounts",
    "enterprise_discount_basis_points",
    "get_bill_format",
    "get_billing_account",
    "get_settlement_account",
    "inherited_setting",
    "paying_account_id",
]
