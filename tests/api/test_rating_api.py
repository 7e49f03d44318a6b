"""``/api/v1/rating`` end to end: quotes, tariff versions, explaining a rated record, runs,
their per-account differences and adjustments, roles and clear refusals.

Tariff CT2005-FIXED (China Telecom 2005, fixed line): a local call costs 220 li for the
first 180 s and 110 li per started minute after; a long-distance (DDD) call by day 70 li per
started 6 s. The expected amounts below are worked out by hand from those figures.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit.models import AuditEntry
from openbss.db.uow import unit_of_work
from openbss.kit.settings import get_settings
from openbss.mediation import store
from openbss.rating import runs
from openbss.rating.models import AllowanceCounter, RatingRun, TariffVersion
from tests.conftest import KeyMaker
from tests.ordering_support import Sales
from tests.rating_support import PERIOD, call, line, mediate, national, rating_ready

BASE = "/api/v1/rating"
FIXED = "CT2005-FIXED"
# Tuesday 3 March 2026, 10:00 in Guangzhou (UTC+8): a weekday, the day band.
TUESDAY_10 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
GUANGZHOU = "+862087654321"
BEIJING = "+861012345678"


@pytest.fixture
def sales(session_factory: sessionmaker[Session]) -> Sales:
    """The catalog, number pools, a customer and the rating data (small destinations)."""
    return rating_ready(session_factory)


@pytest.fixture
def factory(session_factory: sessionmaker[Session], sales: Sales) -> sessionmaker[Session]:
    """The session factory of a database seeded for rating."""
    return session_factory


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The usage store and rated output of this test, as the app's data directory."""
    directory = tmp_path / "data"
    directory.mkdir()
    monkeypatch.setattr(get_settings(), "data_dir", directory)
    return directory


def quote_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tariffId": FIXED,
        "eventTime": "2026-03-03T10:00:00+08:00",
        "service": "voice",
        "direction": "mo",
        "durationS": 200,
        "called": GUANGZHOU,
        "callingAreaCode": "020",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def quote(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post(f"{BASE}/quote", json=quote_body(**changes), headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- authentication and roles -------------------------------------------------------------


def test_authentication_is_required(client: TestClient) -> None:
    for method, path in (
        ("post", f"{BASE}/quote"),
        ("get", f"{BASE}/tariffs"),
        ("get", f"{BASE}/tariffs/{FIXED}"),
        ("post", f"{BASE}/tariffs"),
        ("get", f"{BASE}/records/abc"),
        ("get", f"{BASE}/runs?period={PERIOD}"),
        ("get", f"{BASE}/runs/abc/accounts"),
        ("get", f"{BASE}/adjustments"),
    ):
        response = client.request(method, path, json=quote_body())
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "UNAUTHENTICATED"
    response = client.get(f"{BASE}/tariffs", headers={"Authorization": "Bearer obss_bogus"})
    assert response.status_code == 401


def test_roles(client: TestClient, auth: KeyMaker, factory: sessionmaker[Session]) -> None:
    document = client.get(f"{BASE}/tariffs/{FIXED}", headers=auth("admin")).json()[0]
    correction = {**document, "version": 2, "reason": "not allowed"}
    for role in ("csr", "analyst", "finance", "partner"):
        response = client.post(f"{BASE}/tariffs", json=correction, headers=auth(role))
        assert response.status_code == 403, (role, response.text)
        assert response.json()["code"] == "FORBIDDEN"
    assert count(factory, TariffVersion) == 5  # nothing stored
    for role in ("csr", "analyst", "finance", "billing_operator", "admin"):
        assert client.get(f"{BASE}/tariffs", headers=auth(role)).status_code == 200, role
        assert (
            client.post(f"{BASE}/quote", json=quote_body(), headers=auth(role)).status_code == 200
        )
        expected = 403 if role == "csr" else 200
        assert client.get(f"{BASE}/runs", headers=auth(role)).status_code == expected, role
    partner = auth("partner")
    for method, path in (
        ("post", f"{BASE}/quote"),
        ("get", f"{BASE}/tariffs"),
        ("get", f"{BASE}/tariffs/{FIXED}"),
        ("get", f"{BASE}/records/abc"),
        ("get", f"{BASE}/runs"),
        ("get", f"{BASE}/runs/abc/accounts"),
        ("get", f"{BASE}/adjustments"),
    ):
        response = client.request(method, path, json=quote_body(), headers=partner)
        assert response.status_code == 403, (method, path, response.text)


def test_a_group_key_names_the_province(
    client: TestClient, auth: KeyMaker, factory: sessionmaker[Session]
) -> None:
    group = auth("admin", None)
    response = client.post(f"{BASE}/quote", json=quote_body(), headers=group)
    assert response.status_code == 422
    assert response.json()["code"] == "PROVINCE_REQUIRED"
    assert "X-Province" in response.json()["message"]
    assert client.get(f"{BASE}/runs", headers=group).status_code == 422
    acting = {**group, "X-Province": "GD"}
    assert quote(client, acting)["amountLi"] == 330
    assert client.get(f"{BASE}/runs", headers=acting).json() == []
    # a group key sees every tariff without naming a province
    assert len(client.get(f"{BASE}/tariffs", headers=group).json()) == 5
    # a province key cannot act for another one
    response = client.post(
        f"{BASE}/quote", json=quote_body(), headers={**auth("admin"), "X-Province": "ZJ"}
    )
    assert response.status_code == 403


# --- quotes -------------------------------------------------------------------------------


def test_quote_by_tariff(
    client: TestClient, auth: KeyMaker, factory: sessionmaker[Session]
) -> None:
    csr = auth("csr")
    # local, 200 s on a weekday at 10:00: 220 li for the first 180 s, then one started
    # minute of 110 li for the remaining 20 s
    assert quote(client, csr) == {
        "amountLi": 330,
        "amount": {"unit": "CNY", "value": 0.33},
        "tariffId": FIXED,
        "tariffVersion": 1,
        "matchedPrefix": "8620",
        "destination": "Guangzhou",
        "zone": "local",
        "band": "day",
        "units": 240,  # the seconds paid for: 180 + one started minute
        "allowanceId": None,
        "allowanceUsed": 0,
        "allowanceLeft": None,
        "error": None,
    }
    # exactly the first block: 220 li; one second more starts a minute: 330 li
    assert quote(client, csr, durationS=180)["amountLi"] == 220
    assert quote(client, csr, durationS=181)["amountLi"] == 330
    # 301 s: 220 + 3 started minutes (121 s) × 110 = 550 li
    assert quote(client, csr, durationS=301)["amountLi"] == 550

    # DDD to Beijing, 61 s by day: 11 started 6-second steps × 70 li = 770 li
    ddd = quote(client, csr, called=BEIJING, durationS=61)
    assert ddd["amountLi"] == 770
    assert ddd["amount"] == {"unit": "CNY", "value": 0.77}
    assert ddd["units"] == 66  # 11 steps of 6 s
    assert (ddd["matchedPrefix"], ddd["destination"], ddd["zone"], ddd["band"]) == (
        "8610",
        "Beijing",
        "interProvince",
        "day",
    )
    # the same call at 02:00 local falls in the night band
    night = quote(client, csr, called=BEIJING, durationS=61, eventTime="2026-03-03T02:00:00+08:00")
    assert night["band"] == "night"
    # an unknown tariff
    response = client.post(f"{BASE}/quote", json=quote_body(tariffId="NO-SUCH"), headers=csr)
    assert response.status_code == 404


def test_quote_by_subscriber(
    client: TestClient, auth: KeyMaker, factory: sessionmaker[Session], sales: Sales
) -> None:
    number = line(factory, sales)
    csr = auth("csr")
    answer = quote(client, csr, tariffId=None, subscriber=number)
    assert (answer["tariffId"], answer["amountLi"], answer["zone"], answer["band"]) == (
        FIXED,
        330,
        "local",
        "day",
    )
    ddd = quote(client, csr, tariffId=None, subscriber=number, called=BEIJING, durationS=61)
    assert ddd["amountLi"] == 770
    # a number with no product in service is not rated
    response = client.post(
        f"{BASE}/quote",
        json=quote_body(tariffId=None, subscriber="+862083999999"),
        headers=csr,
    )
    assert response.status_code == 404
    # before the line was activated, it had no tariff
    before = quote(
        client, csr, tariffId=None, subscriber=number, eventTime="2026-03-01T10:00:00+08:00"
    )
    assert before["amountLi"] == 0
    assert before["error"] is not None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"subscriber": "+862083000000"}, "either a subscriber or a tariffId"),
        ({"tariffId": None}, "either a subscriber or a tariffId"),
        ({"eventTime": "2026-03-03T10:00:00"}, "time zone"),
        ({"called": "02087654321"}, "E.164"),
        ({"durationS": -1}, "durationS"),
        ({"service": "fax"}, "service"),
        ({"colour": "red"}, "colour"),
        ({"eventTime": None}, "eventTime"),
    ],
)
def test_bad_quotes_are_refused(
    client: TestClient,
    auth: KeyMaker,
    factory: sessionmaker[Session],
    changes: dict[str, Any],
    needle: str,
) -> None:
    before = (count(factory, AuditEntry), count(factory, AllowanceCounter))
    response = client.post(f"{BASE}/quote", json=quote_body(**changes), headers=auth("csr"))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_QUOTE"
    assert needle in response.json()["message"]
    assert (count(factory, AuditEntry), count(factory, AllowanceCounter)) == before


def test_a_quote_body_must_be_a_json_object(client: TestClient, auth: KeyMaker) -> None:
    csr = auth("csr")
    response = client.post(f"{BASE}/quote", content=b"not json", headers=csr)
    assert response.status_code == 400
    response = client.post(f"{BASE}/quote", json=[quote_body()], headers=csr)
    assert response.status_code == 400


# --- tariffs ------------------------------------------------------------------------------


def test_tariff_list_and_versions(
    client: TestClient, auth: KeyMaker, factory: sessionmaker[Session]
) -> None:
    analyst = auth("analyst")
    listed = client.get(f"{BASE}/tariffs", headers=analyst)
    assert listed.status_code == 200
    fixed = next(t for t in listed.json() if t["id"] == FIXED)
    assert fixed == {
        "id": FIXED,
        "version": 1,
        "name": "固定电话",
        "province": None,
        "effectiveFrom": "2004-12-31T16:00:00.000Z",
        "effectiveTo": None,
        "destinationSet": "CN-E164",
        "reason": None,
        "createdAt": fixed["createdAt"],
    }
    assert sorted(t["id"] for t in listed.json()) == [
        "CT2005-ADSL-FLAT",
        "CT2005-ADSL-TIME",
        "CT2005-DATA",
        FIXED,
        "CT2005-PHS",
    ]
    response = client.get(f"{BASE}/tariffs/{FIXED}", headers=analyst)
    assert response.status_code == 200
    (document,) = response.json()
    assert (document["id"], document["version"], document["destinationSet"]) == (
        FIXED,
        1,
        "CN-E164",
    )
    local = next(r for r in document["rules"] if r["name"] == "local")
    figures = ("firstBlockS", "firstBlockLi", "stepS", "stepLi")
    assert [local["charge"][k] for k in figures] == [180, 220, 60, 110]
    response = client.get(f"{BASE}/tariffs/NO-SUCH", headers=analyst)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_a_correction_is_the_next_version(
    client: TestClient, auth: KeyMaker, factory: sessionmaker[Session]
) -> None:
    operator = auth("billing_operator")
    (first,) = client.get(f"{BASE}/tariffs/{FIXED}", headers=operator).json()
    correction = copy.deepcopy(first)
    local = next(r for r in correction["rules"] if r["name"] == "local")
    local["charge"]["firstBlockLi"] = 200
    correction.update(version=2, reason="local first block is 0.20 from 2005 (ticket 42)")

    audited = count(factory, AuditEntry)
    response = client.post(f"{BASE}/tariffs", json=correction, headers=operator)
    assert response.status_code == 201, response.text
    assert count(factory, AuditEntry) == audited + 1
    stored = response.json()
    assert stored["version"] == 2
    assert stored["reason"] == correction["reason"]
    assert next(r for r in stored["rules"] if r["name"] == "local")["charge"]["firstBlockLi"] == 200

    versions = client.get(f"{BASE}/tariffs/{FIXED}", headers=operator).json()
    assert [(v["version"], v.get("reason")) for v in versions] == [
        (1, None),
        (2, correction["reason"]),
    ]
    assert versions[0] == first
    listed = [t for t in client.get(f"{BASE}/tariffs", headers=operator).json() if t["id"] == FIXED]
    assert [(t["version"], t["province"], t["reason"]) for t in listed] == [
        (1, None, None),
        (2, "GD", correction["reason"]),
    ]
    # the highest version in force prices: 200 + 110 li
    assert quote(client, operator)["amountLi"] == 310
    assert quote(client, operator)["tariffVersion"] == 2

    # version 2 again: versions are never overwritten
    response = client.post(f"{BASE}/tariffs", json=correction, headers=operator)
    assert response.status_code == 409
    assert response.json()["code"] == "TARIFF_VERSION"
    assert "next version is 3" in response.json()["message"]
    # skipping a version
    response = client.post(f"{BASE}/tariffs", json={**correction, "version": 5}, headers=operator)
    assert response.status_code == 409
    assert count(factory, TariffVersion) == 6


INVALID = 422


@pytest.mark.parametrize(
    ("change", "needle", "status"),
    [
        (lambda d: d.update(effectiveFrom="2005-01-01T00:00:00"), "time zone", INVALID),
        (lambda d: d.update(rules=[]), "rules", INVALID),
        (lambda d: d.update(colour="red"), "colour", INVALID),
        (lambda d: d.update(version=0), "version", INVALID),
        (lambda d: d["rules"][0].update(band="evening"), "no band named 'evening'", INVALID),
        (lambda d: d["rules"][0]["charge"].update(stepLi=-1), "stepLi", INVALID),
        (lambda d: d.update(destinationSet="NO-SUCH"), "NO-SUCH", INVALID),
    ],
)
def test_an_invalid_tariff_is_refused(
    client: TestClient,
    auth: KeyMaker,
    factory: sessionmaker[Session],
    change: Any,
    needle: str,
    status: int | tuple[int, ...],
) -> None:
    admin = auth("admin")
    (document,) = client.get(f"{BASE}/tariffs/{FIXED}", headers=admin).json()
    document["version"] = 2
    change(document)
    response = client.post(f"{BASE}/tariffs", json=document, headers=admin)
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, response.text
    assert needle in response.json()["message"]
    assert count(factory, TariffVersion) == 5
    response = client.post(f"{BASE}/tariffs", content=b"{", headers=admin)
    assert response.status_code == 400


# --- rated records, runs, adjustments -----------------------------------------------------


def test_explain_runs_and_adjustments(
    client: TestClient,
    auth: KeyMaker,
    factory: sessionmaker[Session],
    sales: Sales,
    data_dir: Path,
) -> None:
    number = line(factory, sales)
    calling = national(number)
    rows = [
        call(0, calling, TUESDAY_10, "02087654321", 200),  # local: 220 + 110
        call(1, calling, TUESDAY_10 + timedelta(minutes=10), "01012345678", 61),  # DDD: 770
        call(2, calling, TUESDAY_10 + timedelta(minutes=20), "02087654321", 180),  # local: 220
    ]
    outcome = mediate(factory, data_dir, rows, "gz-sw01-20260303.csv")
    assert outcome.status == "done", outcome
    usage = store.scan(data_dir, "normalised", "GD")
    assert usage is not None
    ids = dict(usage.select("duration_s", "record_id").collect().iter_rows())
    local_id, ddd_id = ids[200], ids[61]

    first = runs.rate_period(factory, data_dir, "GD", PERIOD, workers=1, partitions=1)
    assert (first.records, first.rated, first.amount_li) == (3, 3, 330 + 770 + 220)

    csr = auth("csr")
    response = client.get(f"{BASE}/records/{local_id}", headers=csr)
    assert response.status_code == 200, response.text
    explained = response.json()
    assert (explained["recordId"], explained["province"], explained["period"]) == (
        local_id,
        "GD",
        PERIOD,
    )
    assert explained["runId"] == first.run_id
    assert explained["tariff"] == {"id": FIXED, "version": 1, "name": "固定电话"}
    rating = explained["rating"]
    assert (rating["matchedPrefix"], rating["zone"], rating["band"], rating["units"]) == (
        "8620",
        "local",
        "day",
        240,  # paid seconds: 180 + one started minute
    )
    assert rating["amountLi"] == 330
    assert explained["amountYuan"] == "0.330"
    assert explained["destination"] == "Guangzhou"
    assert explained["rule"]["name"] == "local"
    assert explained["rule"]["charge"]["firstBlockLi"] == 220
    assert explained["usage"]["durationS"] == 200
    assert explained["usage"]["eventTime"] == "2026-03-03T02:00:00.000Z"

    ddd = client.get(f"{BASE}/records/{ddd_id}", headers=csr).json()
    assert (ddd["rating"]["zone"], ddd["rating"]["amountLi"], ddd["destination"]) == (
        "interProvince",
        770,
        "Beijing",
    )
    response = client.get(f"{BASE}/records/no-such-record", headers=csr)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    # another province does not see GD's records
    assert client.get(f"{BASE}/records/{local_id}", headers=auth("csr", "ZJ")).status_code == 404

    # runs and their money are for billing, finance and analysts, not the front office
    operator = auth("billing_operator")
    assert client.get(f"{BASE}/runs", headers=csr).status_code == 403
    assert client.get(f"{BASE}/adjustments", headers=csr).status_code == 403
    listed = client.get(f"{BASE}/runs?period={PERIOD}", headers=operator)
    assert listed.status_code == 200
    (run,) = listed.json()
    assert {k: run[k] for k in run if k not in ("startedAt", "finishedAt")} == {
        "id": first.run_id,
        "province": "GD",
        "period": PERIOD,
        "status": "done",
        "current": True,
        "previousRunId": None,
        "records": 3,
        "rated": 3,
        "errors": {},
        "amountLi": 1320,
        "amount": {"unit": "CNY", "value": 1.32},
        "changedRecords": 3,
        "deltaLi": 1320,
        "error": None,
    }
    assert run["startedAt"] and run["finishedAt"]
    assert client.get(f"{BASE}/runs?period=2026-04", headers=operator).json() == []
    assert client.get(f"{BASE}/runs?period=2026-3", headers=operator).status_code == 400
    assert client.get(f"{BASE}/runs", headers=auth("billing_operator", "ZJ")).json() == []

    accounts = client.get(f"{BASE}/runs/{first.run_id}/accounts", headers=operator)
    assert accounts.status_code == 200
    assert accounts.json() == [
        {
            "accountId": sales.account_id,
            "records": 3,
            "beforeLi": 0,
            "afterLi": 1320,
            "deltaLi": 1320,
            "delta": {"unit": "CNY", "value": 1.32},
        }
    ]
    response = client.get(
        f"{BASE}/runs/{first.run_id}/accounts", headers=auth("billing_operator", "ZJ")
    )
    assert response.status_code == 404
    assert client.get(f"{BASE}/runs/no-such-run/accounts", headers=operator).status_code == 404
    assert client.get(f"{BASE}/adjustments?period={PERIOD}", headers=operator).json() == []

    # billing takes the period; a correction of the local first block (220 → 200 li) is
    # loaded and the period rerated: the two local calls are 20 li cheaper each, and the
    # difference becomes an adjustment instead of changing the bill
    with unit_of_work(factory) as session:
        runs.close_period(session, "GD", PERIOD)
    admin = auth("admin")
    (document,) = client.get(f"{BASE}/tariffs/{FIXED}", headers=admin).json()
    next(r for r in document["rules"] if r["name"] == "local")["charge"]["firstBlockLi"] = 200
    document.update(version=2, reason="correction")
    assert client.post(f"{BASE}/tariffs", json=document, headers=admin).status_code == 201
    second = runs.rate_period(factory, data_dir, "GD", PERIOD, workers=1, partitions=1)
    assert (second.changed_records, second.delta_li) == (2, -40)

    listed = client.get(f"{BASE}/runs?period={PERIOD}", headers=operator).json()
    assert [(r["id"], r["current"], r["amountLi"], r["deltaLi"]) for r in listed] == [
        (first.run_id, False, 1320, 1320),
        (second.run_id, True, 1280, -40),
    ]
    assert listed[1]["previousRunId"] == first.run_id
    accounts = client.get(f"{BASE}/runs/{second.run_id}/accounts", headers=operator).json()
    assert [(a["records"], a["beforeLi"], a["afterLi"], a["deltaLi"]) for a in accounts] == [
        (2, 330 + 220, 310 + 200, -40)
    ]
    adjustments = client.get(f"{BASE}/adjustments?period={PERIOD}", headers=operator).json()
    assert [
        {k: a[k] for k in ("accountId", "period", "amountLi", "amount", "runId", "status")}
        for a in adjustments
    ] == [
        {
            "accountId": sales.account_id,
            "period": PERIOD,
            "amountLi": -40,
            "amount": {"unit": "CNY", "value": -0.04},
            "runId": second.run_id,
            "status": "open",
        }
    ]
    assert client.get(f"{BASE}/adjustments", headers=auth("finance", "ZJ")).json() == []

    # the record now explains its new price and the change
    explained = client.get(f"{BASE}/records/{local_id}", headers=csr).json()
    assert explained["tariff"]["version"] == 2
    assert explained["rating"]["amountLi"] == 310
    assert explained["changedByThisRun"] == {
        "beforeLi": 330,
        "afterLi": 310,
        "previousRunId": first.run_id,
    }
    assert count(factory, RatingRun) == 2


def test_find_records_of_a_number_in_a_time_range(
    client: TestClient,
    auth: KeyMaker,
    factory: sessionmaker[Session],
    sales: Sales,
    data_dir: Path,
) -> None:
    number = line(factory, sales)
    rows = [
        call(0, national(number), TUESDAY_10, "02087654321", 200),
        call(1, national(number), TUESDAY_10 + timedelta(minutes=10), "01012345678", 61),
    ]
    assert mediate(factory, data_dir, rows, "gz-sw01-20260303.csv").status == "done"
    runs.rate_period(factory, data_dir, "GD", PERIOD, workers=1, partitions=1)
    query = {"number": national(number), "from": "2026-03-03T10:05:00+08:00",
             "to": "2026-03-03T11:00:00+08:00"}  # fmt: skip

    response = client.get(f"{BASE}/records", params=query, headers=auth("csr"))
    assert response.status_code == 200, response.text
    [found] = response.json()
    assert (found["calling"], found["called"], found["amountLi"]) == (number, BEIJING, 770)
    assert found["eventTime"] == "2026-03-03T02:10:00.000Z" and found["period"] == PERIOD
    explained = client.get(f"{BASE}/records/{found['recordId']}", headers=auth("csr")).json()
    assert explained["destination"] == "Beijing"
    wider = client.get(f"{BASE}/records", params={**query, "from": "2026-03-01T00:00:00+08:00"},
                       headers=auth("csr"))  # fmt: skip
    assert [r["amountLi"] for r in wider.json()] == [330, 770]

    # The same roles as an explanation; a province sees its own records only.
    assert client.get(f"{BASE}/records", params=query).status_code == 401
    assert client.get(f"{BASE}/records", params=query, headers=auth("partner")).status_code == 403
    assert client.get(f"{BASE}/records", params=query, headers=auth("csr", "ZJ")).json() == []
    group = auth("admin", None)
    assert client.get(f"{BASE}/records", params=query, headers=group).status_code == 422
    # Bad ranges and numbers are refused.
    for bad in ({"to": "2026-03-03T09:00:00+08:00"}, {"to": "2026-09-03T09:00:00+08:00"},
                {"from": "2026-03-03T10:05:00"}, {"number": "hello"}):  # fmt: skip
        response = client.get(f"{BASE}/records", params={**query, **bad}, headers=auth("csr"))
        assert response.status_code in (400, 422), (bad, response.text)
