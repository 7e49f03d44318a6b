"""Queries over TMF resource rows, always scoped to what the caller may see."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Boolean, ColumnElement, Select, String, func, or_, select
from sqlalchemy.orm import Session

from openbss.kit.errors import BadRequest
from openbss.kit.pagination import Page, PageRequest
from openbss.kit.security import Principal
from openbss.kit.tmf import (
    JSON,
    LIKE_ESCAPE,
    LIKE_OPERATOR,
    filter_values,
    has_control_characters,
    like_pattern,
    matches,
)
from openbss.resources.models import TmfResourceMixin

M = TypeVar("M", bound=TmfResourceMixin)


def _boolean(attribute: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise BadRequest(f"'{attribute}' filters on true or false, got {value!r}")
    return lowered == "true"


def column_condition(
    model: type[Any], column_name: str, attribute: str, values: list[str]
) -> ColumnElement[bool]:
    """``attribute=v1,v2`` on a typed column; a boolean column takes ``true``/``false``."""
    column = getattr(model, column_name)
    wanted: list[Any] = filter_values(values)
    if isinstance(column.type, Boolean):
        wanted = [_boolean(attribute, value) for value in wanted]
    condition: ColumnElement[bool] = column.in_(wanted)
    return condition


def like_condition(model: type[Any], attribute: str, values: list[str]) -> ColumnElement[bool]:
    """``attribute.like=郭*,*伟``: case-insensitive pattern match on a typed text column (a
    trigram index serves it on PostgreSQL); comma means OR as for ``attribute=value``."""
    base = attribute.removesuffix(LIKE_OPERATOR)
    texts = {
        name: getattr(model, column)
        for name, column in model.FILTER_COLUMNS.items()
        if isinstance(getattr(model, column).type, String)
    }
    column = texts.get(base)
    if column is None:
        raise BadRequest(f"'{attribute}': pattern filters apply to {', '.join(sorted(texts))}")
    wanted = [v for v in filter_values(values) if v.strip()]
    if any(has_control_characters(v) for v in wanted):
        raise BadRequest(f"'{attribute}': control characters are not allowed")
    patterns = [like_pattern(v) for v in wanted]
    if not patterns:
        raise BadRequest(f"'{attribute}' needs a pattern, e.g. {base}{LIKE_OPERATOR}=郭*")
    return or_(*(column.ilike(p, escape=LIKE_ESCAPE) for p in patterns))


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

    def get(
        self, session: Session, principal: Principal, resource_id: str, *, lock: bool = False
    ) -> M | None:
        """The row if the caller may see it. ``lock`` takes its row lock (PostgreSQL's
        ``FOR UPDATE``) so that a read-modify-write cannot interleave with another one."""
        row = session.get(self.model, resource_id, with_for_update=True if lock else None)
        if row is None or not principal.can_see(row.province):
            return None
        return row

    def list(
        self,
        session: Session,
        principal: Principal,
        filters: Mapping[str, list[str]],
        page: PageRequest,
        document: Callable[[M], JSON] | None = None,
    ) -> Page[M]:
        """Filters on a typed column run in SQL; filters on any other attribute match the
        row's JSON: ``document(row)`` when given (a rendered resource), else the stored one."""
        statement = self.scoped(principal)
        rest: dict[str, list[str]] = {}
        for attribute, values in filters.items():
            if attribute.endswith(LIKE_OPERATOR):
                statement = statement.where(like_condition(self.model, attribute, values))
                continue
            column_name = self.model.FILTER_COLUMNS.get(attribute)
            if column_name is None:
                rest[attribute] = values
                continue
            statement = statement.where(
                column_condition(self.model, column_name, attribute, values)
            )
        statement = statement.order_by(self.model.created_at, self.model.id)
        if not rest:
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            rows = session.scalars(statement.offset(page.offset).limit(page.limit)).all()
            return Page(items=list(rows), total=total, offset=page.offset)
        json_of = document or (lambda row: row.doc)
        matching = [row for row in session.scalars(statement) if matches(json_of(row), rest)]
        window = matching[page.offset : page.offset + page.limit]
        return Page(items=window, total=len(matching), offset=page.offset)

    def find_by(self, session: Session, principal: Principal, **columns: Any) -> Sequence[M]:
        statement = self.scoped(principal)
        for name, value in columns.items():
            statement = statement.where(getattr(self.model, name) == value)
        return session.scalars(statement).all()
