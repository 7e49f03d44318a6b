"""Input limits: what a request body may hold, checked before any work is done.

Pure functions over bytes and parsed JSON; the API applies them to every JSON body (its
``limits`` middleware) and the figures are documented in docs/security.md ("Limits").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openbss.kit.errors import BadRequest

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: a TMF resource is a few KiB
MAX_DEPTH = 32  # objects and lists nested in one another
MAX_STRING_CHARS = 10_000  # any string value or object key
MAX_LIST_ITEMS = 1_000  # any list, unless LIST_LIMITS says less
MAX_OBJECT_KEYS = 1_000  # attributes of one object

# Tighter bounds for lists whose meaning caps them: a party has a handful of contact media,
# an order a few hundred items. Keyed by attribute name, wherever it appears in a body.
LIST_LIMITS: Mapping[str, int] = {
    "contactMedium": 50,
    "individualIdentification": 20,
    "organizationIdentification": 20,
    "relatedParty": 100,
    "partyCharacteristic": 100,
    "externalReference": 50,
    "accountRelationship": 100,
    "paymentPlan": 50,
    "productOrderItem": 500,
    "note": 100,
}


class BodyLimitExceeded(BadRequest):
    code = "LIMIT_EXCEEDED"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_body(raw: bytes) -> Any:
    """Parse a request body strictly: no NaN/Infinity, bounded nesting, bounded sizes."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyLimitExceeded(
            f"the request body nests more than {MAX_DEPTH} levels deep"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(
            f"the request body is not valid JSON: {exc}", code="MALFORMED_JSON"
        ) from None
    except ValueError as exc:  # a refused constant
        raise BadRequest(
            f"the request body is not valid JSON: {exc}", code="MALFORMED_JSON"
        ) from None
    problem = json_limit_problem(value)
    if problem is not None:
        raise BodyLimitExceeded(problem)
    return value


def json_limit_problem(value: Any) -> str | None:
    """The first limit ``value`` breaks, as a message naming where, or None."""
    # Iterative, so that checking a deep document cannot itself overflow the stack.
    stack: list[tuple[Any, str, int, str | None]] = [(value, "body", 1, None)]
    while stack:
        item, where, depth, attribute = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_STRING_CHARS:
                return f"{where}: a string of {len(item)} characters (at most {MAX_STRING_CHARS})"
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            return f"{where}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, list):
            bound = LIST_LIMITS.get(attribute or "", MAX_LIST_ITEMS)
            if len(item) > bound:
                return f"{where}: {len(item)} items (at most {bound})"
            stack.extend((element, f"{where}[{i}]", depth + 1, None) for i, element in
                         enumerate(item))  # fmt: skip
            continue
        if len(item) > MAX_OBJECT_KEYS:
            return f"{where}: {len(item)} attributes (at most {MAX_OBJECT_KEYS})"
        for key, element in item.items():
            if len(key) > MAX_STRING_CHARS:
                return f"{where}: an attribute name of {len(key)} characters"
            stack.append((element, f"{where}.{key[:64]}", depth + 1, key))
    return None
