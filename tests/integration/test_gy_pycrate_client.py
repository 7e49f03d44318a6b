"""CCR-I/U/T from an independent Diameter implementation: pycrate encodes the requests and
decodes the answers (the server uses python-diameter), over a real TCP connection."""

from __future__ import annotations

import pytest

from tests.charging_gateway_support import FakeEngine, running_gy
from tests.pycrate_gy import PycrateClient, ccr, cer

pytestmark = pytest.mark.external

MSISDN = "8613800138000"


def test_credit_control_session_from_pycrate() -> None:
    fake = FakeEngine()
    with running_gy(fake) as server:
        client = PycrateClient("127.0.0.1", server.port)
        cea = client.ask(cer())
        assert (cea[268], cea[258], cea[264]) == ([2001], [4], [b"ocs.openbss.local"])

        initial = client.ask(
            ccr("pgw;42;1", 1, 0, MSISDN, requested={420: 400}, called="8613912345678", hop=7)
        )
        assert (initial["hop"], initial["error"]) == (7, False)
        assert (initial[263], initial[268], initial[416], initial[415]) == (
            ["pgw;42;1"], [2001], [1], [0])  # fmt: skip
        assert initial[456] == [{432: [100], 431: [{420: [400]}], 448: [60], 268: [2001]}]

        update = client.ask(ccr("pgw;42;1", 2, 1, MSISDN, requested={420: 400}, used={420: 350}))
        # The last 250 s of credit, with Final-Unit-Indication / Final-Unit-Action TERMINATE (0).
        assert update[456] == [
            {432: [100], 431: [{420: [250]}], 448: [60], 268: [2001], 430: [{449: [0]}]}
        ]
        final = client.ask(ccr("pgw;42;1", 3, 2, MSISDN, used={420: 100}))
        assert (final[268], final[416], final[415]) == ([2001], [3], [2])
        assert 456 not in final
        client.close()
    assert fake.used == {MSISDN: 450}
    first = fake.requests[0]
    assert (first.subscriber, first.called, first.origin.startswith("127.0.0.1:")) == (
        MSISDN, "8613912345678", True)  # fmt: skip


def test_volume_and_message_units_from_pycrate() -> None:
    fake = FakeEngine()
    with running_gy(fake) as server:
        client = PycrateClient("127.0.0.1", server.port)
        client.ask(cer())
        client.ask(ccr("pgw;d;1", 1, 0, MSISDN, rating_group=300, requested={421: 1_048_576}))
        client.ask(ccr("pgw;d;1", 3, 1, MSISDN, rating_group=300, used={412: 1000, 414: 24}))
        client.ask(ccr("pgw;s;1", 4, 0, MSISDN, rating_group=200, requested={417: 1}))
        client.close()
    data_request, data_final, sms = fake.requests
    assert data_request.services[0].requested is not None
    assert data_request.services[0].requested.octets == 1_048_576
    assert data_final.services[0].used is not None
    assert data_final.services[0].used.octets == 1024  # CC-Input + CC-Output octets
    assert (sms.request_type.name, sms.services[0].rating_group) == ("EVENT", 200)
    assert sms.services[0].requested is not None and sms.services[0].requested.messages == 1
