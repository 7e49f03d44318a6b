"""Roaming TAP out at scale: ``run_tap_out`` on visitor usage, and the file read back.

Generates (seeded, not timed) a SQLite database and usage store under a temporary directory:
one agreement, the tariffs and an SDR rate, and ``--records`` visitor records (voice, SMS and
data, a third each) put through mediation as batches of 10,000 (they are UNKNOWN_SUBSCRIBER
rejects, as visitors are). Then, in one run, each figure the median of ``--runs``:

* **tap-out**: ``run_tap_out`` (store read, pricing, pycrate BER encoding, atomic write, the
  file and record rows) in a transaction that is rolled back, records/s;
* **decode**: mediation's TAP decoder reading the written file back, records/s, and the
  ratio tap-out / decode.

Usage:

    uv run python benchmarks/roaming_tap.py [--records 30000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.mediation.public import Decoded, Ingest, decode_tap_bytes, ingest_decoded
from openbss.mediation.records import raw_table
from openbss.registry import metadata
from openbss.settlement.roaming.public import (
    add_agreement,
    add_tariff,
    run_tap_out,
    set_exchange_rate,
)

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
BATCH = 10_000


def _rows(first: int, count: int) -> list[dict[str, object]]:
    services = ("voice", "sms", "data")
    rows: list[dict[str, object]] = []
    for n in range(count):
        number = first + n
        service = services[number % 3]
        rows.append(
            {
                "record_no": n, "raw_ref": f"line={n + 1}",
                "event_time": T0 + timedelta(seconds=number % 200_000),
                "duration_s": 30 + number % 600,
                "volume_up": 1000 * (number % 50) if service == "data" else None,
                "volume_down": 5000 * (number % 50) if service == "data" else None,
                "calling": f"+4477009{number % 100_000:05d}",
                "called": None if service == "data" else "02087654321", "service": service,
                "direction": "mo", "switch_id": "GZ-MSC01", "call_reference": f"{number:08x}",
                "area_code": "020", "imsi": f"2341501{number % 10**8:08d}", "raw": "x",
            }
        )  # fmt: skip
    return rows


def setup(directory: Path, records: int) -> Ingest:
    engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory, writes=True) as session:
        start = date(2005, 1, 1)
        add_agreement(session, "CHNCT", "GBRVF", "Vodafone UK", ["23415"], valid_from=start)
        for service, increment, rate in (("voice", 60, 3000), ("sms", 1, 800), ("data", 1024, 10)):
            add_tariff(session, "*", service, "mo", increment=increment, rate_li=rate,
                       valid_from=start)  # fmt: skip
        set_exchange_rate(session, start, 11_950_000)
    ingest = Ingest(factory=factory, data_dir=directory, province="GD", default_area="020")
    with frozen_at(NOW):
        for first in range(0, records, BATCH):
            rows = _rows(first, min(BATCH, records - first))
            name = f"visitors-{first}"
            decoded = Decoded(records=raw_table(rows), sender="GZ-MSC01")
            ingest_decoded(ingest, name, f"{name:0<64}"[:64], "huawei_csv", decoded, "GZ-MSC01")
    return ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        ingest = setup(directory, args.records)
        out_times: list[float] = []
        read_times: list[float] = []
        for _ in range(args.runs):
            with ingest.factory() as session:
                started = time.perf_counter()
                (written,) = run_tap_out(session, directory, "GD", "CHNCT", zone=ZONE, created=NOW)
                out_times.append(time.perf_counter() - started)
                session.rollback()
            started = time.perf_counter()
            decoded = decode_tap_bytes(written.path.read_bytes())
            read_times.append(time.perf_counter() - started)
            assert decoded.records.num_rows == written.records == args.records
        out_s, read_s = statistics.median(out_times), statistics.median(read_times)
        size = written.path.stat().st_size
        print(f"records              {args.records:>12,}")
        print(f"TAP file             {size:>12,} bytes ({written.file_name})")
        print(f"tap-out              {args.records / out_s:>12,.0f} records/s ({out_s:.2f} s)")
        print(f"mediation decode     {args.records / read_s:>12,.0f} records/s ({read_s:.2f} s)")
        print(f"ratio tap-out/decode {out_s / read_s:>12.2f}")


if __name__ == "__main__":
    main()
