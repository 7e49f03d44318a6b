"""Reading a search box: what the text can be (pure; no database).

One text is tried every way it can be read: an 18-character 身份证 (or 统一社会信用代码), a
phone number (normalised to E.164, national forms with or without the trunk 0), an exact id
(customer, billing account, product, or a product's network id such as a broadband login),
and a name. A name is a pattern with ``*`` for any run of characters (``郭*`` starts with 郭,
``*科技*`` contains 科技); text without ``*`` is a prefix, so ``郭`` finds 郭伟 and 郭敏.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from openbss.kit.errors import BadRequest
from openbss.kit.tmf import has_control_characters

MAX_QUERY_LENGTH = 100
DEFAULT_LIMIT = 20
MAX_LIMIT = 50

_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
# 统一社会信用代码: 18 characters of 0-9 and the capitals without I, O, S, V, Z.
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_PHONE = re.compile(r"^\+?\d{5,17}$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{2,63}$")
_SEPARATORS = re.compile(r"[\s\-()]")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The ways one search text can be read; None where it cannot be read that way."""

    text: str
    identity_number: str | None  # 身份证 or 统一社会信用代码, upper case
    phone_number: str | None  # E.164
    identifier: str | None  # an id as typed
    name_pattern: str | None  # ``*`` wildcard pattern, e.g. 郭*


def _phone_number(compact: str) -> str | None:
    if not _PHONE.match(compact):
        return None
    try:
        parsed = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _identity_number(compact: str) -> str | None:
    upper = compact.upper()
    if _RESIDENT_ID.match(upper) or _CREDIT_CODE.match(upper):
        return upper
    return None


def parse_query(text: str) -> SearchQuery:
    """Every reading of ``text``; a 400 when it is empty, too long or only wildcards."""
    stripped = text.strip()
    if not stripped.replace("*", "").strip():
        raise BadRequest("q: give a name, a number or an id to search for")
    if len(stripped) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q: at most {MAX_QUERY_LENGTH} characters")
    if has_control_characters(stripped):
        raise BadRequest("q: control characters are not allowed")
    compact = _SEPARATORS.sub("", stripped)
    identity = _identity_number(compact)
    phone = None if identity else _phone_number(compact)
    identifier = stripped if _IDENTIFIER.match(stripped) else None
    # digits alone are a number, never a name
    is_number = compact.lstrip("+").isdigit()
    name_pattern = None
    if identity is None and not is_number:
        name_pattern = stripped if "*" in stripped else stripped + "*"
    return SearchQuery(stripped, identity, phone, identifier, name_pattern)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit: between 1 and {MAX_LIMIT}")
    return limit
