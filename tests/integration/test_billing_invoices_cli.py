"""``openbss billing pdf`` and ``openbss billing invoices`` in subprocesses, against a
migrated SQLite file after a real bill run."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from tests.billing_support import APRIL, build_world
from tests.support import cli_env, run_cli


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_a_bills_pdf_and_a_runs_invoices_from_the_cli(tmp_path: Path) -> None:
    env, url = cli_env(tmp_path)
    migrated = run_cli(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    factory: sessionmaker[Session] = make_session_factory(make_engine(url))
    build_world(factory, tmp_path)

    trial = run_cli(env, tmp_path, "billing", "run", "--period", APRIL, "--trial")
    assert trial.returncode == 0, trial.stderr
    found = re.search(r"│ run +│ (\S+)", trial.stdout)
    assert found is not None, trial.stdout
    refused = run_cli(env, tmp_path, "billing", "invoices", found.group(1))
    assert refused.returncode == 1 and "finalised" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    preview = tmp_path / "preview.pdf"
    trial_pdf = run_cli(env, tmp_path, "billing", "pdf", "GD-202604-000001")
    assert trial_pdf.returncode == 1 and "--out" in trial_pdf.stderr
    previewed = run_cli(env, tmp_path, "billing", "pdf", "GD-202604-000001", "--out", str(preview))
    assert previewed.returncode == 0 and previewed.stdout.strip() == str(preview)
    assert "GD-202604-000001" in _text(preview)

    billed = run_cli(env, tmp_path, "billing", "run", "--period", APRIL)
    assert billed.returncode == 0, billed.stderr
    found = re.search(r"│ run +│ (\S+)", billed.stdout)
    assert found is not None, billed.stdout
    run_id = found.group(1)

    folder = tmp_path / "invoices" / "GD" / APRIL
    pdf = run_cli(env, tmp_path, "billing", "pdf", "GD-202604-000002")
    assert pdf.returncode == 0, pdf.stderr
    assert pdf.stdout.strip() == str(folder / "GD-202604-000002.pdf")
    assert "GD-202604-000002" in _text(folder / "GD-202604-000002.pdf")
    missing = run_cli(env, tmp_path, "billing", "pdf", "GD-190001-000001")
    assert missing.returncode == 1 and "not found" in missing.stderr

    invoices = run_cli(env, tmp_path, "billing", "invoices", run_id, "--workers", "2")
    assert invoices.returncode == 0, invoices.stderr
    assert f"2 invoices of bill run {run_id}" in invoices.stdout, invoices.stdout
    assert sorted(p.name for p in folder.iterdir()) == [
        "GD-202604-000001.pdf",
        "GD-202604-000002.pdf",
    ]
    for path in folder.iterdir():
        assert path.stem in _text(path) and "Amount due" in _text(path)
