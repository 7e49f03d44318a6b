"""``openbss vouchers`` and ``openbss balance`` on a migrated SQLite file: the printer's file
(written once, mode 0600), selling, redeeming, paying in, showing and the daily expiry."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

from sqlalchemy import select

from openbss.charging.models import Voucher
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from tests.charging_support import line
from tests.cli_support import cli_database, invoke


def test_vouchers_and_balance_commands(tmp_path: Path) -> None:
    with cli_database(tmp_path) as url:
        assert invoke("db", "upgrade").code == 0
        factory = make_session_factory(make_engine(url))
        with unit_of_work(factory) as s:
            line(s, "+8613300000001")

        made = invoke(
            "vouchers", "generate", "--batch", "CLI1", "--count", "3", "--face-value", "20",
            "--valid-until", "2099-12-31", "--province", "GD",
        )  # fmt: skip
        assert made.code == 0, made.stderr
        printed = tmp_path / "vouchers" / "CLI1.csv"
        assert stat.S_IMODE(printed.stat().st_mode) == 0o600
        rows = list(csv.DictReader(printed.open()))
        assert [r["serial"] for r in rows] == ["CLI100000001", "CLI100000002", "CLI100000003"]
        assert {r["face_value_yuan"] for r in rows} == {"20.00"}
        with unit_of_work(factory) as s:
            hashes = set(s.scalars(select(Voucher.pin_hash)))
        assert not hashes & {r["pin"] for r in rows}

        twice = invoke(
            "vouchers", "generate", "--batch", "CLI1", "--count", "1", "--face-value", "20",
            "--valid-until", "2099-12-31",
        )  # fmt: skip
        assert twice.code == 1 and "printed once" in twice.stderr
        assert len(list(csv.DictReader(printed.open()))) == 3

        refused = invoke("vouchers", "redeem", "13300000001", "--pin", rows[0]["pin"])
        assert refused.code == 1 and "not been sold" in refused.stderr
        assert invoke("vouchers", "activate", "--batch", "CLI1").code == 0
        assert invoke("vouchers", "freeze", "--serial", "CLI100000003").code == 0
        ok = invoke("vouchers", "redeem", "13300000001", "--pin", rows[0]["pin"])
        assert ok.code == 0, ok.stderr
        assert "20.00 yuan; balance 20.00 yuan" in ok.stderr
        frozen = invoke("vouchers", "redeem", "13300000001", "--pin", rows[2]["pin"])
        assert frozen.code == 1 and "frozen" in frozen.stderr

        paid = invoke("balance", "top-up", "13300000001", "--amount", "5.5", "--reference", "R1")
        assert paid.code == 0 and "balance 25.50 yuan" in paid.stderr
        again = invoke("balance", "top-up", "13300000001", "--amount", "5.5", "--reference", "R1")
        assert "already applied" in again.stderr and "balance 25.50 yuan" in again.stderr
        bad = invoke("balance", "top-up", "13300000001", "--amount", "0.001", "--reference", "R2")
        assert bad.code == 1 and "whole number of fen" in bad.stderr

        shown = invoke("balance", "show", "+8613300000001")
        buckets = json.loads(shown.stdout)["buckets"]
        assert [b["remainingValue"] for b in buckets] == [{"amount": 25.5, "units": "CNY"}]
        states = json.loads(invoke("vouchers", "status", "CLI1").stdout)["states"]
        assert states == {"used": 1, "active": 1, "frozen": 1}

        expired = invoke("balance", "expire", "--at", "2100-01-01T00:00:00Z", "--no-work")
        assert expired.code == 0, expired.stderr
        assert "1 bucket(s) expired (25.50 yuan written off), 2 voucher(s) expired" in (
            expired.stderr
        )
