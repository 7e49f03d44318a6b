"""``make demo``'s steps (scripts/demo.sh) at a small scale in a directory of its own: the
demo province billed for the previous month from a month of generated switch traffic, the
bill run summarised, and a second run of the script billing nothing twice."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.billing.models import BillingPeriod, BillItem, BillRun, CustomerBill, RunStatus
from openbss.db.engine import make_engine, make_session_factory
from openbss.inventory.models import Product
from openbss.kit.clock import now
from openbss.kit.money import RoundingRule, format_fen, li_to_fen
from openbss.rating.public import rated_usage
from tests.support import cli_env

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo.sh"
SMALL = {
    "DEMO_CUSTOMERS": "24",
    "DEMO_ENTERPRISES": "2",
    "DEMO_SUBSCRIPTIONS": "14",
    "DEMO_FILES": "1",
    "DEMO_RECORDS": "30",
}


def _previous_month() -> str:
    local = now().astimezone(ZoneInfo("Asia/Shanghai"))
    return (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _demo(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


def _cell(output: str, label: str) -> str:
    found = re.search(rf"│ {re.escape(label)} +│ (\S+)", output)
    assert found is not None, (label, output)
    return found.group(1)


def _usage_fen_due(session: Session, data_dir: Path, period: str, accounts: set[str]) -> int:
    """The rated usage of ``accounts`` as bills carry it: per account, product and service,
    the summed li rounded half-up to fen once."""
    frame = (
        rated_usage(session, data_dir, "GD", period)
        .filter(pl.col("error").is_null() & pl.col("billing_account_id").is_in(sorted(accounts)))
        .group_by("billing_account_id", "product_id", "service")
        .agg(pl.col("amount_li").sum())
        .collect()
    )
    return sum(li_to_fen(int(li), RoundingRule.HALF_UP) for li in frame["amount_li"])


def test_the_demo_bills_the_previous_month_once(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    env |= SMALL | {"OPENBSS": shlex.join([sys.executable, "-m", "openbss.cli.main"])}
    env.pop("OPENBSS_TIMEZONE", None)
    period = _previous_month()

    first = _demo(tmp_path, env)
    assert first.returncode == 0, first.stderr[-4000:]
    run_id = _cell(first.stdout, "run")
    assert f"traffic of {period}-01 to" in first.stderr
    # A file per switch and day, the switch's sequence numbers running on across the days.
    archived = [p.name for p in (tmp_path / "inbox" / "switch" / "archive").rglob("*-SW01_*")]
    by_switch: dict[str, list[tuple[str, int]]] = {}
    for name in archived:
        switch, day, sequence = name.split(".")[0].split("_")
        by_switch.setdefault(switch, []).append((day, int(sequence)))
    following = (date.fromisoformat(f"{period}-01") + timedelta(days=31)).replace(day=1)
    days = (following - date.fromisoformat(f"{period}-01")).days
    for files in by_switch.values():
        assert [seq for _, seq in sorted(files)] == list(range(1, days + 1))
        assert len({day for day, _ in files}) == days

    factory = make_session_factory(make_engine(url))
    with factory() as session:
        billed_period = session.get(BillingPeriod, ("GD", period))
        assert billed_period is not None and billed_period.run_id == run_id
        run = session.get(BillRun, run_id)
        assert run is not None and run.status == RunStatus.FINALISED
        assert run.exceptions == 0 and run.bills == run.accounts_due > 0
        with_products = set(
            session.scalars(
                select(Product.billing_account_id).where(Product.billing_account_id.is_not(None))
            )
        )
        bills = session.scalars(select(CustomerBill).where(CustomerBill.run_id == run_id)).all()
        items = session.scalars(
            select(BillItem).where(BillItem.bill_id.in_([b.id for b in bills]))
        ).all()
        # Every account with a product is on a bill (a consolidated branch on its parent's).
        assert {i.billing_account_id for i in items} == with_products
        assert len(bills) == run.bills
        billed_usage = sum(i.amount_fen for i in items if i.charge_type == "usage")
        assert billed_usage > 0
        assert billed_usage == _usage_fen_due(session, tmp_path, period, with_products)
        amount = sum(b.amount_fen for b in bills)
        assert amount == run.amount_fen
        largest = min(bills, key=lambda b: (-b.amount_fen, b.bill_no))
        usage_records = rated_usage(session, tmp_path, "GD", period).collect().height

    # The summary's numbers are the run's.
    summary = first.stdout[first.stdout.index(f"bill run GD {period} (finalised)") :]
    assert _cell(summary, "accounts billed") == str(run.bills)
    assert _cell(summary, "exceptions") == "0"
    assert _cell(summary, "total (yuan)") == format_fen(amount)
    assert re.search(rf"│ all +│ usage +│ {re.escape(format_fen(billed_usage))} ", summary)
    assert re.search(rf"│ {largest.bill_no} +│ {largest.billing_account_id} ", summary)
    invoices = tmp_path / "invoices" / "GD" / period
    shown = re.findall(r"^invoice (\S+\.pdf)", summary, flags=re.MULTILINE)
    assert len(shown) == min(3, run.bills) and shown[0] == str(invoices / f"{largest.bill_no}.pdf")

    # Again: the same bills, the same usage; the regenerated files are filed as duplicates.
    second = _demo(tmp_path, env)
    assert second.returncode == 0, second.stderr[-4000:]
    assert _cell(second.stdout, "run") == run_id
    with factory() as session:
        runs = session.scalar(
            select(func.count()).select_from(BillRun).where(BillRun.period == period)
        )
        assert runs == 1
        assert session.scalar(
            select(func.count()).select_from(CustomerBill).where(CustomerBill.run_id == run_id)
        ) == len(bills)
        assert rated_usage(session, tmp_path, "GD", period).collect().height == usage_records
    duplicates = (tmp_path / "inbox" / "switch" / "duplicate").rglob("*")
    assert any(path.is_file() for path in duplicates)
