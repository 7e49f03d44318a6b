"""The RADIUS accounting collector end to end: a real client (FreeRADIUS radclient) and raw
UDP packets in, durable spool files out, decoded by the spool decoder."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pyrad.dictionary import Dictionary
from pyrad.packet import AcctPacket

from openbss.mediation.collectors import radius
from openbss.mediation.collectors.radius import RadiusAccountingServer, SpoolError
from openbss.mediation.decoders.radius_acct import decode_radius_spool
from tests.support import need_executable

pytestmark = pytest.mark.external

SECRET = b"testing123-openbss"
T0 = 1_740_823_200  # 2025-03-01T10:00:00Z
GIGAWORD = 2**32


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def make_server(spool_dir: Path) -> Iterator[Callable[..., RadiusAccountingServer]]:
    servers: list[RadiusAccountingServer] = []

    def make(**options: Any) -> RadiusAccountingServer:
        settings: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "secret": SECRET,
            "spool_dir": spool_dir,
        }
        settings.update(options)
        server = RadiusAccountingServer(**settings)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


def closed_files(spool_dir: Path) -> list[Path]:
    return sorted(spool_dir.glob("radius-*.jsonl"))


# -- with radclient --------------------------------------------------------------------------


def radclient(port: int, secret: str, attributes: str, *, tries: int = 3, wait: float = 1.0) -> str:
    """Send one Accounting-Request with radclient; its debug output (empty on no reply)."""
    command = [need_executable("radclient"), "-x", "-t", str(wait), "-r", str(tries)]
    result = subprocess.run(
        [*command, f"127.0.0.1:{port}", "acct", secret],
        input=attributes,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout if result.returncode == 0 else ""


def test_radclient_session_is_spooled_once_and_decoded_exactly(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path
) -> None:
    need_executable("radclient")
    server = make_server()
    common = (
        'User-Name = "alice@isp", Acct-Session-Id = "0A0B0C0D", NAS-IP-Address = 10.1.2.3, '
        'NAS-Port = 7, Framed-IP-Address = 100.64.0.9, Calling-Station-Id = "00-11-22-33-44-55"'
    )
    packets = [
        f"{common}, Acct-Status-Type = Start, Event-Timestamp = {T0}",
        f"{common}, Acct-Status-Type = Interim-Update, Acct-Session-Time = 600, "
        f"Acct-Input-Octets = 1000, Acct-Input-Gigawords = 1, Acct-Output-Octets = 2000, "
        f"Event-Timestamp = {T0 + 600}",
        f"{common}, Acct-Status-Type = Stop, Acct-Session-Time = 1234, "
        f"Acct-Input-Octets = 5000, Acct-Input-Gigawords = 2, Acct-Output-Octets = 7000, "
        f"Acct-Output-Gigawords = 0, Acct-Terminate-Cause = User-Request, "
        f"Acct-Delay-Time = 2, Event-Timestamp = {T0 + 1234}",
    ]
    for attributes in packets:
        output = radclient(server.bound_port, SECRET.decode(), attributes)
        assert "Received Accounting-Response" in output
    server.stop()

    [path] = closed_files(spool_dir)
    assert not list(spool_dir.glob("*.part"))
    assert path.stat().st_mode & 0o037 == 0  # personal data: no access for others
    decoded = decode_radius_spool(path)
    assert decoded.sequence == 1
    [row] = decoded.records.to_pylist()
    assert row["decode_error"] is None
    assert row["volume_up"] == 2 * GIGAWORD + 5000
    assert row["volume_down"] == 7000
    assert row["duration_s"] == 1234
    assert row["event_time"] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert (row["account_name"], row["calling"]) == ("alice@isp", "00-11-22-33-44-55")
    assert (row["switch_id"], row["call_reference"]) == ("10.1.2.3", "0A0B0C0D")
    assert server.stats["dropped_bad_authenticator"] == 0


def test_radclient_with_a_wrong_secret_gets_no_answer_and_nothing_is_spooled(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path
) -> None:
    need_executable("radclient")
    server = make_server()
    attributes = 'User-Name = "bob", Acct-Status-Type = Start, Acct-Session-Id = "s-9"'
    assert radclient(server.bound_port, "not-the-secret", attributes, tries=1, wait=0.3) == ""
    server.stop()
    assert server.stats["dropped_bad_authenticator"] == 1
    assert server.stats["spooled"] == 0
    assert closed_files(spool_dir) == []


# -- with raw packets (pyrad on the client side) ---------------------------------------------

DICTIONARY = Dictionary(str(radius.DICTIONARY_PATH))


def request(ident: int, secret: bytes = SECRET, **attributes: object) -> AcctPacket:
    pkt = AcctPacket(id=ident, secret=secret, dict=DICTIONARY)
    values = {"Acct-Session-Id": f"s-{ident}", "Acct-Status-Type": "Stop"}
    values |= {name.replace("_", "-"): value for name, value in attributes.items()}
    for name, value in values.items():
        pkt[name] = value
    return pkt


@pytest.fixture
def client() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def exchange(sock: socket.socket, port: int, data: bytes) -> bytes:
    sock.sendto(data, ("127.0.0.1", port))
    reply, _ = sock.recvfrom(4096)
    return reply


def assert_no_reply(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        with pytest.raises(BlockingIOError):
            sock.recvfrom(4096)
    finally:
        sock.settimeout(5)


def test_reply_is_a_valid_accounting_response_and_retransmissions_are_answered_again(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path, client: socket.socket
) -> None:
    server = make_server()
    pkt = request(1, Acct_Session_Time=60, Acct_Input_Octets=10, Acct_Output_Octets=20)
    data = pkt.RequestPacket()
    for _ in range(2):  # the NAS did not hear the first answer and sends the same packet
        reply = exchange(client, server.bound_port, data)
        assert pkt.VerifyReply(pkt.CreateReply(packet=reply), reply)
    server.stop()

    [path] = closed_files(spool_dir)
    assert len(path.read_text().splitlines()) == 2  # spooled twice ...
    decoded = decode_radius_spool(path)
    assert decoded.records.num_rows == 1  # ... counted once
    assert decoded.details["duplicates"] == "1"
    line = json.loads(path.read_text().splitlines()[0])
    assert bytes.fromhex(line["packet"]) == data
    assert line["attributes"]["Acct-Status-Type"] == [2]


def test_unknown_clients_and_garbage_are_dropped_without_answer(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path, client: socket.socket
) -> None:
    server = make_server(clients={"192.0.2.7": SECRET})
    client.sendto(request(1).RequestPacket(), ("127.0.0.1", server.bound_port))
    wait_until(lambda: server.stats["dropped_unknown_client"] == 1, "the drop")
    assert_no_reply(client)
    server.stop()
    assert closed_files(spool_dir) == []

    other = make_server(spool_dir=spool_dir / "other")
    client.sendto(b"\x04\x01\x00\xff" + b"\x00" * 10, ("127.0.0.1", other.bound_port))
    access_request = request(2).RequestPacket()
    client.sendto(b"\x01" + access_request[1:], ("127.0.0.1", other.bound_port))
    wait_until(lambda: other.stats["received"] == 2, "the packets")
    assert other.stats["dropped_malformed"] == 1
    assert other.stats["dropped_unsupported_code"] == 1
    assert_no_reply(client)


def test_no_answer_when_the_spool_cannot_be_synced(
    make_server: Callable[..., RadiusAccountingServer],
    spool_dir: Path,
    client: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server()
    data = request(1, Acct_Session_Time=5, Acct_Input_Octets=1, Acct_Output_Octets=1)
    data_bytes = data.RequestPacket()

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(radius.os, "fsync", broken_fsync)
    client.sendto(data_bytes, ("127.0.0.1", server.bound_port))
    wait_until(lambda: server.stats["spool_errors"] == 1, "the spool error")
    assert_no_reply(client)
    monkeypatch.undo()

    exchange(client, server.bound_port, data_bytes)  # the NAS retransmits; now it is safe
    server.stop()
    files = closed_files(spool_dir)
    decoded = [decode_radius_spool(path) for path in files]
    # The file that failed is closed as it stands (here empty): no sequence number is lost.
    assert [(d.sequence, d.records.num_rows) for d in decoded] == [(1, 0), (2, 1)]


def test_rotation_by_packets_gives_increasing_sequence_numbers(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path, client: socket.socket
) -> None:
    server = make_server(rotate_packets=2)
    for ident in range(5):
        exchange(client, server.bound_port, request(ident).RequestPacket())
    assert len(closed_files(spool_dir)) == 2  # closed while serving, before stop
    server.stop()
    files = closed_files(spool_dir)
    sequences = [decode_radius_spool(path).sequence for path in files]
    assert sequences == [1, 2, 3]
    assert [len(path.read_text().splitlines()) for path in files] == [2, 2, 1]


def test_rotation_by_time_closes_a_quiet_file(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path, client: socket.socket
) -> None:
    server = make_server(rotate_seconds=0.05)
    exchange(client, server.bound_port, request(1).RequestPacket())
    wait_until(lambda: len(closed_files(spool_dir)) == 1, "the time rotation")
    assert server.stats["files_closed"] == 1


def test_restart_closes_files_left_open_and_continues_the_sequence(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path, client: socket.socket
) -> None:
    spool_dir.mkdir()
    (spool_dir / ".radius-sequence").write_text("41\n")
    left_open = spool_dir / "radius-20250301T100000Z-000041.jsonl.part"
    left_open.write_text("")
    server = make_server()
    assert not left_open.exists()
    assert (spool_dir / "radius-20250301T100000Z-000041.jsonl").exists()
    exchange(client, server.bound_port, request(1).RequestPacket())
    server.stop()
    assert decode_radius_spool(closed_files(spool_dir)[-1]).sequence == 42
    assert (spool_dir / ".radius-sequence").read_text() == "42\n"


def test_one_server_per_spool_directory(
    make_server: Callable[..., RadiusAccountingServer], spool_dir: Path
) -> None:
    make_server()
    with pytest.raises(SpoolError):
        RadiusAccountingServer(host="127.0.0.1", port=0, secret=SECRET, spool_dir=spool_dir)


def test_spool_lines_are_synced_before_the_answer(
    make_server: Callable[..., RadiusAccountingServer],
    client: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen_at_fsync: list[bool] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # Loopback delivers at once: an answer sent before this fsync would be queued already.
        readable, _, _ = select.select([client], [], [], 0)
        seen_at_fsync.append(bool(readable))
        real_fsync(fd)

    server = make_server()
    monkeypatch.setattr(radius.os, "fsync", fsync)
    exchange(client, server.bound_port, request(1).RequestPacket())
    assert seen_at_fsync
    assert not any(seen_at_fsync)
