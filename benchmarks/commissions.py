"""Channel commission lines at scale: :func:`compute_lines` over generated sales and top-ups,
against a plain Polars aggregation of the same amounts.

Generates (seeded, not timed) ``--sales`` sales by ``--partners`` agents, activated over the
twelve months before the period (a tenth ceased, half of those early), each billed an amount
this month, and ``--recharges`` top-ups; every agent has the same commission rules. Then, each
figure the median of ``--runs``:

* **lines**: ``compute_lines`` (activation, revenue share, clawback, recharge — the run's
  arithmetic, without the database reads and statement writes), sales/s;
* **baseline**: Polars summing the billed amounts by partner (the least any computation of
  the month must do), and the ratio lines / baseline.

Usage:

    uv run python benchmarks/commissions.py [--sales 1000000] [--partners 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

import polars as pl

from openbss.settlement.commissions.calculations import Recharge, Rules, Sale
from openbss.settlement.commissions.inputs import RunInputs
from openbss.settlement.commissions.runs import compute_lines

PERIOD = "2026-11"
RULES = Rules(
    activation_fen=5000,
    service_types=frozenset({"bundle", "fixedVoice"}),
    recharge_bp=300,
    revenue_share_bp=500,
    revenue_share_months=6,
    clawback_months=3,
)


def generate(sales: int, partners: int, recharges: int, seed: int = 7) -> RunInputs:
    rng = random.Random(seed)
    start = date(2025, 12, 1)
    made: list[Sale] = []
    billed: dict[str, int] = {}
    for n in range(sales):
        activated = start + timedelta(days=rng.randrange(365))
        ceased = None
        if rng.random() < 0.1:
            ceased = activated + timedelta(days=rng.randrange(30, 200))
        product = f"p{n:08d}"
        made.append(
            Sale(product, f"agent{n % partners:04d}", f"o{n:08d}",
                 rng.choice(("bundle", "fixedVoice", "phs")), activated, ceased)
        )  # fmt: skip
        billed[product] = rng.randrange(2000, 30000)
    taken = [
        Recharge(f"t{n:08d}", f"agent{n % partners:04d}", rng.randrange(1000, 20000),
                 date(2026, 11, 1 + rng.randrange(30)))
        for n in range(recharges)
    ]  # fmt: skip
    return RunInputs(
        period=PERIOD,
        partners={},
        sales=made,
        billed=billed,
        recharges=taken,
        rules=lambda _partner, _day: (RULES, "contract-1"),
        paid={s.product_id: 5000 for s in made if s.ceased is not None},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--recharges", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    inputs = generate(args.sales, args.partners, args.recharges)
    frame = pl.DataFrame(
        {
            "partner": [s.partner_id for s in inputs.sales],
            "billed": [inputs.billed[s.product_id] for s in inputs.sales],
        }
    )
    timings, baselines, count = [], [], 0
    for _ in range(args.runs):
        began = time.perf_counter()
        count = len(compute_lines(inputs))
        timings.append(time.perf_counter() - began)
        began = time.perf_counter()
        frame.group_by("partner").agg(pl.col("billed").sum())
        baselines.append(time.perf_counter() - began)
    lines_s, base_s = statistics.median(timings), statistics.median(baselines)
    print(f"sales {args.sales:,}, recharges {args.recharges:,}, partners {args.partners:,}")
    print(f"lines: {count:,} in {lines_s:.2f} s = {args.sales / lines_s:,.0f} sales/s")
    print(
        f"baseline (Polars sum by partner): {base_s * 1000:.1f} ms; ratio {lines_s / base_s:,.0f}"
    )


if __name__ == "__main__":
    main()
