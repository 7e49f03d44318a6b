"""Pure number maths: kinds and states, E.164 / national forms, golden-number classes, and
the input rules for pools, selection and holds.

No database, no framework: pool creation classifies every number through
:func:`classify_golden`, the API and CLI format numbers through the helpers here, and the
service checks its arguments with the rules at the end (they raise 422
``INVALID_NUMBER_REQUEST`` with a message that says what to change).

Chinese numbering (docs/domain/numbering.md): country code 86, trunk prefix 0.
A fixed or PHS (小灵通)
number is an area code (010 and 02X: three digits with the trunk 0; every other area: four)
followed by a subscriber number of 8 digits (7 or 8 in four-digit areas) that starts with
2–9. A mobile number is 11 digits starting with 1; its first three digits are the network
prefix (189, 133 …).

Golden numbers (靓号) are judged on the subscriber part only — the digits a customer picks
for — so an area code or mobile prefix never makes a number golden. The rules below are the
defaults an operator would start from; the first matching row wins, best class first:

=========  ====================================================  =========================
class      pattern (at the end of the subscriber number)          example (020 / 189)
=========  ====================================================  =========================
platinum   6+ identical digits (AAAAAA); straight of 6+ (ABCDEF)  020-83888888, 020-83123456
gold       5 identical (AAAAA); 4 identical 6, 8 or 9 (8888);     020-83088888, 020-83008888
           straight of 5 (ABCDE)                                  020-83034567
silver     4 identical (AAAA); straight of 4 (ABCD, up or down);  020-83001111, 020-83004321
           pairs (AABB)                                           020-83001122
bronze     3 identical (AAA); alternating (ABAB); lucky endings   020-83000888, 020-83001818
           168 (一路发), 518 (我要发), 520 (我爱你), 1314 (一生一世) 020-83000168
=========  ====================================================  =========================

A straight steps by exactly one digit in one direction (1234, 4321; 7890 is not one).
Default one-time prices are in :data:`GOLDEN_PRICES_FEN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers

from openbss.kit.errors import Unprocessable
from openbss.numbering.errors import InvalidNumberRequest

# Re-exported: the enumerations are named here by the rest of the domain.
from openbss.numbering.kinds import NumberKind as NumberKind
from openbss.numbering.kinds import NumberStatus as NumberStatus

COUNTRY_CODE = "86"
E164_PREFIX = "+86"
TRUNK_PREFIX = "0"
MOBILE_LENGTH = 11  # national digits of a mobile number
MOBILE_PREFIX_LENGTH = 3  # 189, 133 …: what precedes the subscriber part


class GoldenLevel(StrEnum):
    PLATINUM = "platinum"
    GOLD = "gold"
    SILVER = "silver"
    BRONZE = "bronze"


# One-time selection fee (选号费) per class, in fen.
GOLDEN_PRICES_FEN: dict[GoldenLevel, int] = {
    GoldenLevel.PLATINUM: 500_000,  # 5,000 yuan
    GoldenLevel.GOLD: 200_000,  # 2,000 yuan
    GoldenLevel.SILVER: 50_000,  # 500 yuan
    GoldenLevel.BRONZE: 10_000,  # 100 yuan
}
LUCKY_ENDINGS = ("1314", "168", "518", "520")
PRECIOUS_DIGITS = frozenset("689")  # 6 顺, 8 发, 9 久: four of them rank one class higher

AREA_CODE_PATTERN = re.compile(r"^0(?:10|2\d|[3-9]\d{2})$")
MOBILE_PREFIX_PATTERN = re.compile(r"^1[3-9]\d{1,5}$")
_SEPARATORS = re.compile(r"[\s\-().]")


@dataclass(frozen=True, slots=True)
class GoldenClass:
    level: GoldenLevel
    pattern: str  # which rule matched, e.g. "AAAA", "ABCD", "lucky 168"
    price_fen: int


# ----- golden numbers ------------------------------------------------------------------


def trailing_run(digits: str) -> int:
    """How many identical digits the string ends with (``"83008888"`` → 4)."""
    if not digits:
        return 0
    last = digits[-1]
    return len(digits) - len(digits.rstrip(last))


def trailing_straight(digits: str) -> int:
    """Length of the straight the string ends with, stepping +1 or −1 (``"1234"`` → 4)."""
    if len(digits) < 2:
        return len(digits)
    step = int(digits[-1]) - int(digits[-2])
    if step not in (1, -1):
        return 1
    length = 2
    for index in range(len(digits) - 3, -1, -1):
        if int(digits[index + 1]) - int(digits[index]) != step:
            break
        length += 1
    return length


def _golden(level: GoldenLevel, pattern: str) -> GoldenClass:
    return GoldenClass(level=level, pattern=pattern, price_fen=GOLDEN_PRICES_FEN[level])


def classify_golden(subscriber: str) -> GoldenClass | None:
    """The golden class of a subscriber number (digits after the area code / mobile prefix),
    or None for an ordinary number. See the module docstring for the table."""
    run = trailing_run(subscriber)
    straight = trailing_straight(subscriber)
    tail = subscriber[-4:]
    if run >= 6:
        return _golden(GoldenLevel.PLATINUM, "AAAAAA")
    if straight >= 6:
        return _golden(GoldenLevel.PLATINUM, "ABCDEF")
    if run == 5:
        return _golden(GoldenLevel.GOLD, "AAAAA")
    if run == 4 and subscriber[-1] in PRECIOUS_DIGITS:
        return _golden(GoldenLevel.GOLD, tail)
    if straight == 5:
        return _golden(GoldenLevel.GOLD, "ABCDE")
    if run == 4:
        return _golden(GoldenLevel.SILVER, "AAAA")
    if straight == 4:
        return _golden(GoldenLevel.SILVER, "ABCD")
    if len(tail) == 4 and tail[0] == tail[1] != tail[2] == tail[3]:
        return _golden(GoldenLevel.SILVER, "AABB")
    if run == 3:
        return _golden(GoldenLevel.BRONZE, "AAA")
    if len(tail) == 4 and tail[0] == tail[2] != tail[1] == tail[3]:
        return _golden(GoldenLevel.BRONZE, "ABAB")
    for ending in LUCKY_ENDINGS:
        if subscriber.endswith(ending):
            return _golden(GoldenLevel.BRONZE, f"lucky {ending}")
    return None


def classify_national(national: str) -> GoldenClass | None:
    """:func:`classify_golden` of a national number's subscriber part."""
    return classify_golden(subscriber_part(national))


# ----- number forms --------------------------------------------------------------------


def is_mobile_national(national: str) -> bool:
    return national.startswith("1")


def area_code_of(national: str) -> str | None:
    """The area code of a national fixed number (``"075526001234"`` → ``"0755"``); None for
    a mobile number. 010 and 02X are the only three-digit area codes."""
    if is_mobile_national(national):
        return None
    return national[:3] if national[1:3] == "10" or national[1] == "2" else national[:4]


def subscriber_part(national: str) -> str:
    """The digits after the area code (fixed) or the three-digit prefix (mobile)."""
    if is_mobile_national(national):
        return national[MOBILE_PREFIX_LENGTH:]
    area = area_code_of(national)
    assert area is not None
    return national[len(area) :]


def to_e164(national: str) -> str:
    """``"02083001234"`` → ``"+862083001234"``; ``"18902001234"`` → ``"+8618902001234"``."""
    return E164_PREFIX + national.removeprefix(TRUNK_PREFIX)


def to_national(e164: str) -> str:
    """``"+862083001234"`` → ``"02083001234"``; ``"+8618902001234"`` → ``"18902001234"``."""
    rest = e164.removeprefix(E164_PREFIX)
    mobile = rest.startswith("1") and not rest.startswith("10")  # 10: Beijing's area code
    return rest if mobile else TRUNK_PREFIX + rest


def format_display(national: str) -> str:
    """How a number is read out in the hall: ``020-8300 1234``, ``0755-260 1234`` for seven
    digits, ``189 0200 1234`` for mobile."""
    if is_mobile_national(national):
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    area = area_code_of(national)
    assert area is not None
    subscriber = national[len(area) :]
    split = len(subscriber) - 4
    return f"{area}-{subscriber[:split]} {subscriber[split:]}"


def normalise_number(raw: str) -> str:
    """Any common written form of a Chinese number → E.164, or 422 ``INVALID_NUMBER``.

    Accepts ``+86…``, ``0086…``, ``86…``, national forms with the trunk 0 (``020…``) or a
    bare mobile number, with spaces, dashes, dots or parentheses between digit groups.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        if not text.startswith(E164_PREFIX):
            raise Unprocessable(f"{raw!r} is not a Chinese (+86) number", code="INVALID_NUMBER")
        digits = text[len(E164_PREFIX) :]
    elif text.startswith("00" + COUNTRY_CODE):
        digits = text[4:]
    elif text.startswith(COUNTRY_CODE):
        digits = text[len(COUNTRY_CODE) :]
    elif text.startswith(TRUNK_PREFIX):
        digits = text[1:]
    else:
        digits = text
    if text.startswith(("+", COUNTRY_CODE, "00")):
        digits = digits.removeprefix(TRUNK_PREFIX)  # "+86 (0)20 …": the trunk 0 kept by habit
    if not digits.isascii() or not digits.isdigit():
        raise Unprocessable(f"{raw!r} is not a phone number", code="INVALID_NUMBER")
    mobile = digits.startswith("1") and not digits.startswith("10")
    # Without the trunk 0: mobile 11 digits; fixed 10 (02X/010 + 8, 0XXX + 7) or 11.
    valid = len(digits) == MOBILE_LENGTH if mobile else len(digits) in (10, 11)
    if not valid or digits[0] == "0":
        raise Unprocessable(
            f"{raw!r} is not a valid Chinese fixed or mobile number", code="INVALID_NUMBER"
        )
    return E164_PREFIX + digits


def subscriber_lengths(kind: NumberKind, network: str) -> tuple[int, ...]:
    """Allowed subscriber lengths after an area code (fixed, PHS) or a mobile prefix."""
    if kind is NumberKind.MOBILE:
        return (MOBILE_LENGTH - len(network),)
    return (8,) if len(network) == 3 else (7, 8)


def range_size(first: str, last: str) -> int:
    """How many numbers an inclusive subscriber range holds."""
    return int(last) - int(first) + 1


def is_valid_national(kind: NumberKind, national: str) -> bool:
    """Whether the national number is a real number of that kind in the national numbering
    plan (the ``phonenumbers`` data: area codes, subscriber lengths, mobile ranges)."""
    try:
        parsed = phonenumbers.parse(to_e164(national))
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    found = phonenumbers.number_type(parsed)
    either = phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    if kind is NumberKind.MOBILE:
        return found in (phonenumbers.PhoneNumberType.MOBILE, either)
    return found in (phonenumbers.PhoneNumberType.FIXED_LINE, either)


# ----- input rules (pools, selection, holds) ---------------------------------------

# A pool is created in one transaction; a million rows is about a minute on PostgreSQL.
MAX_POOL_SIZE = 1_000_000
MAX_QUARANTINE_DAYS = 3650
MAX_HOLD_MINUTES = 30 * 24 * 60
MAX_HOLDER_LENGTH = 64
MAX_POOL_NAME_LENGTH = 128

KIND_LABELS = {
    NumberKind.FIXED: "fixed-line",
    NumberKind.PHS: "PHS (小灵通)",
    NumberKind.MOBILE: "mobile",
}
_SEARCH_PATTERN = re.compile(r"^[0-9?*]{1,12}$")


def parse_kind(kind: NumberKind | str) -> NumberKind:
    try:
        return NumberKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in NumberKind)
        raise InvalidNumberRequest(f"number kind {kind!r} is unknown; use {allowed}") from None


def check_text(value: str, attribute: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise InvalidNumberRequest(f"{attribute} must be 1–{limit} characters, got {value!r}")
    return text


def check_area_code(area_code: str) -> str:
    if not AREA_CODE_PATTERN.match(area_code):
        raise InvalidNumberRequest(
            f"area code {area_code!r} is not a Chinese area code (010, 02X or 0XXX)"
        )
    return area_code


def pool_network(kind: NumberKind, area_code: str | None, prefix: str | None) -> str:
    """The area code (fixed, PHS) or mobile prefix a new pool numbers under."""
    if kind is NumberKind.MOBILE:
        if area_code is not None:
            raise InvalidNumberRequest("a mobile pool has a prefix (e.g. 189), not an area code")
        if prefix is None or not MOBILE_PREFIX_PATTERN.match(prefix):
            raise InvalidNumberRequest(
                f"a mobile pool needs a prefix of 3–7 digits starting 13–19, got {prefix!r}"
            )
        return prefix
    if prefix is not None:
        raise InvalidNumberRequest(
            f"a {KIND_LABELS[kind]} pool numbers under an area code, not a prefix"
        )
    if area_code is None:
        raise InvalidNumberRequest(f"a {KIND_LABELS[kind]} pool needs an area code (e.g. 020)")
    return check_area_code(area_code)


def check_pool_range(kind: NumberKind, network: str, first: str, last: str) -> None:
    lengths = subscriber_lengths(kind, network)
    for label, value in (("first", first), ("last", last)):
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise InvalidNumberRequest(f"{label} must be a string of digits, got {value!r}")
        if len(value) not in lengths:
            wanted = " or ".join(str(n) for n in lengths)
            raise InvalidNumberRequest(
                f"{label} {value!r} must have {wanted} digits after {network}"
            )
    if kind is not NumberKind.MOBILE and first[0] in "01":
        raise InvalidNumberRequest(
            f"a fixed or PHS subscriber number starts with 2–9, got {first!r}"
        )
    if len(first) != len(last):
        raise InvalidNumberRequest("first and last must have the same number of digits")
    if int(first) > int(last):
        raise InvalidNumberRequest(f"first {first} is after last {last}")
    if range_size(first, last) > MAX_POOL_SIZE:
        raise InvalidNumberRequest(
            f"a pool holds at most {MAX_POOL_SIZE:,} numbers; {first}–{last} has "
            f"{range_size(first, last):,}"
        )
    for value in (first, last):
        if not is_valid_national(kind, network + value):
            raise InvalidNumberRequest(
                f"{network}{value} is not a valid {KIND_LABELS[kind]} number in the national "
                "numbering plan"
            )


def check_quarantine_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_QUARANTINE_DAYS:
        raise InvalidNumberRequest(
            f"quarantine days must be a whole number from 0 to {MAX_QUARANTINE_DAYS}, got {days!r}"
        )
    return days


def hold_deadline(at: datetime, hold_minutes: int | None) -> datetime | None:
    """When a hold made at ``at`` lapses; None (an order's hold) lasts until released."""
    if hold_minutes is None:
        return None
    if (
        isinstance(hold_minutes, bool)
        or not isinstance(hold_minutes, int)
        or not 1 <= hold_minutes <= MAX_HOLD_MINUTES
    ):
        raise InvalidNumberRequest(
            f"a hold lasts 1 to {MAX_HOLD_MINUTES} minutes (or None: until released), "
            f"got {hold_minutes!r}"
        )
    return at + timedelta(minutes=hold_minutes)


def search_like(pattern: str | None) -> str | None:
    """A search pattern as SQL LIKE over the E.164 number: digits match the end of the
    number, ``?`` is one digit, ``*`` any run of digits (``*88*``: contains 88)."""
    if pattern is None or pattern == "":
        return None
    if not _SEARCH_PATTERN.match(pattern):
        raise InvalidNumberRequest(
            f"pattern {pattern!r} may hold only digits, ? (one digit) and * (any digits)"
        )
    return "%" + pattern.replace("*", "%").replace("?", "_")
