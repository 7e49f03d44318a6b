"""The Diameter Gy server over a real TCP socket: RFC 6733 peer handling, RFC 4006 credit
control, and every kind of malformed input answered with its Result-Code or a closed
connection — the server keeps serving. The engine is the contract's stand-in."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
from diameter.message import Avp
from diameter.message.constants import (
    AVP_CC_REQUEST_TYPE,
    AVP_CC_TIME,
    AVP_MULTIPLE_SERVICES_CREDIT_CONTROL,
    AVP_RATING_GROUP,
    AVP_SESSION_ID,
    AVP_USED_SERVICE_UNIT,
)

from openbss.charging.gy.server import GyServer, GySettings
from tests.charging_gateway_support import BROKEN, UNKNOWN, FakeEngine, running_gy
from tests.gy_client import (
    Client,
    base_request,
    ccr,
    ccr_avps,
    cer,
    failed_avp_codes,
    raw_request,
)


@pytest.fixture
def fake() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def server(fake: FakeEngine) -> Iterator[GyServer]:
    with running_gy(fake) as gy:
        yield gy


def _still_serving(server: GyServer) -> None:
    other = Client(server.port)
    assert other.ask(base_request(280)).result_code == 2001
    other.close()


def test_capabilities_exchange(server: GyServer) -> None:
    client = Client(server.port, handshake=False)
    answer = client.ask(cer())
    assert answer.result_code == 2001
    assert answer.origin_host == b"ocs.openbss.local"
    assert answer.origin_realm == b"openbss.local"
    assert answer.auth_application_id == [4]
    assert answer.product_name == "openbss"
    assert answer.header.hop_by_hop_identifier == 1


def test_no_common_application_is_refused_and_closed(server: GyServer) -> None:
    client = Client(server.port, handshake=False)
    answer = client.ask(cer(app=16777238))
    assert answer.result_code == 5010
    assert client.closed()
    _still_serving(server)


def test_anything_before_cer_closes_the_connection(server: GyServer) -> None:
    client = Client(server.port, handshake=False)
    client.send(ccr("s;early", 1, 0, requested=60))
    assert client.closed()
    _still_serving(server)


def test_watchdog_and_disconnect(server: GyServer) -> None:
    client = Client(server.port)
    dwa = client.ask(base_request(280, hop=42))
    assert (dwa.result_code, dwa.header.hop_by_hop_identifier) == (2001, 42)
    assert not dwa.header.is_request
    dpa = client.ask(base_request(282))
    assert dpa.result_code == 2001
    assert client.closed()


def test_credit_control_session(server: GyServer, fake: FakeEngine) -> None:
    client = Client(server.port)
    initial = client.ask(ccr("gw;1", 1, 0, requested=400, hop=11))
    assert initial.header.hop_by_hop_identifier == 11
    assert (initial.result_code, initial.cc_request_type, initial.cc_request_number) == (2001, 1, 0)
    assert initial.auth_application_id == 4
    (mscc,) = initial.multiple_services_credit_control
    assert (mscc.rating_group, mscc.result_code, mscc.validity_time) == (100, 2001, 60)
    assert mscc.granted_service_unit.cc_time == 400
    assert mscc.final_unit_indication is None

    update = client.ask(ccr("gw;1", 2, 1, requested=400, used=350))
    (mscc,) = update.multiple_services_credit_control
    # 600 s of credit: 350 used, 250 left → the last 250 s with Final-Unit-Indication TERMINATE.
    assert mscc.granted_service_unit.cc_time == 250
    assert mscc.final_unit_indication.final_unit_action == 0

    final = client.ask(ccr("gw;1", 3, 2, used=100))
    assert (final.result_code, final.cc_request_type) == (2001, 3)
    assert final.multiple_services_credit_control == []
    assert fake.used == {"8613800138000": 450}
    assert fake.credit == {"8613800138000": 150}
    request = fake.requests[1]
    assert (request.session_id, request.request_type.name, request.request_number) == (
        "gw;1", "UPDATE", 1)  # fmt: skip
    assert request.services[0].used is not None and request.services[0].used.seconds == 350


def test_used_service_units_are_summed(server: GyServer, fake: FakeEngine) -> None:
    client = Client(server.port)
    client.ask(ccr("gw;sum", 1, 0, requested=300))
    avps = ccr_avps("gw;sum", 2, 1)
    mscc = [Avp.new(AVP_RATING_GROUP, value=100),
            Avp.new(AVP_USED_SERVICE_UNIT, value=[Avp.new(AVP_CC_TIME, value=20)]),
            Avp.new(AVP_USED_SERVICE_UNIT, value=[Avp.new(AVP_CC_TIME, value=30)])]  # fmt: skip
    avps[-1] = Avp.new(AVP_MULTIPLE_SERVICES_CREDIT_CONTROL, value=mscc)
    assert client.ask(raw_request(272, 4, avps)).result_code == 2001
    used = fake.requests[-1].services[0].used
    assert used is not None and used.seconds == 50


def test_retransmission_gets_the_same_answer(server: GyServer, fake: FakeEngine) -> None:
    client = Client(server.port)
    client.ask(ccr("gw;rt", 1, 0, requested=100))
    first = client.ask(ccr("gw;rt", 2, 1, requested=100, used=100))
    again = client.ask(ccr("gw;rt", 2, 1, requested=100, used=100))
    granted = [
        answer.multiple_services_credit_control[0].granted_service_unit.cc_time
        for answer in (first, again)
    ]
    assert granted == [100, 100]
    assert fake.used == {"8613800138000": 100}


def test_engine_results_and_failures(server: GyServer) -> None:
    client = Client(server.port)
    assert client.ask(ccr("gw;u", 1, 0, requested=60, msisdn=UNKNOWN)).result_code == 5030
    answer = client.ask(ccr("gw;b", 1, 0, requested=60, msisdn=BROKEN))
    assert (answer.result_code, answer.session_id, answer.cc_request_type) == (5012, "gw;b", 1)
    assert not answer.header.is_error
    # The connection lives on.
    assert client.ask(ccr("gw;ok", 1, 0, requested=60)).result_code == 2001


def test_pipelined_requests_are_all_answered(server: GyServer, fake: FakeEngine) -> None:
    fake.credit["8613800138000"] = 10_000
    client = Client(server.port)
    client.send(b"".join(ccr(f"gw;p{i}", 1, 0, requested=10, hop=1000 + i) for i in range(50)))
    answers = [client.read() for _ in range(50)]
    assert sorted(a.header.hop_by_hop_identifier for a in answers) == list(range(1000, 1050))
    assert {a.result_code for a in answers} == {2001}
    assert fake.credit["8613800138000"] == 10_000 - 500


def _without(avps: list[Avp], code: int) -> list[Avp]:
    return [avp for avp in avps if avp.code != code]


@pytest.mark.parametrize("code", [263, 264, 296, 283, 258, 461, 416, 415, 443])
def test_missing_mandatory_avp_is_5005(server: GyServer, code: int) -> None:
    client = Client(server.port)
    avps = _without(ccr_avps("gw;m", 1, 0, requested=60), code)
    answer = client.ask(raw_request(272, 4, avps))
    assert answer.result_code == 5005
    assert failed_avp_codes(answer) == [code]
    assert not answer.header.is_error


def test_unknown_mandatory_avp_is_5001_and_unknown_optional_is_ignored(server: GyServer) -> None:
    client = Client(server.port)
    avps = ccr_avps("gw;x", 1, 0, requested=60)
    unknown_m = Avp(code=999_001, vendor_id=0, payload=b"\0\0\0\1", flags=0x40)
    answer = client.ask(raw_request(272, 4, [*avps, unknown_m]))
    assert answer.result_code == 5001
    assert failed_avp_codes(answer) == [999_001]
    unknown = Avp(code=999_002, vendor_id=0, payload=b"\0\0\0\1", flags=0x00)
    answer = client.ask(raw_request(272, 4, [*ccr_avps("gw;y", 1, 0, requested=60), unknown]))
    assert answer.result_code == 2001


def test_invalid_values_are_5004(server: GyServer) -> None:
    client = Client(server.port)
    answer = client.ask(ccr("gw;v", 9, 0, requested=60))
    assert (answer.result_code, failed_avp_codes(answer)) == (5004, [AVP_CC_REQUEST_TYPE])
    answer = client.ask(ccr("gw;v", 1, 0, requested=60, msisdn="not-a-number"))
    assert (answer.result_code, failed_avp_codes(answer)) == (5004, [443])
    avps = ccr_avps("gw;v", 1, 0)
    avps[0] = Avp(code=AVP_SESSION_ID, payload=b"\xff\xfe", flags=0x40)  # not UTF-8
    assert client.ask(raw_request(272, 4, avps)).result_code == 5004
    avps = ccr_avps("gw;v", 1, 0)
    avps[6] = Avp(code=AVP_CC_REQUEST_TYPE, payload=b"\0\1", flags=0x40)  # 2 bytes, not 4
    answer = client.ask(raw_request(272, 4, avps))
    assert answer.result_code in (5004, 5014)


def test_unknown_command_and_application(server: GyServer) -> None:
    client = Client(server.port)
    answer = client.ask(raw_request(271, 4, ccr_avps("gw;c", 1, 0)))
    assert (answer.result_code, answer.header.is_error) == (3001, True)
    answer = client.ask(ccr("gw;a", 1, 0, requested=60, app=16777238))
    assert (answer.result_code, answer.header.is_error) == (3007, True)


def _patched(data: bytes, offset: int, fmt: str, *values: int) -> bytes:
    buffer = bytearray(data)
    struct.pack_into(fmt, buffer, offset, *values)
    return bytes(buffer)


def test_bad_header_bits_version_and_avp_lengths(server: GyServer) -> None:
    client = Client(server.port)
    good = ccr("gw;h", 1, 0, requested=60, hop=77)
    # Reserved command flag bits, or the E bit on a request → 3008.
    answer = client.ask(_patched(good, 4, "!B", 0x80 | 0x01))
    assert (answer.result_code, answer.header.is_error) == (3008, True)
    assert answer.header.hop_by_hop_identifier == 77
    assert client.ask(_patched(good, 4, "!B", 0x80 | 0x20)).result_code == 3008
    # Version 2 → 5011.
    assert client.ask(_patched(good, 0, "!B", 2)).result_code == 5011
    # First AVP (Session-Id at offset 20) with length 4 (< 8), then one past the message end.
    bad = bytearray(good)
    bad[25:28] = (4).to_bytes(3, "big")
    answer = client.ask(bytes(bad))
    assert (answer.result_code, failed_avp_codes(answer)) == (5014, [AVP_SESSION_ID])
    bad = bytearray(good)
    bad[25:28] = (len(good)).to_bytes(3, "big")
    assert client.ask(bytes(bad)).result_code == 5014
    # An AVP with reserved flag bits → 3009.
    bad = bytearray(good)
    bad[24] = 0x40 | 0x01
    assert client.ask(bytes(bad)).result_code == 3009
    # The connection still serves.
    assert client.ask(ccr("gw;h2", 1, 0, requested=60)).result_code == 2001


def test_unframeable_input_closes_only_that_connection(server: GyServer) -> None:
    client = Client(server.port)
    client.send(b"\x01\x00\x00\x08garbage!")  # a message length below the 20-byte header
    assert client.closed()
    client = Client(server.port)
    client.send(b"\x01\xff\xff\xff" + b"\0" * 64)  # 16 MiB announced
    assert client.closed()
    client = Client(server.port, handshake=False)
    client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert client.closed()
    _still_serving(server)
    assert server.counters.closed_malformed == 3


def test_a_bad_peer_does_not_disturb_another(server: GyServer) -> None:
    good = Client(server.port)
    good.ask(ccr("gw;g", 1, 0, requested=60))
    bad = Client(server.port)
    bad.send(b"\x01\x00\x00\x10" + b"\xff" * 12)
    assert bad.closed()
    assert good.ask(ccr("gw;g", 3, 1, used=60)).result_code == 2001


def test_mutated_messages_never_crash_the_server(
    server: GyServer, caplog: pytest.LogCaptureFixture
) -> None:
    """500 CCRs with random bytes flipped (lengths, flags, codes, values): each is answered or
    its connection closed; nothing is logged as a failure and the server still serves."""
    import random

    rng = random.Random(4006)
    good = ccr("gw;fuzz", 1, 0, requested=60)
    client = Client(server.port)
    answered = closed = 0
    for _ in range(500):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            client.send(bytes(data))
            client.sock.settimeout(0.5)
            client.read_raw()
            answered += 1
        except (ConnectionError, TimeoutError, OSError):
            closed += 1
            client.close()
            client = Client(server.port)
    assert answered + closed == 500
    assert answered > 250
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    _still_serving(server)


def test_an_unfinished_message_closes_its_connection(fake: FakeEngine) -> None:
    with running_gy(fake, GySettings(cer_timeout_s=0.5, watchdog_s=0.3)) as server:
        client = Client(server.port)
        whole = ccr("gw;slow", 1, 0, requested=60)
        client.send(whole[:30])  # the header and a few bytes; the rest never comes
        assert client.closed()
        assert server.counters.closed_malformed == 1
        # A peer that is merely quiet gets watchdogs instead, and stays connected.
        quiet = Client(server.port)
        watchdog = quiet.read()
        assert (watchdog.header.command_code, watchdog.header.is_request) == (280, True)
        _still_serving(server)
