"""Tables of partners, their contracts and the partnership specifications that define them.

A partner is a TMF669 ``PartyRole``: the row keeps the TMF document in ``doc`` and, derived
from it on every write, the typed columns settlement selects on — the partner's kind (carrier,
SP, CP, roaming, agent, retail hall, province), its code (carrier code, SP enterprise code,
TADIG, agent code, province code), the party it is (TMF632) and its settlement account
(TMF666). A party role without a ``partnerKind`` characteristic is a plain role (``kind``
NULL) and is not a settlement partner.

A contract is not a TMF resource: it is the dated terms settlement applies (revenue share,
commission rules), written by finance through the service and read through the public face.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base, ProvinceMixin, TimestampMixin
from openbss.resources.models import TmfResourceMixin

# Plain JSON (not JSONB): short lists read whole, never queried inside.
JSONList = JSON()


class SettlementPartner(TmfResourceMixin, Base):
    __tablename__ = "settlement_partner"
    __table_args__ = (Index("ix_settlement_partner_kind_code", "kind", "code"),)
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "status": "status",
    }

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    status: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32))
    party_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tadig: Mapped[str | None] = mapped_column(String(5), index=True)
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    service_codes: Mapped[list[str]] = mapped_column(JSONList, default=list)
    access_numbers: Mapped[list[str]] = mapped_column(JSONList, default=list)
    settlement_account_id: Mapped[str | None] = mapped_column(String(64), index=True)


class SettlementContract(ProvinceMixin, TimestampMixin, Base):
    """The terms of one kind (``revenue_share``, ``commission``, ``interconnect``…) agreed with
    a partner from ``valid_from`` until ``valid_to`` (exclusive; NULL = open-ended)."""

    __tablename__ = "settlement_contract"
    __table_args__ = (Index("ix_settlement_contract_partner_kind", "partner_id", "kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("settlement_partner.id"))
    kind: Mapped[str] = mapped_column(String(32))
    terms: Mapped[dict[str, Any]] = mapped_column()
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")


class PartnershipSpecification(TmfResourceMixin, Base):
    """TMF668: a kind of partnership (carrier interconnect, SP/CP, roaming, channel) and the
    roles its partners play."""

    __tablename__ = "settlement_partnership_spec"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id", "name": "name"}

    name: Mapped[str | None] = mapped_column(String(256), index=True)


class Partnership(TmfResourceMixin, Base):
    """TMF668: one partnership of a specification, naming its partners."""

    __tablename__ = "settlement_partnership"
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id", "name": "name"}

    name: Mapped[str | None] = mapped_column(String(256), index=True)
    specification_id: Mapped[str | None] = mapped_column(String(64), index=True)
