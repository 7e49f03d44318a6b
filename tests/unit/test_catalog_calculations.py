"""Pure catalog rules: lifecycle names, reference extraction, characteristics, service types."""

from __future__ import annotations

import pytest

from openbss.catalog.calculations import (
    LIFECYCLE,
    Reference,
    check_characteristics,
    check_service_type,
    duplicate_ids,
    normalise_lifecycle,
    references,
    self_references,
)
from openbss.catalog.errors import InvalidCharacteristic, UnknownServiceType
from openbss.kit.errors import Conflict, Unprocessable
from openbss.resources.validation import check_transition


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("In Design", "inDesign"),
        ("in_design", "inDesign"),
        ("ACTIVE", "active"),
        ("Launched", "launched"),
        ("inTest", "inTest"),
        ("bogus", "bogus"),
        (5, 5),
    ],
)
def test_normalise_lifecycle(given: object, stored: object) -> None:
    assert normalise_lifecycle(given) == stored


def test_lifecycle_table() -> None:
    check_transition("x", "lifecycleStatus", None, "inDesign", LIFECYCLE)
    check_transition("x", "lifecycleStatus", "inDesign", "active", LIFECYCLE)
    check_transition("x", "lifecycleStatus", "active", "retired", LIFECYCLE)
    with pytest.raises(Conflict):
        check_transition("x", "lifecycleStatus", "retired", "active", LIFECYCLE)
    with pytest.raises(Conflict):
        check_transition("x", "lifecycleStatus", None, "retired", LIFECYCLE)
    with pytest.raises(Unprocessable):
        check_transition("x", "lifecycleStatus", "active", "deleted", LIFECYCLE)


def test_references_of_an_offering() -> None:
    doc = {
        "productSpecification": {"id": "s1"},
        "bundledProductOffering": [{"id": "o1"}, {"id": "o2"}, {"name": "no id"}],
        "productOfferingPrice": [{"id": "p1"}],
        "category": [{"id": "c1"}],
        "channel": [{"id": "not ours"}],
    }
    assert references("ProductOffering", doc) == [
        Reference("productSpecification", "productSpecification", "s1"),
        Reference("bundledProductOffering", "productOffering", "o1"),
        Reference("bundledProductOffering", "productOffering", "o2"),
        Reference("productOfferingPrice", "productOfferingPrice", "p1"),
        Reference("category", "category", "c1"),
    ]
    assert references("Category", {"parentId": "c0", "subCategory": [{"id": "c2"}]}) == [
        Reference("parentId", "category", "c0"),
        Reference("subCategory", "category", "c2"),
    ]
    refs = references("ProductOffering", {"bundledProductOffering": [{"id": "a"}, {"id": "a"}]})
    assert duplicate_ids(refs, "bundledProductOffering") == ["a"]
    assert self_references("a", refs) == refs
    assert self_references(None, refs) == []


def test_characteristics_and_service_types() -> None:
    check_characteristics([{"name": "phoneNumber", "valueType": "string"}, {"name": "x"}])
    check_characteristics(None)
    for bad in (
        [{"valueType": "string"}],
        [{"name": " "}],
        [{"name": "a"}, {"name": "a"}],
        [{"name": "a", "valueType": "colour"}],
        [{"name": "a", "minCardinality": 2, "maxCardinality": 1}],
        [{"name": "a", "productSpecCharacteristicValue": [{"valueType": "blob"}]}],
    ):
        with pytest.raises(InvalidCharacteristic):
            check_characteristics(bad)
    for known in ("fixedVoice", "broadband", "phs", "vas", "mobile", None):
        check_service_type(known)
    with pytest.raises(UnknownServiceType):
        check_service_type("gsm")
