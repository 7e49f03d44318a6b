"""How values print on an invoice: money, numbers, durations, volumes, times, free text.

Integer arithmetic only: an amount in fen prints from its integer digits, a volume is
rounded up (the customer sees at least what was used) by integer division.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, tzinfo

MASK = "****"
KIB = 1024
MIB = 1024 * 1024
# Long runs without a space cannot wrap in a table cell; a zero-width space every so many
# characters gives the line breaker a place to break them.
UNBROKEN_RUN = 24
ZERO_WIDTH_SPACE = "\u200b"
ELLIPSIS = "…"


def format_yuan(fen: int) -> str:
    """``123456`` → ``"¥1,234.56"``; ``-500`` → ``"-¥5.00"``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def mask_called_number(number: str) -> str:
    """Hide four digits before the last two: ``13800138000`` → ``13800****00``.

    Short numbers keep only their last two characters, so no number prints whole.
    """
    if len(number) <= 2:
        return "*" * len(number)
    kept_head = max(len(number) - 2 - len(MASK), 0)
    hidden = len(number) - 2 - kept_head
    return number[:kept_head] + "*" * hidden + number[-2:]


def format_duration(seconds: int) -> str:
    """``135`` → ``"0:02:15"``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_volume(volume_bytes: int) -> str:
    """Kilobytes below a megabyte, else megabytes with two decimals; rounded up."""
    if volume_bytes < MIB:
        return f"{-(-volume_bytes // KIB):,} KB"
    hundredths = -(-volume_bytes * 100 // MIB)
    whole, fraction = divmod(hundredths, 100)
    return f"{whole:,}.{fraction:02d} MB"


def format_usage_quantity(duration_seconds: int | None, volume_bytes: int | None) -> str:
    if duration_seconds is not None:
        return format_duration(duration_seconds)
    if volume_bytes is not None:
        return format_volume(volume_bytes)
    return "—"


def format_local_time(value: str | datetime, zone: tzinfo) -> str:
    """An aware datetime in the province's zone as ``YYYY-MM-DD HH:MM:SS``; a string is
    already local time and prints as given (cleaned)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return clean_text(value, 32)


def _printable(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):  # control characters and line/paragraph separators
        return " "
    # Format characters (bidi overrides that reorder what the reader sees, stray joiners) and
    # lone surrogates (which no encoder accepts) are dropped.
    if category in ("Cf", "Cs", "Co", "Cn"):
        return ""
    return char


def _breakable(text: str) -> str:
    words = []
    for word in text.split(" "):
        if len(word) > UNBROKEN_RUN:
            word = ZERO_WIDTH_SPACE.join(
                word[i : i + UNBROKEN_RUN] for i in range(0, len(word), UNBROKEN_RUN)
            )
        words.append(word)
    return " ".join(words)


def clean_text(value: str, limit: int) -> str:
    """Free text (a name, an address line, a description) fit to print on one line of a
    cell: no control or invisible format characters, whitespace collapsed, at most ``limit``
    characters (cut with an ellipsis), long unbroken runs made breakable.

    The renderer never evaluates text as markup, so markup characters need no escaping here.
    """
    text = " ".join("".join(_printable(char) for char in value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return _breakable(text)
