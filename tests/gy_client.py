"""A blocking Diameter test client (python-diameter encoding) for the Gy server tests."""

from __future__ import annotations

import socket
from typing import Any

from diameter.message import Avp, Message
from diameter.message.constants import (
    AVP_AUTH_APPLICATION_ID,
    AVP_CC_REQUEST_NUMBER,
    AVP_CC_REQUEST_TYPE,
    AVP_CC_TIME,
    AVP_DESTINATION_REALM,
    AVP_HOST_IP_ADDRESS,
    AVP_MULTIPLE_SERVICES_CREDIT_CONTROL,
    AVP_ORIGIN_HOST,
    AVP_ORIGIN_REALM,
    AVP_PRODUCT_NAME,
    AVP_RATING_GROUP,
    AVP_REQUESTED_SERVICE_UNIT,
    AVP_SERVICE_CONTEXT_ID,
    AVP_SESSION_ID,
    AVP_SUBSCRIPTION_ID,
    AVP_SUBSCRIPTION_ID_DATA,
    AVP_SUBSCRIPTION_ID_TYPE,
    AVP_TGPP_CALLED_PARTY_ADDRESS,
    AVP_TGPP_IMS_INFORMATION,
    AVP_TGPP_SERVICE_INFORMATION,
    AVP_USED_SERVICE_UNIT,
    AVP_VENDOR_ID,
    VENDOR_TGPP,
)

from openbss.charging.gy import codec

MSISDN = "8613800138000"


def cer(app: int = 4, hop: int = 1) -> bytes:
    return codec.request_bytes(
        257, 0,
        [Avp.new(AVP_ORIGIN_HOST, value=b"pcef.test"), Avp.new(AVP_ORIGIN_REALM, value=b"test"),
         Avp.new(AVP_HOST_IP_ADDRESS, value="127.0.0.1"), Avp.new(AVP_VENDOR_ID, value=0),
         Avp.new(AVP_PRODUCT_NAME, value="gy-test"), Avp.new(AVP_AUTH_APPLICATION_ID, value=app)],
        hop_by_hop=hop, end_to_end=hop,
    )  # fmt: skip


def base_request(command: int, hop: int = 7) -> bytes:
    identity = [Avp.new(AVP_ORIGIN_HOST, value=b"pcef.test"),
                Avp.new(AVP_ORIGIN_REALM, value=b"test")]  # fmt: skip
    return codec.request_bytes(command, 0, identity, hop_by_hop=hop, end_to_end=hop)


def ccr_avps(
    session: str, kind: int, number: int, *, requested: int | None = None,
    used: int | None = None, msisdn: str = MSISDN, rating_group: int = 100,
    called: str | None = None,
) -> list[Any]:  # fmt: skip
    mscc = [Avp.new(AVP_RATING_GROUP, value=rating_group)]
    if requested is not None:
        mscc.append(Avp.new(AVP_REQUESTED_SERVICE_UNIT,
                            value=[Avp.new(AVP_CC_TIME, value=requested)]))  # fmt: skip
    if used is not None:
        mscc.append(Avp.new(AVP_USED_SERVICE_UNIT, value=[Avp.new(AVP_CC_TIME, value=used)]))
    avps = [
        Avp.new(AVP_SESSION_ID, value=session),
        Avp.new(AVP_ORIGIN_HOST, value=b"pcef.test"),
        Avp.new(AVP_ORIGIN_REALM, value=b"test"),
        Avp.new(AVP_DESTINATION_REALM, value=b"openbss.local"),
        Avp.new(AVP_AUTH_APPLICATION_ID, value=4),
        Avp.new(AVP_SERVICE_CONTEXT_ID, value="32260@3gpp.org"),
        Avp.new(AVP_CC_REQUEST_TYPE, value=kind),
        Avp.new(AVP_CC_REQUEST_NUMBER, value=number),
        Avp.new(AVP_SUBSCRIPTION_ID, value=[Avp.new(AVP_SUBSCRIPTION_ID_TYPE, value=0),
                                           Avp.new(AVP_SUBSCRIPTION_ID_DATA, value=msisdn)]),
        Avp.new(AVP_MULTIPLE_SERVICES_CREDIT_CONTROL, value=mscc),
    ]  # fmt: skip
    if called is not None:
        # Service-Information / IMS-Information / Called-Party-Address (TS 32.299).
        address = Avp.new(AVP_TGPP_CALLED_PARTY_ADDRESS, VENDOR_TGPP, value=f"tel:+{called}")
        ims = Avp.new(AVP_TGPP_IMS_INFORMATION, VENDOR_TGPP, value=[address])
        avps.append(Avp.new(AVP_TGPP_SERVICE_INFORMATION, VENDOR_TGPP, value=[ims]))
    return avps


def ccr(session: str, kind: int, number: int, *, hop: int = 100, app: int = 4,
        **kwargs: Any) -> bytes:  # fmt: skip
    return codec.request_bytes(272, app, ccr_avps(session, kind, number, **kwargs),
                               hop_by_hop=hop, end_to_end=hop)  # fmt: skip


def raw_request(command: int, app: int, avps: list[Any], hop: int = 9) -> bytes:
    return codec.request_bytes(command, app, avps, hop_by_hop=hop, end_to_end=hop)


class Client:
    def __init__(self, port: int, *, handshake: bool = True) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if handshake:
            answer = self.ask(cer())
            assert answer.result_code == 2001

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def read_raw(self) -> bytes:
        head = self._exactly(4)
        return head + self._exactly(int.from_bytes(head[1:4], "big") - 4)

    def read(self) -> Any:
        return Message.from_bytes(self.read_raw())

    def ask(self, data: bytes) -> Any:
        self.send(data)
        return self.read()

    def closed(self) -> bool:
        """Whether the server closed the connection (end of stream within the timeout)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def failed_avp_codes(answer: Any) -> list[int]:
    return [avp.code for failed in answer.failed_avp or [] for avp in failed.additional_avps]
