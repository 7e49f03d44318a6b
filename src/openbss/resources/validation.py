"""Checks shared by several resources: lifecycle transitions, periods, phone numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers

from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.text import fold_fullwidth
from openbss.kit.tmf import parse_datetime


def check_transition(
    kind: str,
    attribute: str,
    old: str | None,
    new: str | None,
    transitions: Mapping[str | None, frozenset[str]],
) -> None:
    """Refuse unknown states (422) and transitions the lifecycle does not allow (409)."""
    known = {s for s in transitions if s is not None}
    known |= {s for targets in transitions.values() for s in targets}
    if new is not None and new not in known:
        raise Unprocessable(
            f"{kind} {attribute} {new!r} is unknown; expected one of {', '.join(sorted(known))}",
            code="UNKNOWN_STATE",
        )
    if old == new or new is None:
        return
    if new not in transitions.get(old, frozenset()):
        raise Conflict(
            f"{kind} {attribute} cannot change from {old!r} to {new!r}", code="INVALID_TRANSITION"
        )


def check_period(period: Mapping[str, Any] | None, attribute: str = "validFor") -> None:
    """``validFor`` must hold ISO 8601 instants with start before end."""
    if not period:
        return
    start = period.get("startDateTime")
    end = period.get("endDateTime")
    start_at = parse_datetime(start, f"{attribute}.startDateTime") if start else None
    end_at = parse_datetime(end, f"{attribute}.endDateTime") if end else None
    if start_at and end_at and end_at < start_at:
        raise Unprocessable(f"{attribute}: endDateTime is before startDateTime")


def ascii_phone(raw: str) -> str:
    """A phone number as typed, full-width forms folded to ASCII; 422 if any other
    non-ASCII character is left (digits of other scripts, which ``phonenumbers`` accepts)."""
    folded = fold_fullwidth(raw).strip()
    if not folded.isascii():
        raise Unprocessable(f"{raw[:40]!r} is not a phone number: use ASCII digits")
    return folded


def normalise_cn_phone(raw: str) -> str:
    """A Chinese phone number in E.164 (``+8613312345678``, ``+862012345678``), or 422."""
    if not isinstance(raw, str):
        raise Unprocessable("a phone number must be a string")
    text = ascii_phone(raw)
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise Unprocessable(f"{text[:40]!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise Unprocessable(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_contact_media(media: list[dict[str, Any]] | None) -> None:
    for medium in media or []:
        characteristic = medium.get("characteristic") or {}
        phone = characteristic.get("phoneNumber")
        if phone:
            normalise_cn_phone(phone)
            characteristic["phoneNumber"] = ascii_phone(phone)  # one spelling is stored
        email = characteristic.get("emailAddress")
        if email is not None and "@" not in email:
            raise Unprocessable(f"{email!r} is not an e-mail address")
        check_period(medium.get("validFor"), "contactMedium.validFor")
