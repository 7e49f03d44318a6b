"""Chinese identity numbers, as pure functions.

- 居民身份证号码 (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check character (0-9 or X);
  digits 7-14 are the birth date.
- 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-symbol alphabet, the last a
  weighted MOD 31 check character.

Both are ASCII: full-width forms typed through an input method are folded to ASCII first
(:func:`normalise_identifier`), and any other non-ASCII character is refused, so one number
has one spelling when it is stored and checked for uniqueness.
"""

from __future__ import annotations

import re
from datetime import date

from openbss.kit.text import fold_fullwidth

_RESIDENT_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def normalise_identifier(value: str) -> str:
    """The one spelling of an identity number or credit code: full-width folded to ASCII,
    surrounding spaces dropped, letters in capitals."""
    return fold_fullwidth(value).strip().upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def resident_id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-digit resident identity number, or None if it is."""
    number = normalise_identifier(value)
    if not _RESIDENT_ID.fullmatch(number):
        return "a resident identity number has 17 digits followed by a digit or X"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date in the resident identity number is not a real date"
    if born.year < 1900:
        return "the birth date in the resident identity number is before 1900"
    if resident_id_check_char(number[:17]) != number[17]:
        return "the check character of the resident identity number is wrong"
    return None


def resident_id_birth_date(value: str) -> date:
    number = value.strip()
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None if it is."""
    code = normalise_identifier(value)
    if not _USCC.fullmatch(code):
        return "a unified social credit code has 18 characters (digits and capitals, no I O Z S V)"
    if uscc_check_char(code[:17]) != code[17]:
        return "the check character of the unified social credit code is wrong"
    return None


def make_resident_id(region: str, born: date, sequence: int) -> str:
    """Build a valid number (seed data, tests): 6-digit region, birth date, 3-digit sequence."""
    first17 = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def make_uscc(registration_authority: str, region: str, body9: str) -> str:
    """Build a valid code: 2-char authority/type, 6-digit region, 9-char organisation code."""
    first17 = f"{registration_authority}{region}{body9}"
    return first17 + uscc_check_char(first17)
