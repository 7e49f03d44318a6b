"""Which callback URLs a hub may deliver to.

A callback is an address the server will POST to on a subscriber's say-so, so an unchecked one
turns the server into a proxy into its own network (server-side request forgery): its own
``/health``, a cloud metadata service on a link-local address, a database on a private one.
Hence:

- only ``http`` and ``https``, an absolute URL with a host, no ``user:pass@`` (credentials in a
  URL end up in logs and are sent as Basic auth to whoever answers), at most
  :data:`MAX_CALLBACK_LENGTH` characters;
- every address the host resolves to must be public (not loopback, private, link-local,
  multicast, shared or reserved), unless the operator's allow-list
  (``OPENBSS_WEBHOOK_ALLOW``: CIDR blocks and host names, comma-separated) names the address
  or the host;
- the check runs at subscribe time and again before every delivery, and the delivery connects
  to the very address that was checked (:class:`Target`), so a name that resolves to a public
  address at subscribe time and to a private one later (DNS rebinding) is refused then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from openbss.kit.errors import Unprocessable

MAX_CALLBACK_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[IPAddress]]


class CallbackRefused(Unprocessable):
    code = "CALLBACK_REFUSED"
    reason = "Callback not allowed"


@dataclass(frozen=True, slots=True)
class AllowList:
    """Operator exceptions to the public-address rule."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, setting: str) -> AllowList:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (part.strip() for part in setting.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def permits_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked callback: connect to ``address``, present ``host`` (Host header, TLS SNI)."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress

    @property
    def pinned_url(self) -> str:
        """The callback URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return parts._replace(netloc=f"{literal}:{self.port}").geturl()

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_callback(url: str) -> SplitResult:
    """Check the form of a callback URL (no network); raises :class:`CallbackRefused`."""
    if len(url) > MAX_CALLBACK_LENGTH:
        raise CallbackRefused(f"callback is longer than {MAX_CALLBACK_LENGTH} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise CallbackRefused("callback must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # both raise ValueError on a malformed netloc
    except ValueError:
        raise CallbackRefused("callback is not a valid URL (host or port malformed)") from None
    if parts.scheme not in ("http", "https") or not host or port == 0:
        raise CallbackRefused("callback must be an absolute http or https URL with a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise CallbackRefused("callback must not carry credentials (user:password@)")
    return parts


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast; an IPv4-mapped IPv6 address is judged as its IPv4 form."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def refused_addresses(addresses: Iterable[IPAddress], allow: AllowList) -> list[IPAddress]:
    return [a for a in addresses if not (is_public(a) or allow.permits_address(a))]


def check_callback(url: str, allow: AllowList, resolver: Resolver = resolve) -> Target:
    """The address to deliver to, or :class:`CallbackRefused` saying why not.

    Every resolved address must pass, not just one: a name with one public and one private
    address would otherwise reach the private one whenever the connection picks it.
    """
    parts = parse_callback(url)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolver(host, port)
    if not addresses:
        raise CallbackRefused("callback host does not resolve to any address")
    if host.lower() not in allow.hosts:
        refused = refused_addresses(addresses, allow)
        if refused:
            raise CallbackRefused(
                "callback must reach a public address; "
                f"{host} resolves to {refused[0]}, which is not public and not on the "
                "operator's allow-list"
            )
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])
