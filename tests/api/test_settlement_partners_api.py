"""TMF669 party roles, TMF668 partnership specifications and partnerships, and the commission
endpoints, end to end over HTTP: roles, province isolation, bad input refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.settings import get_settings
from openbss.settlement.partners.models import SettlementPartner
from tests.commission_support import build_world
from tests.conftest import KeyMaker

ROLES = "/tmf-api/partyRoleManagement/v4/partyRole"
SPECS = "/tmf-api/partnershipManagement/v4/partnershipSpecification"
TYPES = "/tmf-api/partnershipManagement/v4/partnershipType"
PARTNERSHIPS = "/tmf-api/partnershipManagement/v4/partnership"
COMMISSIONS = "/api/v1/settlement/commissions"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Statements go to a directory of the test's own."""
    monkeypatch.setenv("OPENBSS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def partners_in(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(SettlementPartner)) or 0


def agent_body(code: str = "GD-AG-001") -> dict[str, object]:
    return {
        "name": f"代理商 {code}",
        "status": "active",
        "characteristic": [
            {"name": "partnerKind", "value": "agent"},
            {"name": "partnerCode", "value": code},
        ],
    }


def test_party_role_as_partner_roles_and_provinces(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    created = client.post(ROLES, json=agent_body(), headers=auth("finance"))
    assert created.status_code == 201, created.text
    role = created.json()
    assert role["@type"] == "PartyRole"
    assert role["href"] == f"http://testserver{ROLES}/{role['id']}"
    assert client.get(f"{ROLES}/{role['id']}", headers=auth("analyst")).status_code == 200
    # SH cannot see GD's agent; a CSR may read but not write; a partner key reads nothing.
    assert client.get(f"{ROLES}/{role['id']}", headers=auth("admin", "SH")).status_code == 404
    assert client.get(ROLES, headers=auth("admin", "SH")).json() == []
    assert client.post(ROLES, json=agent_body("X"), headers=auth("csr")).status_code == 403
    assert client.get(ROLES, headers=auth("partner")).status_code == 403
    assert client.get(ROLES, headers={}).status_code == 401
    # The same code again is a conflict; a bad TADIG is refused; nothing more is written.
    again = client.post(ROLES, json=agent_body(), headers=auth("finance"))
    assert (again.status_code, again.json()["code"]) == (409, "DUPLICATE_PARTNER")
    roaming = {
        "name": "x",
        "characteristic": [
            {"name": "partnerKind", "value": "roaming"},
            {"name": "tadig", "value": "hkgpp"},
        ],
    }
    bad = client.post(ROLES, json=roaming, headers=auth("finance"))
    assert (bad.status_code, bad.json()["code"]) == (422, "INVALID_PARTNER")
    assert client.post(ROLES, json={"status": "active"}, headers=auth("admin")).status_code == 400
    assert partners_in(session_factory) == 1
    # Patching the kind away makes the role an ordinary one.
    patched = client.patch(
        f"{ROLES}/{role['id']}", json={"characteristic": []}, headers=auth("finance")
    )
    assert patched.status_code == 200
    with session_factory() as session:
        row = session.get(SettlementPartner, role["id"])
        assert row is not None and (row.kind, row.code) == (None, None)


def test_partnership_specifications_in_both_shapes(client: TestClient, auth: KeyMaker) -> None:
    old = client.post(
        TYPES,
        json={"name": "渠道合作", "roleType": [{"name": "agent"}, {"name": "retail"}]},
        headers=auth("admin"),
    )
    assert old.status_code == 201, old.text
    assert old.headers["Location"] == old.json()["href"]
    assert old.json()["roleType"] == [{"name": "agent"}, {"name": "retail"}]
    spec = client.get(f"{SPECS}/{old.json()['id']}", headers=auth("finance")).json()
    assert spec["@type"] == "PartnershipSpecification"
    assert spec["roleSpecification"] == [{"name": "agent"}, {"name": "retail"}]
    assert "roleType" not in spec
    listed = client.get(f"{TYPES}/", headers=auth("finance"))
    assert [t["id"] for t in listed.json()] == [spec["id"]]
    missing_name = client.post(f"{TYPES}/", json={"roleType": [{}]}, headers=auth("admin"))
    assert missing_name.status_code == 400
    twice = client.post(
        SPECS, json={"name": "x", "roleSpecification": [{"name": "a"}, {"name": "a"}]},
        headers=auth("admin"),
    )  # fmt: skip
    assert (twice.status_code, twice.json()["code"]) == (422, "DUPLICATE_ROLE")

    agent = client.post(ROLES, json=agent_body(), headers=auth("finance")).json()
    partnership = client.post(
        PARTNERSHIPS,
        json={
            "name": "广州代理",
            "specification": {"id": spec["id"]},
            "partner": [{"id": agent["id"]}],
        },
        headers=auth("finance"),
    )
    assert partnership.status_code == 201, partnership.text
    carrier = client.post(
        ROLES,
        json={"name": "中国联通", "characteristic": [
            {"name": "partnerKind", "value": "carrier"}, {"name": "carrierCode", "value": "CUCC"}]},
        headers=auth("finance"),
    ).json()  # fmt: skip
    wrong = client.post(
        PARTNERSHIPS,
        json={"name": "x", "specification": {"id": spec["id"]}, "partner": [{"id": carrier["id"]}]},
        headers=auth("finance"),
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "ROLE_MISMATCH")
    unknown = client.post(
        PARTNERSHIPS, json={"name": "x", "specification": {"id": "nope"}}, headers=auth("finance")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "UNKNOWN_SPECIFICATION")


def test_commission_endpoints(client: TestClient, auth: KeyMaker, data_dir: Path) -> None:
    assert client.get(f"{COMMISSIONS}/runs/2026-11", headers=auth("finance")).status_code == 404
    started = client.post(
        f"{COMMISSIONS}/runs", json={"period": "2026-11"}, headers=auth("finance")
    )
    assert started.status_code == 200, started.text
    view = started.json()
    assert (view["province"], view["period"], view["status"], view["totalFen"]) == (
        "GD", "2026-11", "done", 0,
    )  # fmt: skip
    assert view["reused"] is False and view["partners"] == []
    again = client.post(f"{COMMISSIONS}/runs", json={"period": "2026-11"}, headers=auth("admin"))
    assert again.json()["reused"] is True and again.json()["runId"] == view["runId"]
    listed = client.get(f"{COMMISSIONS}/runs", headers=auth("analyst")).json()
    assert [(r["period"], r["status"]) for r in listed] == [("2026-11", "done")]
    assert client.get(f"{COMMISSIONS}/runs", headers=auth("analyst", "SH")).json() == []
    statement = client.get(f"{COMMISSIONS}/runs/2026-11/statements/GD-AG-001", headers=auth())
    assert statement.status_code == 404
    assert (
        client.post(
            f"{COMMISSIONS}/runs", json={"period": "2026-11"}, headers=auth("analyst")
        ).status_code
        == 403
    )
    for body in ({"period": "2026-13"}, {"period": 202611}, {"period": "2026-11", "x": 1}, {}):
        refused = client.post(f"{COMMISSIONS}/runs", json=body, headers=auth("finance"))
        assert refused.status_code == 422, (body, refused.text)
    group = client.post(
        f"{COMMISSIONS}/runs", json={"period": "2026-10"}, headers=auth("admin", None)
    )
    assert (group.status_code, group.json()["code"]) == (422, "PROVINCE_REQUIRED")


def test_a_partner_statement_over_http(
    client: TestClient,
    auth: KeyMaker,
    data_dir: Path,
    session_factory: sessionmaker[Session],
) -> None:
    build_world(session_factory)
    ran = client.post(f"{COMMISSIONS}/runs", json={"period": "2026-10"}, headers=auth("finance"))
    assert ran.status_code == 200, ran.text
    (agent,) = ran.json()["partners"]
    assert (agent["partnerCode"], agent["totalFen"], agent["total"]["value"]) == (
        "GD-AG-001", 6413, 64.13,
    )  # fmt: skip
    shown = client.get(f"{COMMISSIONS}/runs/2026-10", headers=auth("analyst")).json()
    assert shown["partners"] == ran.json()["partners"] and shown["totalFen"] == 6413
    lines = client.get(
        f"{COMMISSIONS}/runs/2026-10/statements/GD-AG-001", headers=auth("billing_operator")
    ).json()["lines"]
    assert sorted(int(line["amount_fen"]) for line in lines) == [333, 1080, 5000]
    assert {line["kind_name"] for line in lines} == {
        "开户酬金 / Activation",
        "收入分成 / Revenue share",
    }
    statement = client.get(
        f"{COMMISSIONS}/runs/2026-10/statements/GD-AG-001",
        headers={**auth("billing_operator"), "Accept": "text/csv"},
    )
    assert statement.status_code == 200
    assert statement.headers["content-type"].startswith("text/csv")
    assert (
        statement.content
        == (data_dir / "settlement/commissions/GD/2026-10/GD-AG-001.csv").read_bytes()
    )
    assert statement.text.splitlines()[0].startswith("period,province,partner_code")
    assert (
        client.get(
            f"{COMMISSIONS}/runs/2026-10/statements/GD-AG-001", headers=auth("admin", "SH")
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"{COMMISSIONS}/runs/2026-10/statements/..%2Fsummary", headers=auth("admin")
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"{COMMISSIONS}/runs/2026-10/statements/GD-AG-001", headers=auth("csr")
        ).status_code
        == 403
    )


def test_party_role_events_and_hub(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    from openbss.events.models import OutboxEvent

    hub = client.post(
        "/tmf-api/partyRoleManagement/v4/hub",
        json={"callback": "http://127.0.0.1:9/listener"},
        headers=auth("finance"),
    )
    assert hub.status_code == 201, hub.text
    role = client.post(ROLES, json=agent_body(), headers=auth("finance")).json()
    client.patch(f"{ROLES}/{role['id']}", json={"status": "suspended"}, headers=auth("admin"))
    assert client.delete(f"{ROLES}/{role['id']}", headers=auth("admin")).status_code == 204
    with session_factory() as session:
        events = session.scalars(
            select(OutboxEvent.event_type)
            .where(OutboxEvent.api == "partyRole")
            .order_by(OutboxEvent.created_at)
        ).all()
    # the patch's two events come from one transaction: their order between them is not kept
    assert sorted(events) == [
        "PartyRoleAttributeValueChangeEvent", "PartyRoleCreateEvent", "PartyRoleDeleteEvent",
        "PartyRoleStateChangeEvent",
    ]  # fmt: skip
    assert (events[0], events[-1]) == ("PartyRoleCreateEvent", "PartyRoleDeleteEvent")
