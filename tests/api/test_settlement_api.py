"""``/api/v1/settlement`` end to end: a run, its statements and files, a reconciliation with
its three differences, a dispute agreed once; roles, province isolation and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.settings import get_settings
from tests.conftest import KeyMaker
from tests.settlement_support import PERIOD, build

BASE = "/api/v1/settlement"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENBSS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_settlement_through_the_api(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    data_dir: Path,
) -> None:
    build(session_factory, data_dir)
    finance = auth("finance", "GD")
    started = client.post(f"{BASE}/runs", json={"period": PERIOD}, headers=finance)
    assert started.status_code == 201, started.text
    assert (started.json()["status"], started.json()["statements"]) == ("done", 2)

    statements = client.get(f"{BASE}/statements", params={"period": PERIOD}, headers=finance)
    assert statements.status_code == 200
    unicom = next(s for s in statements.json() if s["partner"] == "CUCC")
    assert (unicom["receivableFen"], unicom["payableFen"]) == (83, 5)
    assert unicom["receivable"] == {"unit": "CNY", "value": 0.83}
    voice = next(ln for ln in unicom["lines"] if ln["rule"] == "2014 mobile→fixed voice")
    assert (voice["records"], voice["quantity"], voice["amountLi"], voice["amountFen"]) == (
        10, 20, 800, 80,
    )  # fmt: skip
    one = client.get(f"{BASE}/statements/{unicom['id']}", headers=finance)
    assert one.status_code == 200 and one.json()["payableFen"] == 5
    csv_file = client.get(
        f"{BASE}/statements/{unicom['id']}", headers={**finance, "Accept": "text/csv"}
    )
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    pdf = client.get(
        f"{BASE}/statements/{unicom['id']}", headers={**finance, "Accept": "application/pdf"}
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    theirs = csv_file.text.replace(",0.80", ",0.90")
    theirs = "\n".join(ln for ln in theirs.splitlines() if "2014 SMS fixed→mobile" not in ln)
    theirs += "\nCUCC,2026-03,in,voice,extra rule,1,1,minute,0.06\n"
    matched = client.post(
        f"{BASE}/reconciliations",
        json={"partner": "CUCC", "period": PERIOD, "statement": theirs},
        headers=finance,
    )
    assert matched.status_code == 201, matched.text
    kinds = [(d["kind"], d["rule"], d["deltaFen"]) for d in matched.json()["differences"]]
    assert kinds == [
        ("differs", "2014 mobile→fixed voice", 10),
        ("missing", "2014 SMS fixed→mobile", -5),
        ("extra", "extra rule", 6),
    ]
    difference = matched.json()["differences"][0]["id"]
    opened = client.post(f"{BASE}/disputes", json={"differenceId": difference}, headers=finance)
    assert opened.status_code == 201 and opened.json()["state"] == "open"
    dispute = opened.json()["id"]
    for state in ("underReview", "agreed"):
        moved = client.patch(f"{BASE}/disputes/{dispute}", json={"state": state}, headers=finance)
        assert moved.status_code == 200, moved.text
    assert moved.json()["agreedFen"] == 10
    back = client.patch(f"{BASE}/disputes/{dispute}", json={"state": "open"}, headers=finance)
    assert back.status_code == 409

    # Another province sees none of it; a CSR may not read settlement.
    shanghai = auth("finance", "SH")
    assert client.get(f"{BASE}/statements/{unicom['id']}", headers=shanghai).status_code == 404
    assert client.get(f"{BASE}/disputes", headers=shanghai).json() == []
    assert client.get(f"{BASE}/runs", headers=auth("csr", "GD")).status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/runs", {"period": "2026-13"}, 422),
        ("/runs", {"period": "2026-03", "extra": 1}, 400),
        (
            "/chargebacks",
            {"partner": "SP1", "complaintRef": "T1", "amountFen": -5, "reason": "x"},
            422,
        ),
        (
            "/chargebacks",
            {"partner": "SP1", "complaintRef": "T1", "amountFen": "5", "reason": "x"},
            400,
        ),
        (
            "/reconciliations",
            {"partner": "CUCC", "period": "2026-03", "statement": "a,b\n1,2\n"},
            422,
        ),
        ("/disputes", {"differenceId": "nope"}, 404),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    client: TestClient, auth: KeyMaker, path: str, body: dict[str, object], status: int
) -> None:
    answer = client.post(f"{BASE}{path}", json=body, headers=auth("finance", "GD"))
    assert answer.status_code == status, answer.text
    assert set(answer.json()) >= {"code", "reason", "message", "status"}
