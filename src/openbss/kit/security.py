"""Who is calling: roles, the authenticated principal and province scope."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openbss.kit.errors import Forbidden, Unprocessable


class Role(StrEnum):
    CSR = "csr"
    BILLING_OPERATOR = "billing_operator"
    FINANCE = "finance"
    ANALYST = "analyst"
    PARTNER = "partner"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``province`` is None for a group-level (集团) key, which sees every province; a province
    key sees its own province's rows and the group's shared rows (e.g. the master catalog).
    """

    key_id: str
    role: Role
    province: str | None

    @property
    def is_group(self) -> bool:
        return self.province is None

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"role '{self.role.value}' may not do this (allowed: {allowed})")

    def can_see(self, province: str | None) -> bool:
        """Whether a row owned by ``province`` (None = group-owned) is visible."""
        return self.province is None or province is None or province == self.province

    def acting_province(self, what: str) -> str:
        """The province a request acts in: the key's own, or the one a group key names with
        the ``X-Province`` header (the API turns it into a principal of that province)."""
        if self.province is None:
            raise Unprocessable(
                f"{what} belongs to a province: a group-level key must name it with the "
                "X-Province header",
                code="PROVINCE_REQUIRED",
            )
        return self.province

    def owning_province(self, requested: str | None) -> str | None:
        """The province a new row belongs to; a province key cannot write elsewhere."""
        if self.province is None:
            return requested
        if requested is not None and requested != self.province:
            raise Forbidden(
                f"a key of province {self.province} cannot create data for province {requested}"
            )
        return self.province


SYSTEM = Principal(key_id="system", role=Role.ADMIN, province=None)
"""The principal of trusted internal jobs (seeding, migrations)."""
