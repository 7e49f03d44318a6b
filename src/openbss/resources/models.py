from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import ProvinceMixin, TimestampMixin


class TmfResourceMixin(ProvinceMixin, TimestampMixin):
    """Columns every TMF resource row has.

    ``FILTER_COLUMNS`` maps TMF attribute names to column names: list filters on those
    attributes run in SQL (indexed); filters on any other attribute are applied to the
    document after the SQL query.
    """

    FILTER_COLUMNS: ClassVar[dict[str, str]] = {"id": "id"}

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    doc: Mapped[dict[str, Any]] = mapped_column()
