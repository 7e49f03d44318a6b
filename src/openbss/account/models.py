"""Accounts (TMF666): billing, party, settlement and financial accounts, and bill reference data.

Every account row keeps its TMF document in ``doc``; the typed columns below are derived from
that document on every write (see ``AccountService.apply_columns``) so that billing, payments
and settlement can select and aggregate without parsing JSON:

- money in integer fen (``*_amount``, BigInteger) with the currency beside it — never float;
- the hierarchy as ``parent_account_id`` (a self-referencing foreign key: the database itself
  refuses a dangling parent) plus ``consolidated_billing`` on the child (its parent pays);
- the bill cycle day, bill format, bill language and payment method the billing run needs.

Bill formats, presentation media and billing cycle specifications are reference data, usually
owned by the group (province NULL) and shared by every province; accounts refer to them by id
without a foreign key, because group data is replicated to each province shard, not joined.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.resources.models import TmfResourceMixin

ACCOUNT_FILTERS: dict[str, str] = {
    "id": "id",
    "name": "name",
    "state": "state",
    "accountType": "account_type",
}
PARTY_ACCOUNT_FILTERS: dict[str, str] = {**ACCOUNT_FILTERS, "paymentStatus": "payment_status"}


class AccountColumns(TmfResourceMixin):
    """Columns shared by the four account kinds."""

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    state: Mapped[str | None] = mapped_column(String(32))
    account_type: Mapped[str | None] = mapped_column(String(64))
    # First related party: "all accounts of this party" is the most frequent CRM query.
    owner_party_id: Mapped[str | None] = mapped_column(String(64), index=True)
    consolidated_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # 信用度 in fen; NULL means no limit was set (credit control applies its default).
    credit_limit_amount: Mapped[int | None] = mapped_column(BigInteger)
    # 押金: the sum of accountBalance entries of balanceType "deposit", in fen.
    deposit_amount: Mapped[int] = mapped_column(BigInteger, default=0)


class PartyAccountColumns(AccountColumns):
    """Columns of the accounts that receive bills or statements (billing, party, settlement)."""

    payment_status: Mapped[str | None] = mapped_column(String(32))
    # cash | bank_collection (托收) | online
    payment_method: Mapped[str] = mapped_column(String(32), default="cash")
    cycle_specification_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # 帐期起始日: the day of the month (1-28) on which this account's billing period starts.
    bill_cycle_day: Mapped[int] = mapped_column(Integer, default=1)
    bill_format_id: Mapped[str | None] = mapped_column(String(64), index=True)
    bill_language: Mapped[str] = mapped_column(String(8), default="zh-CN")


class FinancialAccount(AccountColumns, Base):
    """A receivable/payable account aggregating the party accounts of one party (A/R)."""

    __tablename__ = "account_financial"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = ACCOUNT_FILTERS

    parent_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_financial.id"), index=True
    )


class BillingAccount(PartyAccountColumns, Base):
    """帐户: the account that receives a customer's bill and is credit-controlled."""

    __tablename__ = "account_billing"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = PARTY_ACCOUNT_FILTERS

    parent_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_billing.id"), index=True
    )
    financial_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_financial.id"), index=True
    )


class PartyAccount(PartyAccountColumns, Base):
    """An account of an agent or partner (commissions, channel fees)."""

    __tablename__ = "account_party"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = PARTY_ACCOUNT_FILTERS

    parent_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_party.id"), index=True
    )
    financial_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_financial.id"), index=True
    )


class SettlementAccount(PartyAccountColumns, Base):
    """An account settled with a partner: SP/CP revenue share or another carrier's interconnect."""

    __tablename__ = "account_settlement"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = PARTY_ACCOUNT_FILTERS

    parent_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_settlement.id"), index=True
    )
    financial_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account_financial.id"), index=True
    )


class BillFormat(TmfResourceMixin, Base):
    __tablename__ = "account_bill_format"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id", "name": "name"}

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    # zh-CN | en: the language the bill is printed in (an extension attribute ``language``).
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")


class BillPresentationMedia(TmfResourceMixin, Base):
    __tablename__ = "account_bill_presentation_media"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id", "name": "name"}

    name: Mapped[str | None] = mapped_column(String(256), index=True)


class BillingCycleSpecification(TmfResourceMixin, Base):
    __tablename__ = "account_billing_cycle_spec"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "frequency": "frequency",
    }

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    frequency: Mapped[str | None] = mapped_column(String(32))
    billing_date_shift: Mapped[int | None] = mapped_column(Integer)


PARTY_ACCOUNT_MODELS: tuple[type[BillingAccount | PartyAccount | SettlementAccount], ...] = (
    BillingAccount,
    PartyAccount,
    SettlementAccount,
)
