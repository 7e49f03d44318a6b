"""Pure rules of partners: what a party role's characteristics say about the partner.

A TMF669 ``PartyRole`` carries the partner's facts as characteristics, so that any TMF client
can read and write them without extension attributes:

| characteristic | meaning | e.g. |
|---|---|---|
| ``partnerKind`` | carrier, sp, cp, roaming, agent, retail, province | ``carrier`` |
| ``partnerCode`` | the partner's own code (SP enterprise, agent, province code) | ``901234`` |
| ``carrierCode`` | the carrier's code in interconnect data | ``CMCC`` |
| ``tadig`` | a roaming partner's GSMA TADIG code | ``HKGPP`` |
| ``serviceCodes`` | an SP/CP's service codes (a list) | ``["RBT01"]`` |
| ``accessNumbers`` | an SP/CP's access numbers (a list) | ``["12590"]`` |
| ``statementFormat`` / ``statementLanguage`` | statement preferences | ``csv``, ``en`` |

``partnerCode`` may be omitted when the kind's own code is given: a carrier is known by its
carrier code, a roaming partner by its TADIG code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openbss.kit.errors import Unprocessable


class PartnerKind(StrEnum):
    CARRIER = "carrier"
    SP = "sp"
    CP = "cp"
    ROAMING = "roaming"
    AGENT = "agent"
    RETAIL = "retail"
    PROVINCE = "province"


def partner_kind(value: object) -> PartnerKind:
    """``value`` as a partner kind, or a clear 422."""
    try:
        return PartnerKind(str(value))
    except ValueError:
        raise Unprocessable(
            f"partner kind {value!r} is unknown; expected one of "
            f"{', '.join(k.value for k in PartnerKind)}",
            code="INVALID_PARTNER",
        ) from None


KIND = "partnerKind"
CODE = "partnerCode"
CARRIER_CODE = "carrierCode"
TADIG = "tadig"
SERVICE_CODES = "serviceCodes"
ACCESS_NUMBERS = "accessNumbers"
STATEMENT_FORMAT = "statementFormat"
STATEMENT_LANGUAGE = "statementLanguage"
STATEMENT_FORMATS = frozenset({"csv", "pdf", "csv+pdf"})
STATEMENT_LANGUAGES = frozenset({"zh-CN", "en"})

# GSMA TD.13: three letters of the country (ISO 3166 alpha-3) and two of the operator.
TADIG_PATTERN = re.compile(r"^[A-Z]{3}[A-Z0-9]{2}$")
PROVINCE_CODE = re.compile(r"^[A-Z]{2,8}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
ACCESS_NUMBER_PATTERN = re.compile(r"^[0-9]{3,21}$")


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """The typed facts of a party role (all None/empty for a role that is not a partner)."""

    kind: PartnerKind | None
    code: str | None
    carrier_code: str | None
    tadig: str | None
    service_codes: tuple[str, ...]
    access_numbers: tuple[str, ...]


def characteristics(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``characteristic`` as a name → value mapping (the last one of a name wins)."""
    found: dict[str, Any] = {}
    for item in doc.get("characteristic") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found[item["name"]] = item.get("value")
    return found


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(
            f"characteristic {name!r} must be a non-empty string", code="INVALID_PARTNER"
        )
    return value.strip()


def _texts(values: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    value = values.get(name)
    if value is None:
        return ()
    items: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise Unprocessable(
            f"characteristic {name!r} must be a list of strings", code="INVALID_PARTNER"
        )
    cleaned: list[str] = []
    for item in items:
        if not isinstance(item, str) or not pattern.match(item.strip()):
            raise Unprocessable(
                f"characteristic {name!r}: {item!r} is not valid", code="INVALID_PARTNER"
            )
        if item.strip() not in cleaned:
            cleaned.append(item.strip())
    return tuple(cleaned)


def partner_facts(doc: Mapping[str, Any]) -> PartnerFacts:
    """Read and check the partner characteristics of a party role document."""
    values = characteristics(doc)
    raw_kind = values.get(KIND)
    if raw_kind is None:
        for name in (CODE, CARRIER_CODE, TADIG, SERVICE_CODES, ACCESS_NUMBERS):
            if values.get(name) is not None:
                raise Unprocessable(
                    f"characteristic {name!r} needs a {KIND!r} characteristic "
                    f"({', '.join(k.value for k in PartnerKind)})",
                    code="INVALID_PARTNER",
                )
        return PartnerFacts(None, None, None, None, (), ())
    try:
        kind = PartnerKind(raw_kind)
    except ValueError:
        raise Unprocessable(
            f"{KIND} {raw_kind!r} is unknown; expected one of "
            f"{', '.join(k.value for k in PartnerKind)}",
            code="INVALID_PARTNER",
        ) from None
    carrier_code = _text(values, CARRIER_CODE)
    tadig = _text(values, TADIG)
    if tadig is not None and not TADIG_PATTERN.match(tadig):
        raise Unprocessable(
            f"TADIG code {tadig!r} is not valid: three letters of the country and two of the "
            "operator, e.g. HKGPP",
            code="INVALID_PARTNER",
        )
    if kind is PartnerKind.ROAMING and tadig is None:
        raise Unprocessable("a roaming partner needs its TADIG code", code="INVALID_PARTNER")
    if kind is PartnerKind.CARRIER and carrier_code is None:
        raise Unprocessable("a carrier needs its carrier code", code="INVALID_PARTNER")
    code = _text(values, CODE) or (tadig if kind is PartnerKind.ROAMING else carrier_code)
    if code is None:
        raise Unprocessable(
            f"a partner of kind {kind.value!r} needs a {CODE!r}", code="INVALID_PARTNER"
        )
    if kind is PartnerKind.PROVINCE and not PROVINCE_CODE.match(code):
        raise Unprocessable(
            f"a province partner's code is its province code (e.g. SH), got {code!r}",
            code="INVALID_PARTNER",
        )
    for name, value in ((CODE, code), (CARRIER_CODE, carrier_code)):
        if value is not None and not CODE_PATTERN.match(value):
            raise Unprocessable(
                f"{name} {value!r} is not valid: up to 32 letters, digits, '.', '_' or '-'",
                code="INVALID_PARTNER",
            )
    statement_format = _text(values, STATEMENT_FORMAT)
    if statement_format is not None and statement_format not in STATEMENT_FORMATS:
        raise Unprocessable(
            f"{STATEMENT_FORMAT} {statement_format!r} is unknown; expected one of "
            f"{', '.join(sorted(STATEMENT_FORMATS))}",
            code="INVALID_PARTNER",
        )
    language = _text(values, STATEMENT_LANGUAGE)
    if language is not None and language not in STATEMENT_LANGUAGES:
        raise Unprocessable(
            f"{STATEMENT_LANGUAGE} {language!r} is unknown; expected zh-CN or en",
            code="INVALID_PARTNER",
        )
    return PartnerFacts(
        kind=kind,
        code=code,
        carrier_code=carrier_code,
        tadig=tadig,
        service_codes=_texts(values, SERVICE_CODES, CODE_PATTERN),
        access_numbers=_texts(values, ACCESS_NUMBERS, ACCESS_NUMBER_PATTERN),
    )


def partner_characteristics(
    kind: PartnerKind,
    code: str | None = None,
    *,
    carrier_code: str | None = None,
    tadig: str | None = None,
    service_codes: Sequence[str] = (),
    access_numbers: Sequence[str] = (),
    statement_format: str | None = None,
    statement_language: str | None = None,
) -> list[dict[str, Any]]:
    """The ``characteristic`` list of a partner's party role (used by seeds and tests)."""
    pairs: list[tuple[str, str, Any]] = [(KIND, "string", kind.value)]
    optional: list[tuple[str, str, Any]] = [
        (CODE, "string", code),
        (CARRIER_CODE, "string", carrier_code),
        (TADIG, "string", tadig),
        (SERVICE_CODES, "array", list(service_codes) or None),
        (ACCESS_NUMBERS, "array", list(access_numbers) or None),
        (STATEMENT_FORMAT, "string", statement_format),
        (STATEMENT_LANGUAGE, "string", statement_language),
    ]
    pairs += [item for item in optional if item[2] is not None]
    return [{"name": name, "valueType": kind_, "value": value} for name, kind_, value in pairs]


def in_force(valid_from: Any, valid_to: Any, day: Any) -> bool:
    """Whether a dated row applies on ``day`` (``valid_to`` exclusive, None = open-ended)."""
    return bool(valid_from <= day and (valid_to is None or day < valid_to))


def overlaps(a_from: Any, a_to: Any, b_from: Any, b_to: Any) -> bool:
    """Whether two half-open periods ``[from, to)`` share a day (None = open-ended)."""
    return bool((a_to is None or b_from < a_to) and (b_to is None or a_from < b_to))
