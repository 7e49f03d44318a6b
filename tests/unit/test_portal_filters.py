"""The portal's money and time filters, and where a redirect may lead."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import Environment

from openbss.portal.core.state import safe_next
from openbss.portal.core.templating import build_environment, li_yuan, yuan


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (5, "¥0.05"), (123456, "¥1,234.56"), (-100, "-¥1.00"), (None, "—")],
)
def test_yuan(fen: int | None, text: str) -> None:
    assert yuan(fen) == text


@pytest.mark.parametrize(
    ("li", "text"), [(1234567, "¥1,234.567"), (1, "¥0.001"), (-1500, "-¥1.500"), (None, "—")]
)
def test_li_yuan(li: int | None, text: str) -> None:
    assert li_yuan(li) == text


def _env() -> Environment:
    return build_environment([])


def test_local_time_in_the_users_zone() -> None:
    template = _env().from_string("{{ at|local_dt }} {{ at|local_date }} {{ day|local_date }}")
    at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 the next day in Shanghai
    ctx = type("Ctx", (), {"timezone": "Asia/Shanghai"})()
    assert template.render(at=at, day=date(2026, 1, 2), ctx=ctx) == (
        "2027-01-01 00:30 2027-01-01 2026-01-02"
    )
    utc = type("Ctx", (), {"timezone": "UTC"})()
    assert template.render(at=at, day=date(2026, 1, 2), ctx=utc).startswith("2026-12-31 16:30")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/portal/customers?q=x", "/portal/customers?q=x"),
        ("/portal", "/portal"),
        ("https://evil.example/portal/", "/portal/"),
        ("//evil.example/portal", "/portal/"),
        ("/portal//evil.example", "/portal/"),
        ("/portal\\..\\x", "/portal/"),
        ("/api/v1/receivables", "/portal/"),
        ("/portalx", "/portal/"),
        ("/portal/\r\nSet-Cookie: x=y", "/portal/"),
        (None, "/portal/"),
    ],
)
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected
