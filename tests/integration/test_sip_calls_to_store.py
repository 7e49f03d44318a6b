"""Calls placed by SIPp through Kamailio (acc module) from a real subscriber's number arrive
in the usage store as voice usage guided to the subscriber's fixed line."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.clock import frozen_at
from openbss.mediation import store
from openbss.mediation.collector import collect
from openbss.mediation.pipeline import Ingest
from tests.integration.test_kamailio_collector import (
    free_udp_ports,
    spawn,
    stop_process,
    udp_port_taken,
    wait_until,
)
from tests.ordering_support import sales_ready
from tests.service.test_mediation_pipeline import _subscriber
from tests.support import need_executable

pytestmark = pytest.mark.external

__all__ = ["spawn"]  # the fixture, used by name
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"
SCENARIO = Path(__file__).resolve().parents[2] / "deploy" / "sipp" / "uac_subscriber.xml"
CALLS = 2
CALL_MS = 2000
CALLED = "87654321"  # a local number in the caller's area (020)


def test_sipp_calls_from_a_subscriber_become_guided_voice_usage(
    tmp_path: Path,
    spawn: Callable[..., subprocess.Popen[Any]],
    session_factory: sessionmaker[Session],
) -> None:
    kamailio = need_executable("kamailio")
    sipp = need_executable("sipp")
    sales = sales_ready(session_factory)
    number = _subscriber(session_factory, sales, datetime.now(UTC) - timedelta(days=1))
    national = "0" + number.removeprefix("+86")
    injection = tmp_path / "callers.csv"
    injection.write_text(f"SEQUENTIAL\n{national};\n")
    proxy_port, uas_port, uac_port = free_udp_ports(3)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    log_path = tmp_path / "kamailio-acc.log.part"
    with log_path.open("wb") as log:
        proxy = spawn(
            [kamailio, "-DD", "-E", "-f", str(CONFIG),
             "-A", f"SIP_LISTEN=udp:127.0.0.1:{proxy_port}",
             "-A", f'UPSTREAM="sip:127.0.0.1:{uas_port}"',
             "-A", "SWITCH_ID=GZ-SIP01",
             "-Y", str(tmp_path), "-P", str(tmp_path / "kamailio.pid"), "-m", "32", "-M", "4"],
            stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path,
        )  # fmt: skip
        wait_until(lambda: proxy.poll() is not None or udp_port_taken(proxy_port), "Kamailio")
        uas = [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin"]
        answering = spawn(uas, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        wait_until(lambda: answering.poll() is not None or udp_port_taken(uas_port), "SIPp uas")
        uac = [sipp, "-sf", str(SCENARIO), "-inf", str(injection), "-i", "127.0.0.1"]
        uac += ["-p", str(uac_port), "-s", CALLED, "-m", str(CALLS), "-l", "1", "-r", "10"]
        uac += ["-d", str(CALL_MS), "-nostdin", "-timeout", "30"]
        uac += ["-timeout_error", f"127.0.0.1:{proxy_port}"]
        calling = subprocess.run(uac, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert calling.returncode == 0, calling.stdout[-3000:] + calling.stderr[-3000:]
        wait_until(
            lambda: log_path.read_text(errors="replace").count("method=BYE") == CALLS,
            "the BYE accounting lines",
        )
        stop_process(proxy)
    log_path.rename(inbox / "GZ-SIP01-acc.log")  # a closed log, delivered to mediation

    ingest = Ingest(session_factory, tmp_path / "data", "GD", default_area="020")
    with frozen_at(datetime.now(UTC)):
        [outcome] = collect(ingest, inbox).outcomes
    assert (outcome.status, outcome.records_in, outcome.normalised) == ("done", CALLS, CALLS)
    usage = store.scan(ingest.data_dir, "normalised", "GD")
    assert usage is not None
    rows = usage.collect().to_dicts()
    assert len(rows) == CALLS
    for row in rows:
        assert (row["service"], row["calling"], row["called"]) == ("voice", number, "+862087654321")
        assert row["duration_s"] == CALL_MS // 1000
        assert row["product_id"] is not None and row["switch_id"] == "GZ-SIP01"
