"""Pure parts of the payments API: amounts into exact fen, masking, gateway signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.kit.errors import OpenBSSError
from openbss.payments import gateway
from openbss.payments.amounts import fen_from_money, fen_from_yuan_text, positive_fen
from openbss.payments.methods import mask

fens = st.integers(min_value=1, max_value=10**13)


@given(fens)
def test_yuan_text_and_tmf_money_give_back_the_exact_fen(fen: int) -> None:
    yuan = f"{Decimal(fen) / 100:.2f}"
    assert fen_from_yuan_text(yuan) == fen
    # What a client's JSON parser hands over: the float nearest the decimal it wrote.
    assert fen_from_money({"unit": "CNY", "value": float(yuan)}, "totalAmount") == fen
    assert fen_from_money({"value": yuan}, "totalAmount") == fen


@pytest.mark.parametrize(
    "text", ["12.505", "-5", "0", "0.00", "abc", "1e3", "", " ", "12,50", "١٢", "NaN"]
)
def test_yuan_text_that_is_not_a_positive_amount_to_the_fen_is_refused(text: str) -> None:
    with pytest.raises(OpenBSSError):
        fen_from_yuan_text(text)


@pytest.mark.parametrize(
    "money",
    [
        {"unit": "EUR", "value": 1},
        {"unit": "CNY", "value": 0.001},
        {"unit": "CNY", "value": -1},
        {"unit": "CNY", "value": True},
        {"unit": "CNY", "value": "Infinity"},
        {"unit": "CNY"},
        [1],
    ],
)
def test_money_that_is_not_a_positive_cny_amount_to_the_fen_is_refused(money: object) -> None:
    with pytest.raises(OpenBSSError):
        fen_from_money(money, "totalAmount")


@pytest.mark.parametrize("value", [0, -1, 1.5, "1", True, None])
def test_positive_fen_wants_a_positive_integer(value: object) -> None:
    with pytest.raises(OpenBSSError):
        positive_fen(value, "amountFen")


def test_mask_shows_only_the_last_four_digits() -> None:
    assert mask("6222021234567890") == "************7890"
    assert mask("12345678") == "****5678"
    assert mask("123") == "***"


NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
SECRETS = {"alipay": "k1"}


def stamp(at: datetime) -> str:
    return str(int(at.timestamp()))


@given(st.binary(max_size=200))
def test_a_signed_body_verifies_and_any_change_does_not(body: bytes) -> None:
    ts = stamp(NOW)
    signature = gateway.sign("k1", ts, body)
    gateway.verify(SECRETS, "alipay", ts, signature, body, NOW)
    with pytest.raises(gateway.BadSignature):
        gateway.verify(SECRETS, "alipay", ts, signature, body + b" ", NOW)
    with pytest.raises(gateway.BadSignature):
        gateway.verify(SECRETS, "alipay", stamp(NOW + timedelta(seconds=1)), signature, body, NOW)


@pytest.mark.parametrize(
    ("name", "ts", "signature"),
    [
        ("wechat", stamp(NOW), "sig"),  # unknown gateway
        ("alipay", None, "sig"),
        ("alipay", stamp(NOW), None),
        ("alipay", "yesterday", "sig"),
        ("alipay", stamp(NOW - timedelta(minutes=6)), "fresh-looking"),
    ],
)
def test_unknown_missing_or_stale_callbacks_are_refused(
    name: str, ts: str | None, signature: str | None
) -> None:
    body = b"{}"
    if signature == "fresh-looking" and ts is not None:
        signature = gateway.sign("k1", ts, body)  # well signed, but too old
    with pytest.raises(gateway.BadSignature):
        gateway.verify(SECRETS, name, ts, signature, body, NOW)
