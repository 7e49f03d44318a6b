"""Callback URL policy: form, public addresses, the allow-list, pinning (no network)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.events.callbacks import (
    MAX_CALLBACK_LENGTH,
    AllowList,
    CallbackRefused,
    IPAddress,
    check_callback,
    is_public,
    parse_callback,
)

PUBLIC = ipaddress.ip_address("93.184.216.34")
NOTHING_ALLOWED = AllowList()


def resolver_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "/relative/path",
        "http:///no-host",
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://example.com:70000/",
        "http://example.com/a b",
        "http://example.com/\r\nX-Injected: 1",
        "http://example.com/" + "a" * MAX_CALLBACK_LENGTH,
    ],
)
def test_malformed_callbacks_are_refused_before_any_lookup(url: str) -> None:
    with pytest.raises(CallbackRefused):
        parse_callback(url)


def test_a_refusal_never_repeats_credentials() -> None:
    with pytest.raises(CallbackRefused) as refused:
        parse_callback("https://admin:hunter2@example.com/hook")
    assert "hunter2" not in refused.value.message


@pytest.mark.parametrize(
    "network",
    [
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
        "2001:db8::/32",
    ],
)
@given(offset=st.integers(min_value=0, max_value=2**32))
def test_no_address_of_a_special_network_is_public(network: str, offset: int) -> None:
    net = ipaddress.ip_network(network)
    address = net[offset % net.num_addresses]
    assert not is_public(address)
    if address.version == 4:  # and not in its IPv4-mapped IPv6 form either
        assert not is_public(ipaddress.ip_address(f"::ffff:{address}"))


def test_public_addresses_are_public() -> None:
    for text in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"):
        assert is_public(ipaddress.ip_address(text))


def test_every_resolved_address_must_be_public() -> None:
    target = check_callback(
        "https://hooks.example.com/x", NOTHING_ALLOWED, resolver_to("93.184.216.34")
    )
    assert (target.address, target.port, target.host) == (PUBLIC, 443, "hooks.example.com")
    with pytest.raises(CallbackRefused, match="not public"):
        check_callback(
            "https://hooks.example.com/x",
            NOTHING_ALLOWED,
            resolver_to("93.184.216.34", "10.0.0.5"),
        )
    with pytest.raises(CallbackRefused, match="does not resolve"):
        check_callback("https://nowhere.invalid/x", NOTHING_ALLOWED, resolver_to())


def test_the_allow_list_admits_networks_and_hosts() -> None:
    allow = AllowList.parse(" 10.20.0.0/16, crm.internal ,::1 ")
    assert check_callback("http://10.20.1.2/h", allow, resolver_to("10.20.1.2")).port == 80
    assert check_callback("http://[::1]:8080/h", allow).port == 8080
    assert check_callback("http://CRM.internal/h", allow, resolver_to("192.168.9.9"))
    with pytest.raises(CallbackRefused):
        check_callback("http://10.21.1.2/h", allow, resolver_to("10.21.1.2"))
    with pytest.raises(CallbackRefused):
        check_callback("http://other.internal/h", allow, resolver_to("192.168.9.9"))


def test_the_delivery_goes_to_the_checked_address_under_the_callbacks_name() -> None:
    target = check_callback(
        "https://hooks.example.com:8443/in?x=1", NOTHING_ALLOWED, resolver_to("93.184.216.34")
    )
    assert target.pinned_url == "https://93.184.216.34:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    v6 = check_callback("http://hooks.example.com/in", NOTHING_ALLOWED, resolver_to("2606:4700::1"))
    assert v6.pinned_url == "http://[2606:4700::1]:80/in"
    assert v6.host_header == "hooks.example.com"


@given(url=st.one_of(st.text(max_size=300), st.text(max_size=200).map(lambda t: "http://" + t)))
def test_any_text_is_accepted_or_refused_never_an_error(url: str) -> None:
    try:
        target = check_callback(url, NOTHING_ALLOWED, resolver_to("93.184.216.34"))
    except CallbackRefused as refused:
        assert refused.status == 422
    else:
        assert target.scheme in ("http", "https") and target.host
