"""Bill reference data: bill formats, presentation media and billing cycle specifications.

Reference data is written by admins and read by every role. It is not province-owned: a
group key writes the group's shared catalogue (province NULL, visible everywhere, read-only
to provinces), a province admin may add its own. Accounts copy what their bill depends on
(the cycle's ``billingDateShift``, the format's ``language``) into their own documents, so
while any account uses a row those attributes cannot change and the row cannot be deleted
(409 ``REFERENCE_IN_USE``): changing the cycle of existing accounts is a billing decision,
taken account by account, not a side effect of editing a catalogue entry.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from sqlalchemy.orm import Session

from openbss.account import repository
from openbss.account.calculations import bill_cycle_day, is_monthly
from openbss.account.models import BillFormat, BillingCycleSpecification, BillPresentationMedia
from openbss.account.schemas import (
    BillFormatSchema,
    BillingCycleSpecificationSchema,
    BillPresentationMediaSchema,
)
from openbss.account.service.common import API, API_PATH
from openbss.account.service.references import DEFAULT_LANGUAGE, check_language
from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON
from openbss.resources.models import TmfResourceMixin
from openbss.resources.service import ALL_ROLES, ResourceService
from openbss.resources.validation import check_period

R = TypeVar("R", bound=TmfResourceMixin)

ADMINS = frozenset({Role.ADMIN})
# Offsets are days within one billing period; the longest period we accept is a year.
MAX_OFFSET_DAYS = 366
OFFSETS = ("chargeDateOffset", "creditDateOffset", "mailingDateOffset", "paymentDueDateOffset")


def in_use(what: str, resource_id: str, users: int) -> Conflict:
    return Conflict(
        f"{what} {resource_id!r} is used by {users} account(s)", code="REFERENCE_IN_USE"
    )


class ReferenceDataService(ResourceService[R]):
    """What the three kinds share: who reads and writes them, and the refusal to delete (or
    change what accounts copied from) a row that accounts use."""

    api = API
    api_path = API_PATH
    read_roles = ALL_ROLES
    write_roles = ADMINS
    province_owned: ClassVar[bool] = False
    # The account column that refers to a row of this kind.
    account_column: ClassVar[str]

    def accounts_using(self, session: Session, resource_id: str) -> int:
        return repository.party_accounts_using(session, self.account_column, resource_id)

    def refuse_if_used(self, session: Session, resource_id: str) -> None:
        users = self.accounts_using(session, resource_id)
        if users:
            raise in_use(self.resource_type, resource_id, users)

    def before_delete(self, session: Session, principal: Principal, row: R) -> None:
        self.refuse_if_used(session, row.id)


class BillFormatService(ReferenceDataService[BillFormat]):
    model = BillFormat
    path = "billFormat"
    resource_type = "BillFormat"
    schema = BillFormatSchema
    account_column = "bill_format_id"

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: BillFormat | None
    ) -> JSON:
        self.check_schema(doc)
        language = check_language(doc.get("language"), "language")
        if existing is not None and language != existing.language:
            self.refuse_if_used(session, existing.id)
        return doc

    def apply_columns(self, row: BillFormat, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.language = doc.get("language") or DEFAULT_LANGUAGE


class BillPresentationMediaService(ReferenceDataService[BillPresentationMedia]):
    model = BillPresentationMedia
    path = "billPresentationMedia"
    resource_type = "BillPresentationMedia"
    schema = BillPresentationMediaSchema

    def accounts_using(self, session: Session, resource_id: str) -> int:
        # Accounts hold their media in a list, without a column.
        return repository.party_accounts_mentioning(session, resource_id)


class BillingCycleSpecificationService(ReferenceDataService[BillingCycleSpecification]):
    model = BillingCycleSpecification
    path = "billingCycleSpecification"
    resource_type = "BillingCycleSpecification"
    schema = BillingCycleSpecificationSchema
    account_column = "cycle_specification_id"

    def validate(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: BillingCycleSpecification | None,
    ) -> JSON:
        self.check_schema(doc)
        check_period(doc.get("validFor"))
        shift = doc.get("billingDateShift")
        if is_monthly(doc.get("frequency")):
            bill_cycle_day(shift)
        for offset in ("billingDateShift", *OFFSETS):
            if doc.get(offset) is not None and not 0 <= doc[offset] <= MAX_OFFSET_DAYS:
                raise Unprocessable(
                    f"{offset} must be a number of days from 0 to {MAX_OFFSET_DAYS}",
                    code="INVALID_OFFSET",
                )
        if existing is not None and (
            (shift or 0) != (existing.billing_date_shift or 0)
            or is_monthly(doc.get("frequency")) != is_monthly(existing.frequency)
        ):
            self.refuse_if_used(session, existing.id)
        return doc

    def apply_columns(self, row: BillingCycleSpecification, doc: JSON) -> None:
        super().apply_columns(row, doc)
        row.billing_date_shift = doc.get("billingDateShift")
