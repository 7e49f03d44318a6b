"""Pure catalog rules: lifecycle states, references between catalog resources, characteristics.

No database and no framework here, so the rules are unit-tested on plain data; the services
(catalog/service/) call these functions and look the references up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openbss.catalog.errors import InvalidCharacteristic, UnknownServiceType

# ----- lifecycle ----------------------------------------------------------------------------

# TMF620 names the lifecycle "In Study, In Design, In Test, Active, Launched, Retired, Obsolete,
# Rejected"; the API stores the camelCase form and accepts the spelled-out one.
LIFECYCLE_STATES = (
    "inStudy",
    "inDesign",
    "inTest",
    "active",
    "launched",
    "retired",
    "obsolete",
    "rejected",
)
DEFAULT_LIFECYCLE = "inDesign"
# Only these may be ordered; an offering in them may only sell things that are too.
SELLABLE = frozenset({"active", "launched"})
# An offering's paymentMode (extension attribute): how its products are charged.
POSTPAID = "postpaid"
PREPAID = "prepaid"
PAYMENT_MODES = frozenset({POSTPAID, PREPAID})
# Deleting a sellable resource would break orders in flight: retire it instead.
UNDELETABLE = SELLABLE

LIFECYCLE: dict[str | None, frozenset[str]] = {
    None: frozenset({"inStudy", "inDesign", "inTest", "active", "launched"}),
    "inStudy": frozenset({"inDesign", "rejected"}),
    "inDesign": frozenset({"inStudy", "inTest", "active", "rejected"}),
    "inTest": frozenset({"inDesign", "active", "rejected"}),
    "active": frozenset({"launched", "retired"}),
    "launched": frozenset({"retired"}),
    "retired": frozenset({"obsolete"}),
    "obsolete": frozenset(),
    "rejected": frozenset(),
}

_CANONICAL = {state.lower(): state for state in LIFECYCLE_STATES}


def normalise_lifecycle(value: Any) -> Any:
    """``"In Design"``, ``"in_design"`` and ``"INDESIGN"`` → ``"inDesign"``; others unchanged.

    Unknown values are returned as given so that the transition check names them (422).
    """
    if not isinstance(value, str):
        return value
    key = re.sub(r"[\s_\-]", "", value).lower()
    return _CANONICAL.get(key, value)


# ----- references ---------------------------------------------------------------------------

SPECIFICATION = "productSpecification"
OFFERING = "productOffering"
PRICE = "productOfferingPrice"
CATEGORY = "category"


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference from a catalog document to another catalog resource."""

    attribute: str  # where it sits in the document, e.g. "bundledProductOffering"
    target: str  # the kind of resource it names, e.g. "productOffering"
    id: str


# (attribute, target kind, is a list) per resource type. Only references to resources this
# API serves are checked; serviceSpecification, resourceSpecification, party, channel, place…
# belong to other APIs and are accepted as given.
REFERENCE_ATTRIBUTES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "Catalog": (("category", CATEGORY, True),),
    "Category": (
        ("subCategory", CATEGORY, True),
        ("productOffering", OFFERING, True),
    ),
    "ProductSpecification": (
        ("bundledProductSpecification", SPECIFICATION, True),
        ("productSpecificationRelationship", SPECIFICATION, True),
    ),
    "ProductOffering": (
        ("productSpecification", SPECIFICATION, False),
        ("bundledProductOffering", OFFERING, True),
        ("productOfferingPrice", PRICE, True),
        ("category", CATEGORY, True),
        ("productOfferingRelationship", OFFERING, True),
    ),
    "ProductOfferingPrice": (
        ("bundledPopRelationship", PRICE, True),
        ("popRelationship", PRICE, True),
    ),
}


def references(resource_type: str, doc: Mapping[str, Any]) -> list[Reference]:
    """Every reference to a catalog resource that ``doc`` holds, in document order."""
    found: list[Reference] = []
    if resource_type == "Category" and isinstance(doc.get("parentId"), str):
        found.append(Reference("parentId", CATEGORY, doc["parentId"]))
    for attribute, target, is_list in REFERENCE_ATTRIBUTES.get(resource_type, ()):
        value = doc.get(attribute)
        items = value if is_list and isinstance(value, list) else [value] if value else []
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                found.append(Reference(attribute, target, item["id"]))
    return found


def self_references(resource_id: str | None, refs: list[Reference]) -> list[Reference]:
    """References of a resource to itself (a bundle containing itself, a category its parent)."""
    return [r for r in refs if resource_id is not None and r.id == resource_id]


def duplicate_ids(refs: list[Reference], attribute: str) -> list[str]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for ref in refs:
        if ref.attribute != attribute:
            continue
        if ref.id in seen:
            duplicates.append(ref.id)
        seen.add(ref.id)
    return duplicates


# ----- service types and characteristics ----------------------------------------------------

# The operator's lines of business (CTG-MBOSS product management): each product
# specification belongs to one, which tells ordering and provisioning what to build.
SERVICE_TYPES = frozenset({"fixedVoice", "broadband", "phs", "vas", "mobile"})

CHARACTERISTIC_VALUE_TYPES = frozenset(
    {
        "string",
        "integer",
        "number",
        "decimal",
        "boolean",
        "date",
        "dateTime",
        "time",
        "duration",
        "object",
        "array",
        "quantity",
        "money",
        "url",
    }
)


def check_service_type(value: Any) -> None:
    if value is not None and value not in SERVICE_TYPES:
        raise UnknownServiceType(
            f"serviceType {value!r} is unknown; expected one of {', '.join(sorted(SERVICE_TYPES))}"
        )


def check_characteristics(items: list[Mapping[str, Any]] | None) -> None:
    """productSpecCharacteristic: a name, a known valueType, unique names, sane cardinality."""
    names: set[str] = set()
    for position, item in enumerate(items or []):
        where = f"productSpecCharacteristic[{position}]"
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidCharacteristic(f"{where}: 'name' is required")
        if name in names:
            raise InvalidCharacteristic(f"{where}: the name {name!r} is used twice")
        names.add(name)
        _check_value_type(item.get("valueType"), f"{where}.valueType")
        low, high = item.get("minCardinality"), item.get("maxCardinality")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            raise InvalidCharacteristic(f"{where}: minCardinality is above maxCardinality")
        for index, value in enumerate(item.get("productSpecCharacteristicValue") or []):
            if isinstance(value, Mapping):
                _check_value_type(
                    value.get("valueType"), f"{where}.productSpecCharacteristicValue[{index}]"
                )


def _check_value_type(value_type: Any, where: str) -> None:
    if value_type is None:
        return
    if value_type not in CHARACTERISTIC_VALUE_TYPES:
        known = ", ".join(sorted(CHARACTERISTIC_VALUE_TYPES))
        raise InvalidCharacteristic(f"{where}: valueType {value_type!r} is unknown; use {known}")
