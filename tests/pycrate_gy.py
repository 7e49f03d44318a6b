"""An independent Gy client: messages encoded and decoded by pycrate's Diameter module (not
python-diameter, which the server uses), over a plain socket."""

from __future__ import annotations

import socket
from typing import Any

from pycrate_diameter.DiameterIETF import AVPIETF, DiameterIETF

CREDIT_CONTROL = 272
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01


def _avp(code: int, value: Any, *, mandatory: bool = True) -> dict[str, Any]:
    return {"AVPHdr": {"Code": code, "M": 1 if mandatory else 0}, "AVPData": value}


def _message(command: int, app: int, hop: int, avps: list[dict[str, Any]]) -> bytes:
    header = {"R": 1, "P": 0, "Cmd": command, "AppID": app, "HHID": hop, "EEID": hop}
    data: bytes = DiameterIETF(val={"DiameterHdr": header, "AVPs": avps}).to_bytes()
    return data


def _vendor_avp(code: int, data: bytes) -> bytes:
    avp = AVPIETF(val={"AVPHdr": {"Code": code, "V": 1, "M": 1, "VendorID": 10415},
                       "AVPData": data})  # fmt: skip
    encoded: bytes = avp.to_bytes()
    return encoded


def cer(hop: int = 1) -> bytes:
    return _message(257, 0, hop, [
        _avp(264, b"pgw.pycrate.test"), _avp(296, b"pycrate.test"),
        _avp(257, {"AddressType": 1, "Value": socket.inet_aton("127.0.0.1")}),
        _avp(266, 0), _avp(269, b"pycrate"), _avp(258, 4),
    ])  # fmt: skip


def ccr(
    session: str, kind: int, number: int, msisdn: str, *, rating_group: int = 100,
    requested: dict[int, int] | None = None, used: dict[int, int] | None = None,
    called: str | None = None, hop: int = 2, event_time: int | None = None,
) -> bytes:  # fmt: skip
    """``requested``/``used``: unit AVP code (420 CC-Time, 421 CC-Total-Octets, 417
    CC-Service-Specific-Units) → amount."""
    mscc: list[dict[str, Any]] = [_avp(432, rating_group)]
    if requested is not None:
        mscc.append(_avp(437, [_avp(code, amount) for code, amount in requested.items()]))
    if used is not None:
        mscc.append(_avp(446, [_avp(code, amount) for code, amount in used.items()]))
    avps = [
        _avp(263, session.encode()), _avp(264, b"pgw.pycrate.test"), _avp(296, b"pycrate.test"),
        _avp(283, b"openbss.local"), _avp(258, 4), _avp(461, b"32260@3gpp.org"),
        _avp(416, kind), _avp(415, number),
        _avp(443, [_avp(450, 0), _avp(444, msisdn.encode())]),
        _avp(456, mscc),
    ]  # fmt: skip
    if event_time is not None:  # Event-Timestamp: NTP seconds (RFC 6733 Time)
        avps.append(_avp(55, (event_time + NTP_EPOCH_OFFSET).to_bytes(4, "big")))
    if called is not None:
        # Service-Information / IMS-Information / Called-Party-Address (3GPP, vendor 10415).
        # pycrate's IETF dictionary does not know these, so they are built as raw AVPs.
        address = _vendor_avp(832, f"tel:+{called}".encode())
        ims = _vendor_avp(876, address)
        avps.append({"AVPHdr": {"Code": 873, "V": 1, "M": 1, "VendorID": 10415},
                     "AVPData": ims})  # fmt: skip
    return _message(CREDIT_CONTROL, 4, hop, avps)


def decode(data: bytes) -> dict[str, Any]:
    """An answer as {"hop": .., "flags": .., AVP code: [values]}; grouped values are dicts."""
    message = DiameterIETF()
    message.from_bytes(data)
    header, avps = message.get_val()
    return {"hop": header[9], "error": bool(header[4]), **_values(avps)}


def _values(avps: list[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for (code, *_), value, _pad in avps:
        if isinstance(value, list) and value and isinstance(value[0], list):
            value = _values(value)  # a grouped AVP: a list of [header, value, padding]
        out.setdefault(code, []).append(value)
    return out


class PycrateClient:
    def __init__(self, host: str, port: int, *, timeout: float = 10) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def ask(self, data: bytes) -> dict[str, Any]:
        self.sock.sendall(data)
        head = self._exactly(4)
        return decode(head + self._exactly(int.from_bytes(head[1:4], "big") - 4))

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()
