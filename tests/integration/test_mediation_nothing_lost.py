"""Nothing is lost: mixed good, malformed, truncated and duplicate files through the collector,
a SIGKILL in the middle of an ingest, and the same file twice.

Each run has its own SQLite database and data directory, so what one example writes cannot
make another look right.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_engine, make_session_factory
from openbss.mediation import store
from openbss.mediation.collector import WORK, collect
from openbss.mediation.models import MediationBatch
from openbss.mediation.pipeline import Ingest
from openbss.mediation.reconcile import reconcile
from openbss.registry import metadata
from openbss.simulators.cdr_writer import generate_records, write_3gpp_file
from openbss.simulators.traffic import Subscriber, generate_switch_files

DAY = date(2026, 3, 2)
SUBSCRIBERS = [Subscriber(f"+86208300{n:04d}", "020") for n in range(20)]
REPO = Path(__file__).resolve().parents[2]


@contextmanager
def fresh_database(directory: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{directory / 'openbss.db'}")
    metadata.create_all(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _damage(path: Path, rng: random.Random, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        del data[rng.randrange(1, len(data)) :]
    elif how == "flip":
        for _ in range(max(1, len(data) // 200)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def _make_files(inbox: Path, choices: list[tuple[str, int]], seed: int) -> int:
    """Write the chosen files into the inbox; returns how many files were written."""
    rng = random.Random(seed)
    written = 0
    sequence = 1
    for n, (kind, size) in enumerate(choices):
        staging = inbox.parent / f"staging-{n}"
        staging.mkdir()
        if kind in ("csv", "csv-truncate", "csv-flip", "csv-copy"):
            report = generate_switch_files(
                staging, SUBSCRIBERS, day=DAY, files=1, records_per_file=size, seed=seed + n,
                duplicate_rate=0.05, garbage_rate=0.05, first_sequence=sequence,
            )  # fmt: skip
            sequence += 1
            path = report.files[0]
        elif kind in ("ber", "ber-truncate", "ber-flip"):
            path = staging / f"GZ-MSC01_{n:04d}.ber"
            records = generate_records(size, seed + n, msisdns=[s.number for s in SUBSCRIBERS])
            write_3gpp_file(path, records, sequence=n + 1)
        else:  # random bytes with a plausible name
            path = staging / f"GZ-SW09_{n:04d}.csv"
            path.write_bytes(rng.randbytes(size * 10 + 1))
        if kind.endswith("-truncate"):
            _damage(path, rng, "truncate")
        if kind.endswith("-flip"):
            _damage(path, rng, "flip")
        target = inbox / f"{n:03d}-{path.name}"
        path.rename(target)
        written += 1
        if kind == "csv-copy":  # the same content delivered again under another name
            (inbox / f"{n:03d}-again-{path.name}").write_bytes(target.read_bytes())
            written += 1
    return written


FILE_KINDS = st.sampled_from(
    [
        "csv",
        "csv",
        "csv-truncate",
        "csv-flip",
        "csv-copy",
        "ber",
        "ber-truncate",
        "ber-flip",
        "noise",
    ]
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    choices=st.lists(st.tuples(FILE_KINDS, st.integers(1, 120)), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_every_record_of_every_file_is_accounted_for(
    choices: list[tuple[str, int]], seed: int
) -> None:
    with _workspace() as root, fresh_database(root) as factory:
        inbox = root / "inbox"
        inbox.mkdir()
        written = _make_files(inbox, choices, seed)
        ingest = Ingest(factory, root / "data", "GD", default_area="020")
        report = collect(ingest, inbox)
        assert len(report.outcomes) == written
        assert not [p for p in inbox.iterdir() if p.is_file()]  # nothing left behind
        assert not list((inbox / WORK).iterdir())
        filed = [
            p
            for folder in ("archive", "rejected", "duplicate")
            for p in (inbox / folder).rglob("*")
        ]
        assert len([p for p in filed if p.is_file()]) == written
        with factory() as session:
            batches = session.scalars(select(MediationBatch)).all()
            lines = reconcile(session, "GD")
        assert all(line.balanced for line in lines)
        for batch in batches:
            assert batch.status in ("done", "rejected")
            assert batch.records_in == batch.normalised + batch.rejected + batch.duplicates
            for area, expected in (
                ("normalised", batch.normalised),
                ("rejected", batch.rejected),
                ("duplicate", batch.duplicates),
            ):
                found = store.read_batch(ingest.data_dir, area, batch.id)
                assert (0 if found is None else found.height) == expected, (batch.file_name, area)
            if batch.status == "rejected":
                assert batch.error and batch.records_in == 0
        copies = sum(1 for kind, _ in choices if kind == "csv-copy")
        assert report.count("duplicate-file") >= copies


@contextmanager
def _workspace() -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mediation-") as directory:
        yield Path(directory)


# ----- SIGKILL half-way, and the same file twice --------------------------------------------


def _cli(
    root: Path, *args: str, wait: bool = True
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENBSS_DATABASE_URL": f"sqlite:///{root / 'openbss.db'}",
        "OPENBSS_DATA_DIR": str(root / "data"),
    }
    command = [sys.executable, "-m", "openbss.cli.main", *args]
    if wait:
        return subprocess.run(
            command, env=env, cwd=root, capture_output=True, text=True, timeout=300
        )
    return subprocess.Popen(
        command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


def _store_content(root: Path) -> dict[str, pl.DataFrame]:
    content = {}
    for area in ("normalised", "rejected", "duplicate", "keys"):
        frame = store.scan(root / "data", area, "GD")
        collected = frame.collect() if frame is not None else pl.DataFrame()
        content[area] = collected.drop("batch_id", strict=False).sort(pl.all())
    return content


def _prepare(root: Path, files: Path) -> Path:
    root.mkdir()
    done = _cli(root, "db", "upgrade")
    assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0, done
    inbox = root / "inbox"
    inbox.mkdir()
    for path in sorted(files.iterdir()):
        (inbox / path.name).write_bytes(path.read_bytes())
    return inbox


def test_sigkill_half_way_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    generate_switch_files(
        files, SUBSCRIBERS, day=DAY, files=3, records_per_file=150_000, seed=7,
        duplicate_rate=0.01, garbage_rate=0.01,
    )  # fmt: skip
    clean = _prepare(tmp_path / "clean", files)
    done = _cli(clean.parent, "mediation", "ingest", str(clean))
    assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0, done.stderr

    killed_inbox = _prepare(tmp_path / "killed", files)
    root = killed_inbox.parent
    factory = make_session_factory(make_engine(f"sqlite:///{root / 'openbss.db'}"))

    def processing() -> list[MediationBatch]:
        with factory() as session:
            return list(
                session.scalars(select(MediationBatch).where(MediationBatch.status == "processing"))
            )

    # Kill the ingest while a batch is in flight. A kill that lands just after a batch
    # finished interrupts nothing; then the run is started again and killed again.
    for _attempt in range(3):
        process = _cli(root, "mediation", "ingest", str(killed_inbox), wait=False)
        assert isinstance(process, subprocess.Popen)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and not processing():
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if processing():
            break
    assert processing(), "no kill landed during a batch"
    assert list((killed_inbox / WORK).iterdir())  # the file it was working on is kept

    rerun = _cli(root, "mediation", "ingest", str(killed_inbox))
    assert isinstance(rerun, subprocess.CompletedProcess) and rerun.returncode == 0, rerun.stderr
    assert _store_content(root).keys() == _store_content(clean.parent).keys()
    for area, frame in _store_content(root).items():
        assert frame.equals(_store_content(clean.parent)[area]), area
    with factory() as session:
        assert {b.status for b in session.scalars(select(MediationBatch))} == {"done"}

    # The same files delivered again change nothing.
    before = _store_content(root)
    for path in sorted(files.iterdir()):
        (killed_inbox / path.name).write_bytes(path.read_bytes())
    again = _cli(root, "mediation", "ingest", str(killed_inbox))
    assert isinstance(again, subprocess.CompletedProcess) and again.returncode == 0
    assert "3 file(s): 0 records in" in again.stderr
    assert len(list((killed_inbox / "duplicate").rglob("*.csv"))) == 3
    after = _store_content(root)
    for area, frame in before.items():
        assert frame.equals(after[area]), area
    reconciled = _cli(root, "mediation", "reconcile")
    assert isinstance(reconciled, subprocess.CompletedProcess) and reconciled.returncode == 0
