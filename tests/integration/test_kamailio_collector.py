"""SIP call accounting end to end: SIPp places calls through Kamailio (deploy/kamailio/
kamailio.cfg, acc module logging to stderr) to a SIPp answering side; the captured log is
decoded into voice rows."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest

from openbss.mediation.decoders.kamailio_acc import decode_kamailio_acc
from tests.support import need_executable

pytestmark = pytest.mark.external

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"
CALLS = 3
CALL_MS = 1000  # SIPp holds each call this long before its BYE
CALLED = "4000123"
SWITCH_ID = "kamailio-it"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def free_udp_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def udp_port_taken(port: int) -> bool:
    """Whether a process has bound the port — how we know a server is listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
        return False


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate, then kill: the process and its children (its own process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        process.wait(timeout=5)


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[Any]]]:
    started: list[subprocess.Popen[Any]] = []

    def start(
        command: list[str], *, stdout: IO[Any] | int, stderr: IO[Any] | int, cwd: Path
    ) -> subprocess.Popen[Any]:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            start_new_session=True,  # its own process group: stopped with its children
        )
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        stop_process(process)


def test_sipp_calls_through_kamailio_become_voice_rows(
    tmp_path: Path, spawn: Callable[..., subprocess.Popen[Any]]
) -> None:
    kamailio = need_executable("kamailio")
    sipp = need_executable("sipp")
    proxy_port, uas_port, uac_port = free_udp_ports(3)
    log_path = tmp_path / "kamailio.log"
    began = datetime.now(UTC)

    with log_path.open("wb") as log:
        proxy = spawn(
            [
                kamailio,
                "-DD",  # stay in the foreground
                "-E",  # log to stderr: the acc lines land in log_path
                "-f",
                str(CONFIG),
                "-A",
                f"SIP_LISTEN=udp:127.0.0.1:{proxy_port}",
                "-A",
                f'UPSTREAM="sip:127.0.0.1:{uas_port}"',
                "-A",
                f"SWITCH_ID={SWITCH_ID}",
                "-Y",
                str(tmp_path),
                "-P",
                str(tmp_path / "kamailio.pid"),
                "-m",
                "32",
                "-M",
                "4",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=tmp_path,
        )
        wait_until(
            lambda: proxy.poll() is not None or udp_port_taken(proxy_port), "Kamailio to listen"
        )
        assert proxy.poll() is None, log_path.read_text(errors="replace")

        uas = [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin"]
        answering = spawn(uas, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        wait_until(
            lambda: answering.poll() is not None or udp_port_taken(uas_port), "SIPp uas to listen"
        )
        assert answering.poll() is None

        uac = [sipp, "-sn", "uac", "-i", "127.0.0.1", "-p", str(uac_port), "-s", CALLED]
        uac += ["-m", str(CALLS), "-l", str(CALLS), "-r", "10", "-d", str(CALL_MS)]
        uac += ["-nostdin", "-timeout", "30", "-timeout_error", f"127.0.0.1:{proxy_port}"]
        calling = subprocess.run(uac, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert calling.returncode == 0, calling.stdout[-3000:] + calling.stderr[-3000:]

        # Kamailio writes the BYE's acc line as it relays the 200 OK: it may trail SIPp's exit.
        wait_until(
            lambda: log_path.read_text(errors="replace").count("method=BYE") == CALLS,
            "the BYE accounting lines",
        )
        stop_process(proxy)
    ended = datetime.now(UTC)

    decoded = decode_kamailio_acc(log_path)
    assert decoded.file_error is None
    rows = decoded.records.to_pylist()
    assert [row["decode_error"] for row in rows] == [None] * CALLS, rows
    assert len({row["call_reference"] for row in rows}) == CALLS
    for row in rows:
        assert (row["calling"], row["called"]) == ("sipp", CALLED)  # SIPp's From user, as dialled
        assert (row["service"], row["direction"]) == ("voice", "mo")
        assert row["switch_id"] == SWITCH_ID
        # The call is held CALL_MS exactly; signalling on loopback adds milliseconds, which
        # the half-up rounding to whole seconds absorbs.
        assert row["duration_s"] == CALL_MS // 1000
        assert began <= row["event_time"] <= ended
    assert decoded.sender == SWITCH_ID
    assert decoded.details["acc_lines"] == str(2 * CALLS)
    assert decoded.details["unanswered"] == "0"
