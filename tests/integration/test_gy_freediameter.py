"""freeDiameter (the Debian ``freediameter`` daemon, an independent RFC 6733 implementation)
as a peer of the Gy server: it connects, exchanges capabilities (CER/CEA) and keeps the
connection with watchdogs in both directions (its DWR answered, our DWR answered by it), then
disconnects with DPR/DPA when stopped."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from openbss.charging.gy.server import GyServer, GySettings
from tests.charging_gateway_support import FakeEngine, running_gy
from tests.support import need_executable

pytestmark = [pytest.mark.external, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def free_diameter(directory: Path, server: GyServer) -> Iterator[subprocess.Popen[str]]:
    daemon = need_executable("freeDiameterd")
    openssl = need_executable("openssl")
    # freeDiameter insists on TLS credentials even for a peer it reaches without TLS.
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
         "-subj", "/CN=pcef.test.local"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    conf = directory / "freeDiameter.conf"
    conf.write_text(
        f"""Identity = "pcef.test.local";
Realm = "test.local";
Port = {_free_port()};
SecPort = {_free_port()};
ListenOn = "127.0.0.1";
No_SCTP;
No_IPv6;
TwTimer = 6;
TLS_Cred = "{directory / "cert.pem"}", "{directory / "key.pem"}";
TLS_CA = "{directory / "cert.pem"}";
ConnectPeer = "ocs.openbss.local" {{ ConnectTo = "127.0.0.1"; Port = {server.port}; No_TLS;
    Realm = "openbss.local"; }};
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [daemon, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_freediameter_opens_the_connection_and_sends_watchdogs(tmp_path: Path) -> None:
    with running_gy(FakeEngine(), GySettings(watchdog_s=60)) as server:
        with free_diameter(tmp_path, server) as peer:
            assert _wait(lambda: server.counters.peers_opened == 1, 20), "no CER came"
            # freeDiameter's Tw is 6 s with a jitter of ±2 s.
            assert _wait(lambda: server.counters.watchdogs_answered >= 1, 15), "no DWR came"
            peer.terminate()
            output, _ = peer.communicate(timeout=30)
        assert "'STATE_WAITCEA'\t-> 'STATE_OPEN'\t'ocs.openbss.local'" in output
        assert "Result-Code(268)[-M]='DIAMETER_SUCCESS'" in output
        assert "Auth-Application-Id(258)[-M]=4" in output
        assert server.counters.disconnects == 1  # DPR on shutdown, answered with DPA


def test_freediameter_answers_our_watchdogs(tmp_path: Path) -> None:
    with (
        running_gy(FakeEngine(), GySettings(watchdog_s=1.5)) as server,
        free_diameter(tmp_path, server),
    ):
        assert _wait(lambda: server.counters.peers_opened == 1, 20), "no CER came"
        assert _wait(lambda: server.counters.watchdogs_acknowledged >= 2, 10)
        assert server.counters.peers_opened == 1  # the connection stayed up
