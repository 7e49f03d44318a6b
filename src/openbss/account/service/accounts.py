"""The four TMF666 account resources.

- billing accounts (帐户): what a customer is billed on; csr, billing operators, finance and
  admin write them (accounts are opened at the counter and adjusted by billing); an
  extension attribute ``enterpriseDiscountPercent`` (0–100) gives the account, and its
  children without one of their own, a percentage off their bills;
- party accounts: agents' and partners' accounts (commissions, channel fees) and settlement
  accounts: SP/CP revenue share and interconnect with other carriers (China Mobile, China
  Unicom); money flows to and from partners, so only finance and admin write them, and
  partners may read them;
- financial accounts: the A/R (or A/P) account aggregating a party's accounts; finance/admin.

Billing, party and settlement accounts share the ``PartyAccount`` rules: at least one related
party, a bill structure (cycle day, format, language, presentation media), a default payment
method (cash, bank collection 托收, online) and an optional financial account.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from sqlalchemy.orm import Session

from openbss.account import repository
from openbss.account.calculations import (
    ENTERPRISE_DISCOUNT,
    bill_cycle_day,
    enterprise_discount_basis_points,
    paying_account_id,
    payment_method_kind,
)
from openbss.account.models import (
    BillingAccount,
    FinancialAccount,
    PartyAccount,
    PartyAccountColumns,
    SettlementAccount,
)
from openbss.account.schemas import FinancialAccountSchema, PartyAccountSchema
from openbss.account.service.common import (
    BILLING_WRITERS,
    FINANCE_WRITERS,
    READERS,
    AccountService,
)
from openbss.account.service.references import (
    DEFAULT_LANGUAGE,
    check_bill_structure,
    unknown,
)
from openbss.kit.errors import Conflict
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON

P = TypeVar("P", bound=PartyAccountColumns)


class PartyAccountRules(AccountService[P]):
    """Rules of the accounts that receive bills or statements."""

    schema = PartyAccountSchema

    def validate_more(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: P | None,
        province: str | None,
    ) -> None:
        check_bill_structure(session, doc, province)
        payment_method_kind(doc.get("defaultPaymentMethod"))
        for plan in doc.get("paymentPlan") or []:
            if plan.get("paymentMethod"):
                payment_method_kind(plan["paymentMethod"])
        ref = doc.get("financialAccount")
        if ref:
            financial = repository.visible_row(session, FinancialAccount, ref["id"], province)
            if financial is None:
                raise unknown("financialAccount", ref["id"])
            if not ref.get("name") and financial.name:
                ref["name"] = financial.name

    def apply_columns(self, row: P, doc: JSON) -> None:
        super().apply_columns(row, doc)
        financial = doc.get("financialAccount")
        row.financial_account_id = financial["id"] if financial else None  # type: ignore[attr-defined]
        row.payment_method = payment_method_kind(doc.get("defaultPaymentMethod"))
        structure = doc.get("billStructure") or {}
        cycle = structure.get("cycleSpecification") or {}
        row.cycle_specification_id = cycle.get("id")
        row.bill_cycle_day = bill_cycle_day(cycle.get("billingDateShift"))
        bill_format = structure.get("format") or {}
        row.bill_format_id = bill_format.get("id")
        row.bill_language = bill_format.get("language") or DEFAULT_LANGUAGE


class BillingAccountService(PartyAccountRules[BillingAccount]):
    model = BillingAccount
    path = "billingAccount"
    resource_type = "BillingAccount"
    write_roles = BILLING_WRITERS

    def validate_more(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: BillingAccount | None,
        province: str | None,
    ) -> None:
        super().validate_more(session, principal, doc, existing, province)
        # The bill run applies it to this account and to children without one of their own.
        enterprise_discount_basis_points(doc.get(ENTERPRISE_DISCOUNT))

    def paying_account(
        self, session: Session, principal: Principal, account_id: str
    ) -> BillingAccount:
        """The account whose bill carries this account's charges (itself unless consolidated)."""
        row = self.get(session, principal, account_id)

        def consolidated(account: str) -> bool:
            found = session.get(BillingAccount, account)
            return bool(found is not None and found.consolidated_billing)

        payer_id = paying_account_id(
            row.id,
            lambda account: repository.parent_of(session, BillingAccount, account, lock=False),
            consolidated,
        )
        return self.get(session, principal, payer_id)


class PartyAccountService(PartyAccountRules[PartyAccount]):
    model = PartyAccount
    path = "partyAccount"
    resource_type = "PartyAccount"
    read_roles = READERS | {Role.PARTNER}
    write_roles = FINANCE_WRITERS


class SettlementAccountService(PartyAccountRules[SettlementAccount]):
    model = SettlementAccount
    path = "settlementAccount"
    resource_type = "SettlementAccount"
    read_roles = READERS | {Role.PARTNER}
    write_roles = FINANCE_WRITERS
    organization_required: ClassVar[bool] = True


class FinancialAccountService(AccountService[FinancialAccount]):
    model = FinancialAccount
    path = "financialAccount"
    resource_type = "FinancialAccount"
    schema = FinancialAccountSchema
    write_roles = FINANCE_WRITERS

    def before_delete(self, session: Session, principal: Principal, row: FinancialAccount) -> None:
        super().before_delete(session, principal, row)
        users = repository.party_accounts_using(session, "financial_account_id", row.id)
        if users:
            raise Conflict(
                f"FinancialAccount {row.id!r} aggregates {users} account(s); detach them first",
                code="ACCOUNT_IN_USE",
            )
