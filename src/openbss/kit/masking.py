"""Masking of personal data for logs and for roles that need not see it."""

from __future__ import annotations


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """身份证 ``110105194912310021`` → ``110***********0021`` (region kept, birth hidden)."""
    return mask_middle(value, 3, 4)


def mask_phone(value: str) -> str:
    """``13312345678`` → ``133****5678``."""
    return mask_middle(value, 3, 4)


def mask_secret(value: str) -> str:
    return value[:6] + "…" if len(value) > 6 else "…"
