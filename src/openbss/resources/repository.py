"""Queries over TMF resource rows, always scoped to what the caller may see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from openbss.kit.pagination import Page, PageRequest
from openbss.kit.security import Principal
from openbss.kit.tmf import filter_values, matches
from openbss.resources.models import TmfResourceMixin

M = TypeVar("M", bound=TmfResourceMixin)


class ResourceRepository(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model

    def _visible(self, principal: Principal) -> ColumnElement[bool] | None:
        if principal.is_group:
            return None
        column = self.model.province
        return or_(column.is_(None), column == principal.province)

    def scoped(self, principal: Principal) -> Select[Any]:
        statement = select(self.model)
        condition = self._visible(principal)
        return statement if condition is None else statement.where(condition)

    def get(self, session: Session, principal: Principal, resource_id: str) -> M | None:
        row = session.get(self.model, resource_id)
        if row is None or not principal.can_see(row.province):
            return None
        return row

    def list(
        self,
        session: Session,
        principal: Principal,
        filters: Mapping[str, list[str]],
        page: PageRequest,
    ) -> Page[M]:
        statement = self.scoped(principal)
        rest: dict[str, list[str]] = {}
        for attribute, values in filters.items():
            column_name = self.model.FILTER_COLUMNS.get(attribute)
            if column_name is None:
                rest[attribute] = values
                continue
            wanted = filter_values(values)
            statement = statement.where(getattr(self.model, column_name).in_(wanted))
        statement = statement.order_by(self.model.created_at, self.model.id)
        if not rest:
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            rows = session.scalars(statement.offset(page.offset).limit(page.limit)).all()
            return Page(items=list(rows), total=total, offset=page.offset)
        matching = [row for row in session.scalars(statement) if matches(row.doc, rest)]
        window = matching[page.offset : page.offset + page.limit]
        return Page(items=window, total=len(matching), offset=page.offset)

    def find_by(self, session: Session, principal: Principal, **columns: Any) -> Sequence[M]:
        statement = self.scoped(principal)
        for name, value in columns.items():
            statement = statement.where(getattr(self.model, name) == value)
        return session.scalars(statement).all()
