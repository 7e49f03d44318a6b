"""The portal's selling and product screens, end to end through the TestClient: a fixed line
+ ADSL bundle sold with a chosen number and provisioned, suspended and resumed; bad input
answered beside its field; roles and provinces refused as the API refuses them."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.inventory.public import products
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from tests.ordering_support import GD, Sales, sales_ready
from tests.portal_screens_support import add_user, csrf_of, log_in

NUMBER = re.compile(r'name="number" value="(\+86\d+)"')
ORDER_URL = re.compile(r"^/portal/sales/orders/([\w-]+)$")


@pytest.fixture
def sales(session_factory: sessionmaker[Session]) -> Sales:
    found = sales_ready(session_factory)
    add_user(session_factory, "csr-gd", "csr", "GD")
    add_user(session_factory, "csr-sh", "csr", "SH")
    add_user(session_factory, "analyst-gd", "analyst", "GD")
    return found


def _sale(sales: Sales, **extra: str) -> dict[str, str]:
    return {
        "customer": sales.customer_id,
        "offering": sales.catalog["CT-PO-BUNDLE-FIXED-ADSL"],
        "account": sales.account_id,
        "city": "020",
        "street": "天河路 100 号 1201 房",
        "channel": "retailHall",
        **extra,
    }


def _sell(client: TestClient, sales: Sales, factory: sessionmaker[Session]) -> tuple[str, str]:
    """Sell the bundle with the second free number offered; (order id, number)."""
    form = client.get("/portal/sales/new?" + urlencode(_sale(sales)))
    assert form.status_code == 200
    chosen = NUMBER.findall(form.text)[1]
    review = client.get("/portal/sales/review?" + urlencode(_sale(sales, number=chosen)))
    assert review.status_code == 200, review.text
    assert "Submit the order" in review.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review.text))
    answer = client.post(
        "/portal/sales/orders",
        data={**hidden, "csrf_token": csrf_of(review.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    found = ORDER_URL.match(answer.headers["location"])
    assert found is not None
    work_until_idle(factory)
    return found.group(1), chosen


def test_a_bundle_is_sold_with_a_chosen_number_and_completes(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    numbers = client.get("/portal/sales/numbers?" + urlencode(_sale(sales)))
    assert numbers.status_code == 200
    assert len(NUMBER.findall(numbers.text)) == 20
    order_id, number = _sell(client, sales, session_factory)
    page = client.get(f"/portal/sales/orders/{order_id}")
    assert page.status_code == 200
    assert 'data-state="completed"' in page.text
    assert "hx-trigger" not in page.text  # a final order is no longer polled
    with unit_of_work(session_factory) as session:
        order = product_orders.get(session, GD, order_id)
        assert order.state == "completed"
        lines = products.repo.find_by(session, GD, service_id=number)
        assert [(p.service_type, p.status) for p in lines] == [("fixedVoice", "active")]


def test_a_second_submission_of_the_same_sale_answers_the_same_order(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    review = client.get("/portal/sales/review?" + urlencode(_sale(sales)))
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review.text))
    data = {**hidden, "csrf_token": csrf_of(review.text)}
    first = client.post("/portal/sales/orders", data=data, follow_redirects=False)
    second = client.post("/portal/sales/orders", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"offering": ""}, "offering", "Choose an offering on sale."),
        ({"account": "nope"}, "account", "Choose the billing account to charge."),
        ({"city": ""}, "city", "Choose the local network of the installation address."),
        ({"street": "x" * 300}, "street", "At most 128 characters."),
        ({"number": "<script>alert(1)</script>"}, "number", "A telephone number is digits only."),
        ({"number": "+862099999999"}, "number", "This number is not free; choose another."),
        ({"number": "12345"}, "number", "This number is not of the chosen local network."),
        ({"external_id": "forged"}, "__form__", "The form has expired; open it again."),
    ],
)
def test_bad_sale_input_is_answered_beside_its_field(
    client: TestClient, sales: Sales, change: dict[str, str], field: str, message: str
) -> None:
    log_in(client, "csr-gd")
    answer = client.get("/portal/sales/review?" + urlencode(_sale(sales, **change)))
    assert answer.status_code == 422
    assert message in answer.text
    if field != "__form__":
        assert f'id="{field}-error"' in answer.text
    assert "<script>alert" not in answer.text


def test_a_posted_sale_refused_by_ordering_is_shown_and_writes_nothing(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    page = client.get("/portal/sales/new?customer=" + sales.customer_id)
    data = {**_sale(sales, city="0757", external_id="portal:x1"), "csrf_token": csrf_of(page.text)}
    # 0757 (Foshan) has fixed lines: the bundle is eligible there; PHS in 0757 is not.
    data["offering"] = sales.catalog["CT-PO-PHS"]
    answer = client.post("/portal/sales/orders", data=data, follow_redirects=False)
    assert answer.status_code == 422
    assert 'id="city-error"' in answer.text
    with unit_of_work(session_factory) as session:
        assert product_orders.repo.find_by(session, GD) == []


def test_another_provinces_customer_is_not_found(client: TestClient, sales: Sales) -> None:
    log_in(client, "csr-sh")
    assert client.get("/portal/sales/new?customer=" + sales.customer_id).status_code == 404


def test_suspend_and_resume_through_orders_with_history(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    order_id, _ = _sell(client, sales, session_factory)
    with unit_of_work(session_factory) as session:
        bundle = next(
            p
            for p in products.repo.find_by(session, GD, product_order_id=order_id)
            if p.service_type == "bundle"
        )
        bundle_id = bundle.id
    for action, status in (("suspend", "suspended"), ("resume", "active")):
        page = client.get(f"/portal/products/{bundle_id}")
        assert page.status_code == 200
        assert f'value="{action}"' in page.text
        external = re.search(r'name="external_id" value="([^"]+)"', page.text)
        assert external is not None
        answer = client.post(
            f"/portal/products/{bundle_id}/orders",
            data={
                "action": action,
                "reason": "",
                "external_id": external.group(1),
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        work_until_idle(session_factory)
        page = client.get(f"/portal/products/{bundle_id}")
        assert f'data-status="{status}"' in page.text
    assert page.text.count("客户申请停机 / Suspended at the customer&#39;s request") == 1


def test_an_analyst_may_read_a_product_but_not_change_it(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    order_id, _ = _sell(client, sales, session_factory)
    with unit_of_work(session_factory) as session:
        product_id = products.repo.find_by(session, GD, product_order_id=order_id)[0].id
    log_in(client, "analyst-gd")
    page = client.get(f"/portal/products/{product_id}")
    assert page.status_code == 200
    answer = client.post(
        f"/portal/products/{product_id}/orders",
        data={"action": "suspend", "external_id": "portal:a1", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    log_in(client, "csr-sh")
    assert client.get(f"/portal/products/{product_id}").status_code == 404


def test_a_change_without_the_csrf_token_is_refused(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    answer = client.post(
        "/portal/sales/orders", data=_sale(sales, external_id="portal:x2"), follow_redirects=False
    )
    assert answer.status_code == 403
    with unit_of_work(session_factory) as session:
        assert product_orders.repo.find_by(session, GD) == []


def test_a_group_user_is_told_to_act_in_a_province_not_given_a_500(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    add_user(session_factory, "admin-group", "admin", None)
    log_in(client, "admin-group")
    sale = urlencode(_sale(sales, external_id="portal:g1"))
    for url in (f"/portal/sales/new?{sale}", f"/portal/sales/numbers?{sale}"):
        assert client.get(url).status_code == 200, url
    review = client.get(f"/portal/sales/review?{sale}")
    assert review.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review.text))
    answer = client.post(
        "/portal/sales/orders",
        data={**hidden, "csrf_token": csrf_of(review.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert 'class="error-summary"' in answer.text
    assert "X-Province" in answer.text  # ordering's reason: a group key names a province
    with unit_of_work(session_factory) as session:
        assert product_orders.repo.find_by(session, GD) == []


def test_a_change_of_plan_is_an_order_and_shows_in_the_history(
    client: TestClient, sales: Sales, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "csr-gd")
    phs, capped = sales.catalog["CT-PO-PHS"], sales.catalog["CT-PO-PHS-CAPPED"]
    review = client.get("/portal/sales/review?" + urlencode(_sale(sales, offering=phs)))
    assert review.status_code == 200, review.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', review.text))
    sold = client.post(
        "/portal/sales/orders",
        data={**hidden, "csrf_token": csrf_of(review.text)},
        follow_redirects=False,
    )
    assert sold.status_code == 303
    work_until_idle(session_factory)
    with unit_of_work(session_factory) as session:
        (line,) = products.repo.find_by(session, GD, service_type="phs")
        line_id = line.id
    page = client.get(f"/portal/products/{line_id}")
    assert 'value="change"' in page.text
    assert f'<option value="{capped}"' in page.text
    external = re.search(r'name="external_id" value="([^"]+)"', page.text)
    assert external is not None
    form = {"action": "change", "external_id": external.group(1), "csrf_token": csrf_of(page.text)}
    missing = client.post(f"/portal/products/{line_id}/orders", data=form, follow_redirects=False)
    assert missing.status_code == 422
    assert 'id="offering-error"' in missing.text
    changed = client.post(
        f"/portal/products/{line_id}/orders",
        data={**form, "offering": capped},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    work_until_idle(session_factory)
    with unit_of_work(session_factory) as session:
        assert products.get(session, GD, line_id).product_offering_id == capped
    history = client.get(f"/portal/products/{line_id}").text
    changes = re.findall(r"<td>([^<]+)</td><td>(Plan changed)</td>", history)
    assert changes == [("小灵通封顶套餐", "Plan changed")]
