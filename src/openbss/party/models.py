"""Parties (TMF632): individuals and organizations."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.resources.models import TmfResourceMixin


class Individual(TmfResourceMixin, Base):
    __tablename__ = "party_individual"
    __table_args__ = (UniqueConstraint("province", "resident_id_number"),)
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "familyName": "family_name",
        "givenName": "given_name",
        "status": "status",
    }

    family_name: Mapped[str | None] = mapped_column(String(128), index=True)
    given_name: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(32))
    # 身份证 number, kept in a column so that one person is registered once per province.
    resident_id_number: Mapped[str | None] = mapped_column(String(18))


class Organization(TmfResourceMixin, Base):
    __tablename__ = "party_organization"
    __table_args__ = (UniqueConstraint("province", "credit_code"),)
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "tradingName": "trading_name",
        "name": "name",
        "status": "status",
    }

    trading_name: Mapped[str | None] = mapped_column(String(256), index=True)
    name: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str | None] = mapped_column(String(32))
    # 统一社会信用代码, one organization per code per province.
    credit_code: Mapped[str | None] = mapped_column(String(18))
