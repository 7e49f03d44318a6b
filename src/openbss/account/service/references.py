"""Checks of what an account points at: parties, accounts and bill reference data.

Every reference must name a row that exists and that an account of the account's province may
use — a row of the same province, or group-owned reference data — otherwise 422
``UNKNOWN_REFERENCE`` and nothing is written. Missing ``name`` / ``@referredType`` on a valid
reference are filled in from the row it names, so that stored documents are self-describing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openbss.account import repository
from openbss.account.calculations import bill_cycle_day, is_monthly
from openbss.account.models import BillFormat, BillingCycleSpecification, BillPresentationMedia
from openbss.kit.errors import Unprocessable
from openbss.kit.security import Principal
from openbss.party.public import Individual, find_party
from openbss.resources.models import TmfResourceMixin

LANGUAGES = frozenset({"zh-CN", "en"})
DEFAULT_LANGUAGE = "zh-CN"


def unknown(what: str, resource_id: str) -> Unprocessable:
    return Unprocessable(
        f"{what} {resource_id!r} does not exist or is not visible to this province",
        code="UNKNOWN_REFERENCE",
    )


def party_name(doc: dict[str, Any]) -> str | None:
    if doc.get("tradingName"):
        return str(doc["tradingName"])
    full = doc.get("fullName") or f"{doc.get('familyName', '')}{doc.get('givenName', '')}"
    return str(full) or None


def check_party(
    session: Session, principal: Principal, ref: dict[str, Any], province: str | None
) -> str:
    """Resolve one ``relatedParty`` entry to an individual or organization; its type name."""
    party = find_party(session, principal, ref["id"])
    if party is None or party.province not in (None, province):
        raise unknown("party", ref["id"])
    actual = "Individual" if isinstance(party, Individual) else "Organization"
    referred = ref.get("@referredType")
    if referred not in (None, actual, "Party"):
        raise Unprocessable(
            f"party {ref['id']!r} is an {actual}, not {referred!r}", code="REFERRED_TYPE_MISMATCH"
        )
    ref["@referredType"] = actual
    if not ref.get("name"):
        name = party_name(party.doc)
        if name:
            ref["name"] = name
    return actual


def check_parties(
    session: Session,
    principal: Principal,
    doc: dict[str, Any],
    province: str | None,
    *,
    organization_required: bool = False,
) -> None:
    """``relatedParty`` and each contact's party must exist; settlement needs an organization."""
    parties = doc.get("relatedParty") or []
    kinds = [check_party(session, principal, ref, province) for ref in parties]
    for contact in doc.get("contact") or []:
        if contact.get("relatedParty"):
            check_party(session, principal, contact["relatedParty"], province)
    if organization_required and "Organization" not in kinds:
        raise Unprocessable(
            "a settlement account is held with a partner or another carrier: relatedParty must "
            "include an Organization",
            code="ORGANIZATION_REQUIRED",
        )


def _reference_row(
    session: Session,
    model: type[TmfResourceMixin],
    what: str,
    ref: dict[str, Any],
    province: str | None,
) -> Any:
    """The row a ``...RefOrValue`` names, or None for a value; marks ``isRef``."""
    ref_id = ref.get("id")
    if ref_id is None:
        if ref.get("isRef") is True:
            raise Unprocessable(f"{what}: a reference (isRef true) needs an id")
        if not ref.get("name"):
            raise Unprocessable(f"{what}: a value (no id) needs a name")
        ref.setdefault("isRef", False)
        return None
    row = repository.visible_row(session, model, ref_id, province)
    if row is None:
        raise unknown(what, ref_id)
    ref.setdefault("isRef", True)
    if not ref.get("name") and row.doc.get("name"):
        ref["name"] = row.doc["name"]
    return row


def check_cycle_specification(session: Session, ref: dict[str, Any], province: str | None) -> None:
    """Resolve ``billStructure.cycleSpecification`` and pin its ``billingDateShift`` on the ref.

    The account keeps the shift it was given (copied from the specification it references) so
    that its bill cycle day can be derived from its own document; a specification in use
    cannot change its shift (see the specification service), so the copy never goes stale.
    """
    what = "billStructure.cycleSpecification"
    spec = _reference_row(session, BillingCycleSpecification, what, ref, province)
    given = ref.get("billingDateShift", ref.get("dateShift"))
    if spec is None:
        frequency = ref.get("frequency")
    else:
        frequency = spec.frequency
        actual = spec.billing_date_shift or 0
        if given is not None and given != actual:
            raise Unprocessable(
                f"{what}.billingDateShift {given} differs from the referenced specification's "
                f"{actual}",
                code="REFERENCE_MISMATCH",
            )
        given = actual
    if not is_monthly(frequency):
        raise Unprocessable(
            f"{what}: account bills run monthly; frequency {frequency!r} is not supported",
            code="UNSUPPORTED_BILL_CYCLE",
        )
    bill_cycle_day(given)
    ref["billingDateShift"] = given or 0


def check_language(language: object, attribute: str) -> str:
    if language is None:
        return DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise Unprocessable(
            f"{attribute} must be one of {', '.join(sorted(LANGUAGES))}, got {language!r}",
            code="UNSUPPORTED_LANGUAGE",
        )
    return str(language)


def check_bill_format(session: Session, ref: dict[str, Any], province: str | None) -> None:
    """Resolve ``billStructure.format``; the bill language comes from the format."""
    what = "billStructure.format"
    row = _reference_row(session, BillFormat, what, ref, province)
    if row is None:
        check_language(ref.get("language"), f"{what}.language")
        return
    if ref.get("language") not in (None, row.language):
        raise Unprocessable(
            f"{what}.language {ref['language']!r} differs from the referenced format's "
            f"{row.language!r}",
            code="REFERENCE_MISMATCH",
        )
    ref["language"] = row.language


def check_bill_structure(session: Session, doc: dict[str, Any], province: str | None) -> None:
    structure = doc.get("billStructure")
    if not structure:
        return
    if structure.get("cycleSpecification"):
        check_cycle_specification(session, structure["cycleSpecification"], province)
    if structure.get("format"):
        check_bill_format(session, structure["format"], province)
    for medium in structure.get("presentationMedia") or []:
        _reference_row(
            session, BillPresentationMedia, "billStructure.presentationMedia", medium, province
        )
