"""Customers (TMF629): the commercial role a party plays towards the operator."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.resources.models import TmfResourceMixin


class Customer(TmfResourceMixin, Base):
    __tablename__ = "customer"
    # One customer per party per province: a party's services in a province are billed and
    # credit-controlled under one customer, with as many accounts as it needs below it.
    __table_args__ = (UniqueConstraint("province", "engaged_party_id"),)
    # ``category`` and ``creditClass`` are not top-level TMF attributes (they travel as
    # characteristics) but are offered as list filters because CSRs and credit control
    # select on them; they run in SQL on the typed columns.
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "name": "name",
        "status": "status",
        "engagedParty.id": "engaged_party_id",
        "category": "category",
        "creditClass": "credit_class",
    }

    name: Mapped[str] = mapped_column(String(256), index=True)
    status: Mapped[str] = mapped_column(String(32))
    engaged_party_id: Mapped[str] = mapped_column(String(64), index=True)
    # "Individual" or "Organization": what the engaged party is, checked on create.
    engaged_party_type: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))  # residential | business | government
    credit_class: Mapped[str | None] = mapped_column(String(1))  # A–D, None when unrated
