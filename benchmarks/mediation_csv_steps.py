"""Where one switch CSV ingest spends its time, step by step.

Runs the steps of ``ingest_file`` one after the other on a generated huawei_csv file, each
materialised before the next starts (so one step's time is its own), and prints wall and
process CPU seconds per step: checksum, decode, claim, normalise (E.164), validate, duplicate
key, first occurrence, window lookup, guiding, record ids, each Parquet part and the
manifest. The staged plan is slower in total than the pipeline's single plan (it
materialises between steps); the last line times the real ``ingest_file`` for comparison.
Medians of ``--runs`` runs after one warm-up. Usage:

    uv run python benchmarks/mediation_csv_steps.py [--records 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediation_csv import index_of
from mediation_csv_read import make_file, subscribers

from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.clock import now
from openbss.mediation import pipeline
from openbss.mediation.formats import decode
from openbss.mediation.guiding import guide
from openbss.mediation.models import BatchStatus
from openbss.mediation.normalise import dedup_key, normalise, reason_code, reason_text
from openbss.mediation.pipeline import DUPLICATE, Ingest
from openbss.registry import metadata


def staged(path: Path, index: pl.DataFrame, work: Path, timed: Callable[..., Any]) -> None:
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    metadata.create_all(engine)
    ingest = Ingest(make_session_factory(engine), work / "data", "GD", default_area="020")
    ingest._index = index
    digest = timed("checksum", pipeline.checksum, path)
    decoded = timed("decode", decode, path, "huawei_csv")
    source = pipeline.source_of(path, decoded)
    batch = timed("claim (manifest row)", pipeline._claim, ingest, path.name, digest,
                  "huawei_csv", decoded, source)  # fmt: skip
    raw = timed("to polars", pl.from_arrow, decoded.records)

    def step(name: str, frame: pl.DataFrame, make: Callable[[pl.LazyFrame], pl.LazyFrame]):
        return timed(name, lambda: make(frame.lazy()).collect(engine="in-memory"))

    frame = step("normalise (E.164, IP code)", raw, lambda f: normalise(
        f.with_row_index("row_no"), default_area=ingest.default_area))  # fmt: skip
    frame = step("validate (reason code)", frame, lambda f: f.with_columns(
        reason_code=reason_code(now())))  # fmt: skip
    frame = step("duplicate key", frame, lambda f: f.with_columns(key=dedup_key()))
    local_day = pl.col("event_time").dt.convert_time_zone(ingest.zone.key).dt.date()
    frame = step("local day", frame, lambda f: f.with_columns(day=local_day.fill_null(batch.day)))
    valid = pl.col("reason_code").is_null()
    frame = step("first occurrence", frame, lambda f: f.with_columns(
        first=pl.when(valid).then(pl.col("key")).map_batches(
            pipeline.first_occurrence, return_dtype=pl.Boolean)))  # fmt: skip
    days = timed("event days", pipeline._event_days, raw, ingest.zone)
    known = timed("window lookup (keys read)", pipeline._known_keys, ingest, source, days)
    seen = pl.col("key").is_in(known.implode()) if known.len() else pl.lit(False)
    frame = step("duplicate fate", frame, lambda f: f.with_columns(
        reason_code=pl.when(valid & (~pl.col("first") | seen)).then(pl.lit(DUPLICATE))
        .otherwise(pl.col("reason_code"))))  # fmt: skip
    frame = step("guiding", frame, lambda f: guide(f, index))
    unknown = pl.col("reason_code").is_null() & pl.col("product_id").is_null()
    frame = step("unknown subscriber", frame, lambda f: f.with_columns(reason_code=pl.when(
        unknown).then(pl.lit("UNKNOWN_SUBSCRIBER")).otherwise(pl.col("reason_code"))))  # fmt: skip
    frame = step("reason text", frame, lambda f: f.with_columns(reason=reason_text()))
    frame = step("record ids", frame, lambda f: f.with_columns(
        record_id=pl.format(f"{digest[:20]}:{{}}", pl.col("record_no"))))  # fmt: skip
    frame = step("constants (batch, source)", frame, lambda f: f.with_columns(
        batch_id=pl.lit(batch.id), source=pl.lit(batch.source),
        province=pl.lit(ingest.province)))  # fmt: skip
    fate = pl.col("reason_code")
    accepted = timed("split by fate", lambda: frame.filter(fate.is_null()))
    rejected = frame.filter(fate.is_not_null() & (fate != DUPLICATE))
    duplicates = frame.filter(fate == DUPLICATE)
    rejected = timed("raw text of rejects", pipeline._with_raw, rejected, path)
    duplicates = pipeline._with_raw(duplicates, path)
    cols = pipeline._usage_columns
    timed(
        f"part normalised ({accepted.height:,})",
        pipeline._write,
        accepted.select(*cols(keep_raw_numbers=False), "day"),
        "normalised",
        ingest,
        batch.id,
    )
    reject_columns = [*cols(keep_raw_numbers=True), "reason_code", "reason", "raw", "day"]
    timed(
        f"part rejected ({rejected.height:,})",
        pipeline._write,
        rejected.select(reject_columns),
        "rejected",
        ingest,
        batch.id,
    )
    timed(
        f"part duplicate ({duplicates.height:,})",
        pipeline._write,
        duplicates.select(reject_columns),
        "duplicate",
        ingest,
        batch.id,
    )
    timed("part keys", pipeline._write, accepted.select("source", "key", "day"), "keys",
          ingest, batch.id)  # fmt: skip
    counts = (frame.height, accepted.height, rejected.height, duplicates.height)
    timed("manifest (done)", pipeline._finish, ingest, batch.id, status=BatchStatus.DONE,
          counts=counts)  # fmt: skip
    engine.dispose()


def whole(path: Path, index: pl.DataFrame, work: Path) -> None:
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    metadata.create_all(engine)
    ingest = Ingest(make_session_factory(engine), work / "data", "GD", default_area="020")
    ingest._index = index
    outcome = pipeline.ingest_file(ingest, path, file_format="huawei_csv")
    assert outcome.status == "done", outcome
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    index = index_of(subscribers(20_000))
    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, _ = make_file(folder, args.records, seed=2005)
        for run in range(args.runs + 1):

            def timed(
                name: str, work: Callable[..., Any], *a: Any, _keep: bool = run > 0, **k: Any
            ) -> Any:
                wall, cpu = time.perf_counter(), time.process_time()
                result = work(*a, **k)
                if _keep:  # the first run warms caches and imports
                    walls[name].append(time.perf_counter() - wall)
                    cpus[name].append(time.process_time() - cpu)
                return result

            staged(path, index, folder / f"staged-{run}", timed)
            (folder / f"whole-{run}").mkdir()
            timed("ingest_file (one plan, for comparison)", whole, path, index,
                  folder / f"whole-{run}")  # fmt: skip
    print(f"{'step':<42} {'wall s':>8} {'cpu s':>8}   (medians of {args.runs} runs)")
    total_wall = total_cpu = 0.0
    for name in walls:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        if not name.startswith("ingest_file"):
            total_wall += wall
            total_cpu += cpu
        else:
            print(f"{'sum of the steps':<42} {total_wall:8.3f} {total_cpu:8.3f}")
        print(f"{name:<42} {wall:8.3f} {cpu:8.3f}")


if __name__ == "__main__":
    main()
