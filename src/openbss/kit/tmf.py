"""Pure helpers for TM Forum Open API representations.

Timestamps, attribute selection (``fields=``), attribute filtering (``attr=value``) and
JSON merge-patch. No I/O, no framework: the API layer and the services both use them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from openbss.kit.clock import bounded_utc, ensure_utc
from openbss.kit.errors import BadRequest

JSON = dict[str, Any]

# Query parameters that steer the list operation rather than filter on an attribute.
CONTROL_PARAMETERS = frozenset({"fields", "offset", "limit", "sort", "depth", "expand"})


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix and millisecond precision."""
    utc = ensure_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_optional_datetime(value: datetime | None) -> str | None:
    """:func:`format_datetime`, or None for a time not set (a run not finished yet)."""
    return format_datetime(value) if value is not None else None


def parse_datetime(value: str, attribute: str = "date") -> datetime:
    """Parse an ISO 8601 timestamp; naive values are taken as UTC. An instant outside
    ``kit.clock``'s accepted range is a 400 before any arithmetic is done with it."""
    if not isinstance(value, str):
        raise BadRequest(f"'{attribute}' must be an ISO 8601 date-time string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"'{attribute}' is not an ISO 8601 date-time: {value[:40]!r}") from None
    try:
        return bounded_utc(parsed)
    except ValueError as exc:
        raise BadRequest(f"'{attribute}': {exc}", code="DATE_OUT_OF_RANGE") from None


def select_fields(resource: Mapping[str, Any], fields: str | None) -> JSON:
    """Apply ``fields=a,b``: keep the named first-level attributes plus ``id`` and ``href``."""
    if not fields:
        return dict(resource)
    wanted = {name.strip() for name in fields.split(",") if name.strip()}
    wanted |= {"id", "href"}
    return {key: value for key, value in resource.items() if key in wanted}


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values_at(resource: Any, path: list[str]) -> Iterable[Any]:
    """All values reached by a dotted path, fanning out over lists."""
    if isinstance(resource, list):
        for element in resource:
            yield from _values_at(element, path)
        return
    if not path:
        yield resource
        return
    if isinstance(resource, Mapping) and path[0] in resource:
        yield from _values_at(resource[path[0]], path[1:])


def _same_instant(left: str, right: str) -> bool:
    try:
        return parse_datetime(left) == parse_datetime(right)
    except BadRequest:
        return False


def matches(resource: Mapping[str, Any], filters: Mapping[str, list[str]]) -> bool:
    """TMF attribute filtering: every attribute must equal one of the given values.

    Comma-separated values mean OR; a dotted attribute walks nested objects and lists;
    surrounding quotes are stripped; timestamps compare as instants so that ``+00:00`` and
    ``Z`` forms of the same time match.
    """
    for attribute, raw_values in filters.items():
        wanted = set(filter_values(raw_values))
        found = [_scalar_text(v) for v in _values_at(resource, attribute.split("."))]
        if not any(value in wanted or _any_same_instant(value, wanted) for value in found):
            return False
    return True


def _split_or(raw: str) -> list[str]:
    unquoted = unquote(raw)
    if unquoted != raw.strip():  # a quoted value is one value even if it holds commas
        return [raw]
    return raw.split(",")


def filter_values(raw_values: Iterable[str]) -> list[str]:
    """The values one attribute filter accepts: comma means OR, quotes are stripped."""
    return [unquote(part) for raw in raw_values for part in _split_or(raw)]


def _any_same_instant(value: str, wanted: set[str]) -> bool:
    if len(value) < 10 or value[4:5] != "-":
        return False
    return any(_same_instant(value, candidate) for candidate in wanted)


def attribute_filters(query: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group raw query pairs into attribute filters, dropping control parameters."""
    filters: dict[str, list[str]] = {}
    for key, value in query:
        if key in CONTROL_PARAMETERS or key.startswith("@"):
            continue
        filters.setdefault(key, []).append(value)
    return filters


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge-patch: ``null`` removes, objects merge, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result: JSON = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ``attribute.like=pattern``: a pattern filter on a text attribute, ``*`` standing for any run
# of characters (``name.like=郭*`` starts with 郭, ``name.like=*科技*`` contains 科技). The
# operator suffix follows TMF630's ``attribute.operator=value`` form (``.gt``, ``.lte`` …).
LIKE_OPERATOR = ".like"
LIKE_ESCAPE = "\\"


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a C0 control character or DEL (a NUL cannot even be stored in a
    PostgreSQL text value): such text is refused, not searched for."""
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def like_pattern(value: str) -> str:
    """A ``*`` wildcard pattern as an SQL LIKE pattern (escape :data:`LIKE_ESCAPE`): ``%``,
    ``_`` and the escape character match themselves; each ``*`` matches any run."""
    escaped = (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return escaped.replace("*", "%")


def entity_tag(resource: Mapping[str, Any]) -> str:
    """A strong HTTP entity tag for a resource representation: a digest of its canonical
    JSON (``href`` left out, since it depends on the host the client used)."""
    canonical = json.dumps(
        {k: v for k, v in resource.items() if k != "href"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def if_match_satisfied(header: str, current: str) -> bool:
    """RFC 9110 ``If-Match``: ``*`` or a list of entity tags, compared strongly (a weak
    ``W/`` tag never matches)."""
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or current in candidates
