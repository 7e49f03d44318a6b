"""Listing commands for scripts and people: every one with ``--format json`` parses, CSV
has its header, ids are whole in piped output at 80 columns, times carry the province's
offset; reconcile by traffic day; finding a record to explain; event deliveries listed and
sent again.

One small world (a line, three calls on 3 March 2026, rated; two event deliveries) is built
once through the services; the commands run in-process with Typer's CliRunner, and one in
a real subprocess.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.migrate import upgrade
from openbss.db.uow import unit_of_work
from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription
from openbss.events.outbox import emit
from openbss.kit.settings import get_settings
from openbss.ordering.models import ProductOrder
from openbss.rating.runs import rate_period
from tests.cli_support import cli_database, invoke
from tests.rating_support import PERIOD, call, line, mediate, national, rating_ready
from tests.support import cli_env, run_cli

# Tuesday 3 March 2026, 07:30 in Guangzhou is 23:30 UTC on 2 March: the traffic day (3
# March, local) and the UTC date differ, so a UTC day would be caught.
EARLY = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
CALLBACK = "https://listener.example.com/tmf-api/hub/very/long/callback/path/of/a/listener"


@dataclass(frozen=True)
class World:
    directory: Path
    number: str
    order_id: str
    record_ids: list[str]
    dead_id: int
    pending_id: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("cli-formats")
    with cli_database(directory) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        sales = rating_ready(factory)
        number = line(factory, sales)
        rows = [
            call(0, national(number), EARLY, "02087654321", 200),
            call(1, national(number), EARLY + timedelta(minutes=5), "01062345678", 61),
            call(2, national(number), EARLY + timedelta(minutes=9), "0033123456", 10),
        ]
        outcome = mediate(factory, directory, rows, "GZ-SW01_0001.csv")
        assert outcome.normalised == 3, outcome
        rated = rate_period(factory, get_settings().data_dir, "GD", PERIOD, workers=1)
        assert rated.records == 3
        with unit_of_work(factory) as session:
            order_id = session.scalars(select(ProductOrder.id)).first()
            assert order_id is not None
            session.add(
                HubSubscription(
                    id="sub-1",
                    api="rating",
                    callback=CALLBACK,
                    resources=["test"],
                    secret="listener-secret",
                    created_by="t",
                )
            )
            event = emit(session, "rating", "TestEvent", "test", {"id": "x"}, "GD")
            session.flush()
            dead = EventDelivery(
                event_id=event.id,
                subscription_id="sub-1",
                callback=CALLBACK,
                status=DeliveryStatus.DEAD,
                attempts=8,
                last_error="listener answered HTTP 503",
            )
            pending = EventDelivery(event_id=event.id, subscription_id="sub-1", callback=CALLBACK)
            session.add_all([dead, pending])
            session.flush()
            dead_id, pending_id = dead.id, pending.id
        found = invoke(
            "rating",
            "find",
            "--number",
            number,
            "--from",
            "2026-03-03",
            "--to",
            "2026-03-04",
            "--format",
            "json",
        )
        assert found.code == 0, found.stderr
        record_ids = [row["record_id"] for row in json.loads(found.stdout)]
        yield World(directory, number, order_id, record_ids, dead_id, pending_id)
        engine.dispose()


@pytest.fixture
def in_world(world: World) -> Iterator[World]:
    with cli_database(world.directory):
        yield world


def _listings(world: World) -> list[list[str]]:
    return [
        ["auth", "list-keys"],
        ["events", "list"],
        ["events", "list", "--status", "dead"],
        ["orders", "fallout", "list"],
        ["orders", "trace", world.order_id],
        ["oss", "ne", "list", "--province", "GD"],
        ["numbers", "pool", "list"],
        ["numbers", "search", "--kind", "fixed", "--area-code", "020", "--limit", "3"],
        ["mediation", "reconcile"],
        ["mediation", "reconcile", "--by", "received"],
        ["rating", "adjustments"],
        ["rating", "counters", "--period", PERIOD],
        ["rating", "tariff", "list"],
        ["rating", "find", "--number", world.number, "--from", "2026-03-01", "--to", "2026-04-01"],
        ["billing", "exceptions"],
    ]


def test_every_listing_command_prints_json_csv_and_json_lines(in_world: World) -> None:
    for command in _listings(in_world):
        as_json = invoke(*command, "--format", "json")
        assert as_json.code == 0, (command, as_json.stderr)
        parsed = json.loads(as_json.stdout)
        assert isinstance(parsed, list), command
        assert all(isinstance(row, dict) for row in parsed), command

        as_csv = invoke(*command, "--format", "csv")
        assert as_csv.code == 0, (command, as_csv.stderr)
        table = list(csv.reader(io.StringIO(as_csv.stdout)))
        assert len(table) == len(parsed) + 1, command  # the header, then one line a row
        if parsed:
            assert table[0] == list(parsed[0]), command

        as_lines = invoke(*command, "--format", "jsonl")
        assert as_lines.code == 0, (command, as_lines.stderr)
        assert [json.loads(x) for x in as_lines.stdout.splitlines()] == parsed, command


def test_json_carries_values_and_local_times(in_world: World) -> None:
    found = json.loads(
        invoke(
            "rating",
            "find",
            "--number",
            in_world.number,
            "--from",
            "2026-03-03T07:00",
            "--to",
            "2026-03-03T08:00",
            "--format",
            "json",
        ).stdout
    )
    assert [row["amount_li"] for row in found] == [330, 770, 0]
    assert found[0]["event_time"] == "2026-03-03T07:30:00+08:00"
    assert found[2]["error"] == "UNKNOWN_DESTINATION"
    assert found[0]["calling"] == in_world.number and found[0]["period"] == PERIOD

    # The found ids are what `rating explain` takes.
    explained = invoke("rating", "explain", found[1]["record_id"], "--format", "json")
    assert explained.code == 0, explained.stderr
    assert json.loads(explained.stdout)["destination"] == "Beijing"

    # Outside the range, nothing: a warning, still a success.
    later = invoke(
        "rating",
        "find",
        "--number",
        in_world.number,
        "--from",
        "2026-03-03T08:00",
        "--to",
        "2026-03-03T09:00",
    )
    assert later.code == 0 and "warning: no rated record" in later.stderr

    table = invoke("rating", "find", "--number", in_world.number, "--from", "2026-03-03",
                   "--to", "2026-03-04")  # fmt: skip
    assert "2026-03-03 07:30:00 +08:00" in table.stdout


def test_reconcile_counts_the_traffic_day_and_the_received_day(in_world: World) -> None:
    traffic = json.loads(invoke("mediation", "reconcile", "--format", "json").stdout)
    assert [(r["source"], r["day"]) for r in traffic] == [("GZ-SW01", "2026-03-03")]
    line = traffic[0]
    assert (line["records_in"], line["normalised"], line["files"]) == (3, 3, 1)
    assert (line["rated"], line["rating_errors"], line["not_rated"]) == (2, 1, 0)
    assert line["balanced"] is True

    on_day = invoke("mediation", "reconcile", "--day", "2026-03-03", "--format", "json")
    assert json.loads(on_day.stdout) == traffic
    # The UTC date of the calls is not their traffic day.
    utc_day = invoke("mediation", "reconcile", "--day", "2026-03-02", "--format", "json")
    assert json.loads(utc_day.stdout) == [] and "warning: no mediated usage" in utc_day.stderr

    # Received: the file arrived (mediate freezes the clock at the last call) on 3 March too,
    # and the batch view counts the same records.
    received = json.loads(invoke("mediation", "reconcile", "--by", "received", "--format",
                                 "json").stdout)  # fmt: skip
    assert [(r["day"], r["records_in"], r["rated"]) for r in received] == [("2026-03-03", 3, 2)]


def test_reconcile_by_traffic_day_notices_a_part_missing_from_the_store(
    in_world: World, tmp_path: Path
) -> None:
    part = next((in_world.directory / "usage" / "normalised").rglob("part-*.parquet"))
    hidden = tmp_path / part.name
    part.rename(hidden)
    try:
        lost = invoke("mediation", "reconcile", "--format", "json")
        assert lost.code == 2
        assert json.loads(lost.stdout)[0]["balanced"] is False
    finally:
        hidden.rename(part)
    assert invoke("mediation", "reconcile").code == 0


def test_ids_stay_whole_at_80_columns_when_piped(in_world: World) -> None:
    found = invoke(
        "rating",
        "find",
        "--number",
        in_world.number,
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-01",
        columns=80,
    )
    assert found.code == 0, found.stderr
    lines = found.stdout.splitlines()
    for record_id in in_world.record_ids:
        assert any(record_id in text for text in lines), (record_id, found.stdout)
    events = invoke("events", "list", columns=80)
    assert any(CALLBACK in text for text in events.stdout.splitlines()), events.stdout
    trace = invoke("orders", "trace", in_world.order_id, columns=80)
    assert in_world.order_id in trace.stdout or "+08:00" in trace.stdout


def test_a_real_pipe_at_80_columns_keeps_ids_whole(world: World) -> None:
    env, _ = cli_env(world.directory)
    env["COLUMNS"] = "80"
    listed = run_cli(env, world.directory, "events", "list", "--status", "dead")
    assert listed.returncode == 0, listed.stderr
    assert CALLBACK in listed.stdout and "listener answered HTTP 503" in listed.stdout
    assert "+08:00" in listed.stdout


def test_dead_deliveries_are_listed_and_sent_again(in_world: World) -> None:
    dead = json.loads(invoke("events", "list", "--status", "dead", "--format", "json").stdout)
    assert [row["id"] for row in dead] == [in_world.dead_id]
    assert dead[0]["attempts"] == 8 and dead[0]["callback"] == CALLBACK

    delivered = invoke("events", "retry", "999999")
    assert delivered.code == 1 and "no event delivery 999999" in delivered.stderr
    retried = invoke("events", "retry", str(in_world.dead_id))
    assert retried.code == 0, retried.stderr
    assert json.loads(invoke("events", "list", "--status", "dead", "--format", "json").stdout) == []
    pending = json.loads(invoke("events", "list", "--status", "pending", "--format", "json").stdout)
    again = next(row for row in pending if row["id"] == in_world.dead_id)
    assert again["attempts"] == 0

    nothing = invoke("events", "retry", "--all-dead")
    assert nothing.code == 0 and "warning: no dead deliveries" in nothing.stderr


def test_ne_set_prints_the_element_not_a_python_dict(in_world: World) -> None:
    invoke("oss", "ne", "list", "--province", "GD")
    changed = invoke("oss", "ne", "set", "GD-BRAS-01", "--mode", "reject", "--format", "json")
    assert changed.code == 0, changed.stderr
    element = json.loads(changed.stdout)
    assert element["code"] == "GD-BRAS-01" and element["mode"] == "reject"
    shown = invoke("oss", "ne", "set", "GD-BRAS-01", "--mode", "accept")
    assert shown.code == 0 and "{" not in shown.stdout + shown.stderr
    assert "accept" in shown.stdout
