"""`rating run --engine spark` without PySpark stops at once, having claimed nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.kit.extras import MissingExtra
from openbss.rating.models import RatingRun
from openbss.rating.runs import rate_period


def test_spark_engine_without_pyspark(
    session_factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    with pytest.raises(MissingExtra, match=r"openbss\[spark\]"):
        rate_period(session_factory, tmp_path, "GD", "2026-03", engine="spark")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RatingRun)) == 0
    assert not any(tmp_path.iterdir())
