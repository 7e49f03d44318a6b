"""The counter screens in a real browser against a real ``openbss serve`` (the harness in
``conftest.py``): sell a fixed line + ADSL bundle with a chosen number and watch it complete,
suspend and resume it, open a bill and download its PDF, take a payment and see the
receipt, and the dashboards. Screenshots for the documentation with OPENBSS_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openbss.db.engine import make_engine, make_session_factory
from tests.browser.conftest import Demo, screenshot
from tests.support import run_cli

pytestmark = pytest.mark.external

PageFor = Callable[[str], Any]
ORDER_WAIT_MS = 90_000  # the server's orchestration provisions through the simulated network


@pytest.fixture(scope="module")
def billed_account(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Bill the demo's previous month (rated with no usage: rentals and one-time charges)
    in the database the server runs on and post the bills to receivables; a billed GD
    account's id. (The harness's database is found under pytest's base temporary folder.)"""
    from openbss.billing.models import CustomerBill

    found = sorted(tmp_path_factory.getbasetemp().glob("portal*/openbss.db"))
    assert found, "the harness's demo database was not found"
    database = found[0]
    env = {
        **os.environ,
        "OPENBSS_DATABASE_URL": f"sqlite:///{database}",
        "OPENBSS_DATA_DIR": str(database.parent),
    }
    period = _previous_month()
    steps = (
        ("rating", "run", "--period", period),
        ("billing", "run", "--period", period),
        ("payments", "post-bills", "--province", "GD"),  # the bills become receivables
    )
    for args in steps:
        done = run_cli(env, database.parent, *args)
        assert done.returncode == 0, done.stderr[-2000:]
    engine = make_engine(env["OPENBSS_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            account = session.scalars(
                select(CustomerBill.billing_account_id)
                .where(CustomerBill.province == "GD", CustomerBill.amount_fen > 0)
                .order_by(CustomerBill.bill_no)
            ).first()
    finally:
        engine.dispose()
    assert account is not None
    return str(account)


def _previous_month() -> str:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from openbss.kit.clock import now

    local = now().astimezone(ZoneInfo("Asia/Shanghai"))
    last_month = local.replace(day=1) - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"


def _wait_for_order(page: Any, state: str = "completed") -> None:
    page.wait_for_selector(f'[data-state="{state}"]', timeout=ORDER_WAIT_MS)


def test_sell_a_bundle_with_a_chosen_number_then_suspend_and_resume_it(
    demo: Demo, logged_in_page: PageFor
) -> None:
    page = logged_in_page("csr.gd")
    page.goto(f"/portal/customers?q={demo.phone_number}")
    page.get_by_role("link", name=demo.phone_owner).click()
    page.get_by_role("link", name="Sales and service").click()
    page.get_by_role("link", name="New sale").click()
    page.wait_for_url("**/portal/sales/new?customer=*")

    bundle = page.locator("#offering option", has_text="固话+宽带套餐").get_attribute("value")
    page.select_option("#offering", bundle)
    page.select_option("#city", "020")
    page.fill("#street", "天河北路 233 号 1808 房")
    numbers = page.locator("#numbers input[name=number]")
    numbers.nth(2).wait_for()  # the free numbers came in place (htmx)
    chosen = numbers.nth(2).get_attribute("value")
    numbers.nth(2).check()
    screenshot(page, "sell")
    page.get_by_role("button", name="Check eligibility").click()
    page.wait_for_url("**/portal/sales/review?*")
    assert page.locator(".checks li").count() >= 4
    screenshot(page, "sell-review")
    page.get_by_role("button", name="Submit the order").click()
    page.wait_for_url(re.compile(r".*/portal/sales/orders/[\w-]+$"))
    _wait_for_order(page)
    assert chosen is not None
    assert chosen in page.locator("#order-progress").inner_text()
    screenshot(page, "order-completed")

    page.locator("#order-progress a[href^='/portal/products/']").first.click()
    assert page.locator("[data-status]").get_attribute("data-status") == "active"
    for action, status in (("suspend", "suspended"), ("resume", "active")):
        page.check(f"#action-{action}")
        page.get_by_role("button", name="Submit the order").click()
        _wait_for_order(page)
        page.locator("#order-progress a[href^='/portal/products/']").first.click()
        assert page.locator("[data-status]").get_attribute("data-status") == status
    assert page.locator("table >> text=Suspended at the customer's request").count() == 1
    screenshot(page, "product")


def test_open_a_bill_and_download_its_pdf(
    logged_in_page: PageFor, billed_account: str, tmp_path: Path
) -> None:
    page = logged_in_page("csr.gd")
    page.goto(f"/portal/bills?account={billed_account}")
    page.locator("table a[href^='/portal/bills/']:not([download])").first.click()
    page.wait_for_selector("#usage table")  # the itemised usage came in place (htmx)
    assert "¥" in page.locator(".facts").inner_text()
    screenshot(page, "bill")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the invoice (PDF)").click()
    saved = tmp_path / "invoice.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")


def test_take_a_payment_and_see_the_receipt(logged_in_page: PageFor, billed_account: str) -> None:
    page = logged_in_page("csr.gd")
    page.goto(f"/portal/payments/new?account={billed_account}")
    page.fill("#amount", "１２")  # full-width digits: refused beside the field
    page.get_by_role("button", name="Take the payment").click()
    assert page.locator("#amount-error").is_visible()
    # The refused form was the answer to a POST, which pages marked no-store do not keep in
    # the history: open the form afresh so that back returns to it.
    page.goto(f"/portal/payments/new?account={billed_account}")
    page.fill("#amount", "50.00")
    page.check("#method-cash")
    page.get_by_role("button", name="Take the payment").click()
    page.wait_for_url("**/receipt")
    receipt = page.locator(".receipt").inner_text()
    assert "¥50.00" in receipt
    assert "账单 / Bill" in receipt  # it paid towards the posted bill
    assert "收费收据" in receipt and "payment receipt" in receipt
    screenshot(page, "receipt")
    page.go_back()  # the back button returns to the form, not to a second payment
    assert "/portal/payments" in page.url


def test_the_dashboards_draw_their_charts(logged_in_page: PageFor) -> None:
    page = logged_in_page("admin.gd")
    page.goto("/portal/dashboards")
    page.wait_for_selector("#subscribers-chart canvas")
    assert page.locator("table.chart-data").count() == 4
    screenshot(page, "dashboard")
