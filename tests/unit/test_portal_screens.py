"""Pure parts of the counter screens: the sale's TMF622 body, the form's idempotency key, the
charts' tables and ECharts options, bill line words."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from openbss.portal.bills.reading import line_words
from openbss.portal.dashboards.figures import Chart
from openbss.portal.payments.counter import CounterForm, payment_body
from openbss.portal.sales.selling import EXTERNAL_PREFIX, OfferingChoice, SaleForm, order_body
from openbss.refdata.numbering import local_network

BUNDLE = OfferingChoice(
    id="po-bundle",
    name="固话+宽带套餐",
    is_bundle=True,
    service_types=("fixedVoice", "broadband"),
    monthly_fen=10800,
    one_time_fen=20000,
    members=(("po-fixed", "fixedVoice"), ("po-adsl", "broadband")),
)


def _context() -> Any:
    network = local_network("020")
    return SimpleNamespace(customer=SimpleNamespace(id="c1"), networks=[network])


def test_a_bundle_sale_spells_its_members_and_only_the_line_carries_the_number() -> None:
    form = SaleForm.from_values(
        {
            "customer": "c1",
            "account": "a1",
            "offering": "po-bundle",
            "city": "020",
            "street": "天河路 1 号",
            "number": "+862083000001",
            "channel": "agent",
            "external_id": "portal:k1",
        }
    )
    body = order_body(form, cast(Any, _context()), BUNDLE)
    place = [
        {
            "role": "installationAddress",
            "@type": "GeographicAddress",
            "city": "广州",
            "street1": "天河路 1 号",
        }
    ]
    assert body["externalId"] == "portal:k1"
    assert body["channel"] == [{"id": "agent", "role": "salesChannel"}]
    assert body["billingAccount"] == {"id": "a1"}
    (item,) = body["productOrderItem"]
    assert item["product"] == {"place": place}
    fixed, adsl = item["productOrderItem"]
    assert fixed["productOffering"] == {"id": "po-fixed"}
    assert fixed["product"]["productCharacteristic"] == [
        {"name": "areaCode", "valueType": "string", "value": "020"},
        {"name": "phoneNumber", "valueType": "string", "value": "+862083000001"},
    ]
    assert adsl["product"] == {"place": place, "productCharacteristic": []}


def test_a_new_form_draws_its_key_and_a_sent_one_keeps_it() -> None:
    first = SaleForm.from_values({})
    assert first.external_id.startswith(EXTERNAL_PREFIX)
    assert first.external_id != SaleForm.from_values({}).external_id
    assert SaleForm.from_values({"external_id": "portal:x"}).external_id == "portal:x"
    assert CounterForm.from_values({}).reference.startswith("CTR-")
    assert CounterForm.from_values({"reference": " R-1 "}).reference == "R-1"


def test_a_counter_payment_is_a_tmf676_document_in_exact_yuan() -> None:
    form = CounterForm(account="a1", amount="49.5", method="card", reference="R-1", bill="b1")
    assert payment_body(form, 4950) == {
        "account": {"id": "a1", "@referredType": "BillingAccount"},
        "totalAmount": {"unit": "CNY", "value": "49.50"},
        "paymentMethod": {"@type": "BankCard"},
        "correlatorId": "R-1",
        "channel": {"id": "counter"},
        "description": "营业厅收费 / Paid at the counter",
        "paymentItem": [{"item": {"id": "b1", "@referredType": "CustomerBill"}}],
    }


def test_a_chart_is_a_table_and_an_echarts_option() -> None:
    chart = Chart("orders", "Orders", "Channel", "bar", ["agent", "hall"], ["done", "failed"],
                  [[1, 5], [0, 2]])  # fmt: skip
    assert chart.rows() == [("agent", [1, 0]), ("hall", [5, 2])]
    option = chart.option()
    assert option["xAxis"]["data"] == ["agent", "hall"]
    assert option["series"] == [
        {"name": "done", "type": "bar", "stack": "total", "data": [1, 5]},
        {"name": "failed", "type": "bar", "stack": "total", "data": [0, 2]},
    ]
    pie = Chart("p", "P", "C", "pie", ["a", "b"], ["n"], [[3, 4]]).option()
    assert pie["series"][0]["data"] == [{"name": "a", "value": 3}, {"name": "b", "value": 4}]


def test_bill_lines_have_words_even_for_a_bare_charge_type() -> None:
    assert line_words("rental.adsl") == ("宽带月租费", "Broadband rental")
    assert line_words("oneTime") == ("一次性费用", "One-time charges")
    assert line_words("unknown.key") == ("unknown.key", "unknown.key")
