"""Text normalisation for identifiers typed by people.

Identity numbers, credit codes and phone numbers are often typed with an input method that
produces full-width forms (１２３, ＡＢＣ). They are the same identifier: the product folds
full-width ASCII forms to ASCII *before* validating and before any uniqueness check, so one
身份证 cannot be registered twice in two spellings. Every other non-ASCII character (other
scripts' digits, which ``\\d`` and ``int()`` would accept) is left alone, and validators that
match ASCII only then refuse it.
"""

from __future__ import annotations

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_fullwidth(value: str) -> str:
    """``value`` with full-width ASCII forms replaced by ASCII; nothing else changes."""
    return value.translate(_FULLWIDTH)
