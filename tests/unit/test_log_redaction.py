import logging

from openbss.api.log_filters import RedactQueryValues, redact_query


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
