"""The operator's CLI on fallout: a failing network element, the trace, a retry.

Runs the real ``openbss`` command in subprocesses against a migrated SQLite file, the way an
operator on the box would; the order itself is submitted through the ordering service.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.ordering.models import ProductOrder
from openbss.ordering.service import product_orders
from tests.ordering_support import GD, bundle_order, sales_ready
from tests.support import cli_env, run_cli


def test_fallout_is_listed_traced_and_retried_from_the_cli(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(url)
    factory = make_session_factory(engine)
    sales = sales_ready(factory)
    with unit_of_work(factory) as session:
        order_id = product_orders.create(session, GD, bundle_order(sales)).id

    listed = run_cli(env, tmp_path, "oss", "ne", "list", "--province", "GD")
    assert listed.returncode == 0 and "GD-BRAS-01" in listed.stdout, listed.stderr
    broken = run_cli(env, tmp_path, "oss", "ne", "set", "GD-BRAS-01", "--mode", "reject")
    assert broken.returncode == 0, broken.stderr
    assert run_cli(env, tmp_path, "orders", "work", "--once").returncode == 0

    fallout = run_cli(env, tmp_path, "orders", "fallout", "list")
    assert fallout.returncode == 0, fallout.stderr
    assert order_id in fallout.stdout and "1 order(s) in fallout" in fallout.stderr
    trace = run_cli(env, tmp_path, "orders", "trace", order_id)
    assert trace.returncode == 0, trace.stderr
    for step in ("acknowledged", "provision", "compensate", "fallout", "permanent", "success"):
        assert step in trace.stdout, (step, trace.stdout)

    not_failed = run_cli(env, tmp_path, "orders", "fallout", "retry", "no-such-order")
    assert not_failed.returncode == 1 and "not found" in not_failed.stderr
    assert (
        run_cli(env, tmp_path, "oss", "ne", "set", "GD-BRAS-01", "--mode", "accept").returncode == 0
    )
    retried = run_cli(env, tmp_path, "orders", "fallout", "retry", order_id)
    assert retried.returncode == 0 and "round 2" in retried.stderr, retried.stderr
    assert run_cli(env, tmp_path, "orders", "work", "--once").returncode == 0
    with Session(engine) as session:
        order = session.get(ProductOrder, order_id)
        assert order is not None and order.state == "completed"
    assert "0 order(s) in fallout" in run_cli(env, tmp_path, "orders", "fallout", "list").stderr
    engine.dispose()
