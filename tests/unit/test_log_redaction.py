import logging

import pytest

from openbss.api.log_filters import RedactQueryValues, redact_path, redact_query


def test_query_values_never_reach_the_access_log() -> None:
    path = "/tmf-api/party/v4/individual?familyName=%E5%BC%A0&phone=13312345678&limit=5"
    assert redact_query(path) == "/tmf-api/party/v4/individual?familyName=…&phone=…&limit=…"
    assert redact_query("/health") == "/health"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/x?idNumber=11010519491231002X", "1.1", 200),
        None,
    )
    assert RedactQueryValues().filter(record)
    assert "11010519491231002X" not in record.getMessage()
    assert "idNumber=…" in record.getMessage()


def test_phone_and_identity_numbers_in_paths_never_reach_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/numbers/13312345678?fields=state", "1.1", 200),
        None,
    )
    assert RedactQueryValues().filter(record)
    assert "13312345678" not in record.getMessage()
    assert "/api/v1/numbers/…?fields=…" in record.getMessage()


@pytest.mark.parametrize(
    "segment",
    [
        "13312345678",
        "+8613312345678",
        "0755-26543210",
        "%2B86%20133%201234%205678",
        "１３３１２３４５６７８",  # full-width digits
        "%EF%BC%91%EF%BC%93%EF%BC%93%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98",
        "11010519491231002X",
        "11010519491231002x",
        "110105491231002",
    ],
)
def test_personal_path_segments_are_redacted(segment: str) -> None:
    assert redact_path(f"/api/v1/numbers/{segment}/history") == "/api/v1/numbers/…/history"


@pytest.mark.parametrize(
    "path",
    [
        "/tmf-api/party/v4/individual/3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b",
        "/api/v1/billing/runs/2026-11",
        "/api/v1/numbers/pools/0755",
        "/api/v1/rating/tariffs/mobile-2005",
        "/health",
    ],
)
def test_ids_periods_and_area_codes_stay_readable(path: str) -> None:
    assert redact_path(path) == path


def test_query_parameter_names_that_are_numbers_are_redacted_too() -> None:
    assert redact_query("/x?13312345678=1&limit=5") == "/x?…=…&limit=…"
