"""3GPP BER CDR decoding throughput: the product's BER engine against pycrate.

Writes a TS 32.297 file of generated MSC MO / MT and PGW records (cdr_writer, not timed),
then decodes the whole file ``--runs`` times with each engine and prints records/s as the
median of the runs, the ratio between the engines, and where the BER engine's time goes
(framing the file, checking each record's TLV tree, reading the fields, mapping them to raw
rows, building the Arrow table). Usage:

    uv run python benchmarks/mediation_ber.py [--records 20000] [--runs 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openbss.mediation.decoders import ber, cdr_3gpp
from openbss.mediation.records import raw_table
from openbss.simulators.cdr_writer import generate_records, write_3gpp_file


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def stages(data: bytes) -> dict[str, float]:
    """Seconds per stage of the BER engine, run one after the other on the same file."""
    spent: dict[str, float] = {}
    start = time.perf_counter()
    header = cdr_3gpp.parse_file_header(data)
    frames = cdr_3gpp.iter_frames(data, header)
    spent["frame file (32.297)"] = time.perf_counter() - start
    start = time.perf_counter()
    records = [data[f.offset : f.offset + f.length] for f in frames]
    framed = [ber.frame_members(r) for r in records]
    spent["check TLV trees, members"] = time.perf_counter() - start
    start = time.perf_counter()
    fields = [
        cdr_3gpp.ber_fields(r, top, members)
        for r, (top, members) in zip(records, framed, strict=True)
    ]
    spent["read fields"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = [cdr_3gpp.to_row(f) for f in fields]
    for row, frame, record in zip(rows, frames, records, strict=True):
        row["raw"] = record.hex()
        row["raw_ref"] = f"offset={frame.offset}+{frame.length}"
    spent["map to rows"] = time.perf_counter() - start
    start = time.perf_counter()
    raw_table(rows)
    spent["Arrow table"] = time.perf_counter() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdr.ber"
        print(f"writing {args.records} records (pycrate encoder) ...", flush=True)
        write_seconds = timed(
            lambda: write_3gpp_file(
                path, generate_records(args.records, args.seed), sequence=args.seed
            )
        )
        size = path.stat().st_size
        print(f"  {size / 1e6:.1f} MB in {write_seconds:.1f} s (includes pycrate's import)")
        data = path.read_bytes()

        results: dict[str, float] = {}
        for engine in ("ber", "pycrate"):
            seconds = []
            for _ in range(args.runs):
                start = time.perf_counter()
                decoded = cdr_3gpp.decode_3gpp_file(path, engine=engine)  # type: ignore[arg-type]
                seconds.append(time.perf_counter() - start)
                assert decoded.file_error is None
                assert decoded.records.num_rows == args.records
                assert decoded.records.column("decode_error").null_count == args.records
            results[engine] = args.records / statistics.median(seconds)
            print(f"{engine:>8} engine: {results[engine]:>9,.0f} records/s (median of {args.runs})")
        print(f"   ratio: BER engine {results['ber'] / results['pycrate']:.1f}x pycrate")

        spent = stages(data)
        total = sum(spent.values())
        print("BER engine, where the time goes:")
        for stage, seconds in spent.items():
            share = seconds / total
            print(f"  {stage:<26} {seconds * 1e6 / args.records:6.1f} µs/record  {share:5.1%}")


if __name__ == "__main__":
    main()
