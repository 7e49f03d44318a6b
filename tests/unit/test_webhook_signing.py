"""Delivery signatures: the Stripe-style scheme, checked against an independent HMAC."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openbss.events.signing import new_secret, signature, signed_headers, verify


def test_signature_matches_a_known_vector() -> None:
    # printf '%s' '1700000000.{"eventId":"e1"}' | openssl dgst -sha256 -hmac whsec_test
    expected = "ead19a02fbe0bb6d0c7f3d25cef8280176aefaac9755cd99505dad3b267a6de9"
    assert signature("whsec_test", 1700000000, b'{"eventId":"e1"}') == expected
    headers = signed_headers("whsec_test", 1700000000, b'{"eventId":"e1"}')
    assert headers == {
        "X-Openbss-Timestamp": "1700000000",
        "X-Openbss-Signature": f"v1={expected}",
    }


def test_secrets_are_fresh_and_long() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) >= 48 for s in secrets)


@given(body=st.binary(max_size=2000), at=st.integers(min_value=0, max_value=2**33))
def test_a_listener_accepts_what_was_signed_and_nothing_else(body: bytes, at: int) -> None:
    secret = "whsec_property"
    header = signed_headers(secret, at, body)["X-Openbss-Signature"]
    assert verify(secret, str(at), header, body, now=at + 10)
    assert not verify(secret, str(at), header, body + b" ", now=at)
    assert not verify("whsec_other", str(at), header, body, now=at)
    assert not verify(secret, str(at + 1), header, body, now=at)  # timestamp is signed too
    assert not verify(secret, str(at), header, body, now=at + 301)  # too old: a replay
    assert not verify(secret, "not-a-number", header, body, now=at)
    assert not verify(secret, str(at), "v0=" + header[3:], body, now=at)
