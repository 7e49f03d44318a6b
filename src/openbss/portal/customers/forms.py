"""The registration forms: field rules here, identity checksums from ``openbss.party``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from openbss.kit.errors import OpenBSSError
from openbss.party.identity import normalise_identifier, resident_id_problem, uscc_problem
from openbss.portal.core.forms import FieldErrors
from openbss.portal.core.messages import localise
from openbss.resources.validation import normalise_cn_phone

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
LongName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class IndividualForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    family_name: Name
    given_name: Name
    resident_id: Required
    mobile: Required
    address: Text = ""


class OrganizationForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: LongName
    credit_code: Required
    phone: Required
    address: Text = ""


def resident_id_error(value: str, language: str) -> str | None:
    problem = resident_id_problem(value)
    return None if problem is None else localise("INVALID_RESIDENT_ID", 422, problem, language)


def credit_code_error(value: str, language: str) -> str | None:
    problem = uscc_problem(value)
    return None if problem is None else localise("INVALID_CREDIT_CODE", 422, problem, language)


def phone_error(value: str, language: str) -> str | None:
    try:
        normalise_cn_phone(value)
    except OpenBSSError as error:
        return localise("INVALID_CONTACT_MEDIUM", error.status, error.message, language)
    return None


# The inline checks the form runs as the user leaves a field (and again on submit).
CHECKS = {
    "resident_id": resident_id_error,
    "credit_code": credit_code_error,
    "mobile": phone_error,
    "phone": phone_error,
}

# Which field a service's refusal concerns.
FIELD_OF_CODE = {
    "INVALID_RESIDENT_ID": "resident_id",
    "DUPLICATE_RESIDENT_ID": "resident_id",
    "INVALID_CREDIT_CODE": "credit_code",
    "DUPLICATE_CREDIT_CODE": "credit_code",
}


def check_fields(values: dict[str, str], fields: tuple[str, ...], language: str) -> FieldErrors:
    errors: FieldErrors = {}
    for name in fields:
        check = CHECKS.get(name)
        if check is not None and values.get(name):
            message = check(values[name], language)
            if message:
                errors[name] = message
    return errors


def _address(address: str) -> list[dict[str, Any]]:
    if not address:
        return []
    return [
        {"mediumType": "postalAddress", "characteristic": {"street1": address, "country": "CN"}}
    ]


def individual_body(form: IndividualForm) -> dict[str, Any]:
    return {
        "familyName": form.family_name,
        "givenName": form.given_name,
        "fullName": form.family_name + form.given_name,
        "nationality": "CN",
        "individualIdentification": [
            {
                "identificationType": "ResidentIdentityCard",
                "identificationId": normalise_identifier(form.resident_id),
            }
        ],
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {"contactType": "mobile", "phoneNumber": form.mobile},
            },
            *_address(form.address),
        ],
    }


def organization_body(form: OrganizationForm) -> dict[str, Any]:
    return {
        "tradingName": form.name,
        "name": form.name,
        "isLegalEntity": True,
        "organizationType": "company",
        "organizationIdentification": [
            {
                "identificationType": "UnifiedSocialCreditCode",
                "identificationId": normalise_identifier(form.credit_code),
            }
        ],
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {"contactType": "office", "phoneNumber": form.phone},
            },
            *_address(form.address),
        ],
    }


def customer_body(party_id: str, party_type: str, name: str, category: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": "active",
        "engagedParty": {"id": party_id, "@referredType": party_type, "name": name},
        "characteristic": [{"name": "customerCategory", "value": category}],
    }
