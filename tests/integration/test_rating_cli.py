"""The operator's CLI on rating: run a period, explain a record, correct a tariff, rerate,
close the period, and see the adjustments and the reconcile.

Runs the real ``openbss`` command in subprocesses against a migrated SQLite file; the lines
and their calls are set up through the services.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from openbss.db.engine import make_engine, make_session_factory
from openbss.rating.models import TariffVersion
from tests.rating_support import PERIOD, call, line, mediate, national, rating_ready
from tests.support import cli_env, run_cli

AT_10 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 3 March 2026, 10:00 in Guangzhou


def test_rate_explain_correct_rerate_and_adjust_from_the_cli(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    assert run_cli(env, tmp_path, "db", "upgrade").returncode == 0
    factory = make_session_factory(make_engine(url))
    sales = rating_ready(factory)
    number = line(factory, sales)
    rows = [
        call(0, national(number), AT_10, "02087654321", 200),  # local 0.33
        call(1, national(number), AT_10 + timedelta(minutes=5), "01062345678", 61),  # 0.77
        call(2, national(number), AT_10 + timedelta(minutes=9), "0033123456", 10),  # unknown
    ]
    mediate(factory, tmp_path, rows, "GZ-SW01_0001.csv")

    bad = run_cli(env, tmp_path, "rating", "run", "--period", "2026-13")
    assert bad.returncode == 1 and "YYYY-MM" in bad.stderr

    rated = run_cli(env, tmp_path, "rating", "run", "--period", PERIOD, "--workers", "1")
    assert rated.returncode == 0, rated.stderr
    assert "UNKNOWN_DESTINATION" in rated.stdout and "1.100" in rated.stdout, rated.stdout

    run_dir = next((tmp_path / "rated").glob(f"province=GD/period={PERIOD}/run=*"))
    output = pl.read_parquet(next(run_dir.glob("rated-*.parquet")))
    beijing = output.filter(pl.col("amount_li") == 770)["record_id"][0]
    explained = run_cli(env, tmp_path, "rating", "explain", beijing, "--json")
    assert explained.returncode == 0, explained.stderr
    explanation = json.loads(explained.stdout)
    assert explanation["rating"]["matched_prefix"] == "8610"
    assert explanation["rating"]["zone"] == "interProvince"
    assert explanation["destination"] == "Beijing"
    assert explanation["rule"]["name"] == "ddd"
    assert explanation["amountYuan"] == "0.770"
    unknown = run_cli(env, tmp_path, "rating", "explain", "no-such-record")
    assert unknown.returncode == 1 and "has not been rated" in unknown.stderr

    reconciled = run_cli(env, tmp_path, "mediation", "reconcile")
    assert reconciled.returncode == 0, reconciled.stderr
    assert "rating errors" in reconciled.stdout

    closed = run_cli(env, tmp_path, "rating", "close", "--period", PERIOD)
    assert closed.returncode == 0, closed.stderr

    exported = run_cli(env, tmp_path, "rating", "tariff", "export", "CT2005-FIXED")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    document["version"] = 2
    document["reason"] = "DDD day rate 0.06"
    for rule in document["rules"]:
        if rule["name"] == "ddd" and "band" not in rule:
            rule["charge"]["stepLi"] = 60
    corrected = tmp_path / "fixed-v2.json"
    corrected.write_text(json.dumps(document), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**document, "version": 3, "bands": []}), encoding="utf-8")

    refused = run_cli(env, tmp_path, "rating", "tariff", "load", str(broken))
    assert refused.returncode == 1 and "bands" in refused.stderr
    loaded = run_cli(env, tmp_path, "rating", "tariff", "load", str(corrected))
    assert loaded.returncode == 0, loaded.stderr
    again = run_cli(env, tmp_path, "rating", "tariff", "load", str(corrected))
    assert again.returncode == 1 and "next version is 3" in again.stderr
    with factory() as session:
        assert session.query(TariffVersion).filter_by(tariff_id="CT2005-FIXED").count() == 2

    rerated = run_cli(
        env, tmp_path, "rating", "run", "--period", PERIOD, "--workers", "1", "--reason", "DDD"
    )
    assert rerated.returncode == 0, rerated.stderr
    assert "adjustments (billed period)" in rerated.stdout
    adjustments = run_cli(env, tmp_path, "rating", "adjustments", "--period", PERIOD)
    assert adjustments.returncode == 0, adjustments.stderr
    assert sales.account_id in adjustments.stdout and "-0.110" in adjustments.stdout
