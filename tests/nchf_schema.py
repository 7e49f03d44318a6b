"""The 3GPP Nchf_ConvergedCharging OpenAPI (TS 32.291, with TS 29.571 common data) as JSON
Schema validators, and request bodies built from it — the tests' Nchf client."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

NCHF_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "testdata" / "nchf"
MAIN = "TS32291_Nchf_ConvergedCharging.yaml"
BASE = "https://nchf.invalid/"
FILES = (MAIN, "TS29571_CommonData.yaml")


def available() -> bool:
    return all((NCHF_DIR / name).is_file() for name in FILES)


@cache
def _registry() -> Registry:
    registry: Registry = Registry()
    for name in FILES:
        text = (NCHF_DIR / name).read_text(encoding="utf-8")
        # The 3GPP files indent some comment lines with tabs, which YAML forbids.
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        document = yaml.safe_load("\n".join(lines))
        registry = registry.with_resource(BASE + name, Resource(document, DRAFT4))
    return registry


@cache
def validator(schema: str, document: str = MAIN) -> Validator:
    """A validator of ``components/schemas/<schema>`` (OpenAPI 3.0 dialect: nullable...)."""
    ref = {"$ref": f"{BASE}{document}#/components/schemas/{schema}"}
    checker = OAS30Validator.FORMAT_CHECKER
    return OAS30Validator(ref, registry=_registry(), format_checker=checker)  # type: ignore[no-any-return]


def check(schema: str, body: Any, document: str = MAIN) -> None:
    """Raises jsonschema.ValidationError (with the path) when ``body`` breaks the schema."""
    validator(schema, document).validate(body)


def charging_data_request(
    sequence: int,
    *,
    msisdn: str = "8613800138000",
    rating_group: int = 100,
    requested_seconds: int | None = None,
    used_seconds: int | None = None,
    at: str = "2026-05-20T02:00:00Z",
) -> dict[str, Any]:
    """A ChargingDataRequest as an SMF/IMS would send it, checked against the schema."""
    usage: dict[str, Any] = {"ratingGroup": rating_group}
    if requested_seconds is not None:
        usage["requestedUnit"] = {"time": requested_seconds}
    if used_seconds is not None:
        usage["usedUnitContainer"] = [{"localSequenceNumber": 1, "time": used_seconds}]
    body = {
        "subscriberIdentifier": f"msisdn-{msisdn}",
        "nfConsumerIdentification": {
            "nodeFunctionality": "SMF",
            "nFName": "5d3f1e2a-0000-4000-8000-000000000001",
        },
        "invocationTimeStamp": at,
        "invocationSequenceNumber": sequence,
        "multipleUnitUsage": [usage],
    }
    check("ChargingDataRequest", body)
    return body
