"""Online charging over Diameter Gy: CCR-I/U/T per second and latency, against a DWR/DWA echo.

Starts ``openbss ocs serve`` (SQLite in a temporary directory, ``--lines`` seeded PHS prepaid
lines with money on each), then a load client on the same machine: asyncio, ``--connections``
peer connections, each keeping ``--depth`` requests in flight (pipelined); every session is
CCR-I (300 s asked), CCR-U (used 60 s, 300 s asked), CCR-T (used 45 s), spread over the
lines. The same client then sends DWRs on the same connections and server (the echo: the
Diameter stack, framing and event loop without the engine). Each phase runs ``--runs``
times; the medians are printed, and the ratio CCR/s ÷ DWR/s.

    uv run --frozen python benchmarks/ocs.py [--sessions 1500] [--lines 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diameter.message import Avp
from diameter.message.constants import AVP_ORIGIN_HOST, AVP_ORIGIN_REALM
from tests.gy_client import ccr, cer
from tests.ocs_support import number, ocs_serve, prepare

from openbss.charging.gy import codec

CALLED = "862087654321"  # a local Guangzhou fixed number


class Peer:
    """One connection: requests matched to answers by Hop-by-Hop-Identifier."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.waiting: dict[int, tuple[asyncio.Future[int], float]] = {}
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            head = await self.reader.readexactly(4)
            rest = await self.reader.readexactly(int.from_bytes(head[1:4], "big") - 4)
            data = head + rest
            hop = int.from_bytes(data[12:16], "big")
            future, _ = self.waiting.pop(hop)
            future.set_result(_result_code(data))

    async def ask(self, data: bytes, hop: int, latencies: list[float]) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self.waiting[hop] = (future, started)
        self.writer.write(data)
        result = await future
        latencies.append(time.perf_counter() - started)
        return result


def _result_code(data: bytes) -> int:
    """The top-level Result-Code (268), read from the AVP headers without decoding the rest."""
    offset = 20
    while offset + 8 <= len(data):
        code = int.from_bytes(data[offset : offset + 4], "big")
        length = int.from_bytes(data[offset + 5 : offset + 8], "big")
        header = 12 if data[offset + 4] & 0x80 else 8
        if code == 268:
            return int.from_bytes(data[offset + header : offset + header + 4], "big")
        offset += (length + 3) & ~3
    return 0


async def _connect(port: int, hops: itertools.count[int]) -> Peer:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    peer = Peer(reader, writer)
    hop = next(hops)
    assert await peer.ask(cer(hop=hop), hop, []) == 2001
    return peer


async def ccr_phase(
    peers: list[Peer], sessions: int, lines: int, depth: int, hops: itertools.count[int], tag: str
) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    results: dict[int, int] = {}
    slots = asyncio.Semaphore(depth * len(peers))

    async def session(index: int) -> None:
        async with slots:
            peer = peers[index % len(peers)]
            subscriber = number(index % lines)
            sid = f"bench;{tag};{index}"
            steps = (
                (1, 0, {"requested": 300}),
                (2, 1, {"requested": 300, "used": 60}),
                (3, 2, {"used": 45}),
            )
            for kind, n, units in steps:
                hop = next(hops)
                data = ccr(sid, kind, n, hop=hop, msisdn=subscriber, called=CALLED, **units)
                code = await peer.ask(data, hop, latencies)
                results[code] = results.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(session(i) for i in range(sessions)))
    return time.perf_counter() - started, latencies, results


async def dwr_phase(
    peers: list[Peer], count: int, depth: int, hops: itertools.count[int]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    slots = asyncio.Semaphore(depth * len(peers))
    identity = [Avp.new(AVP_ORIGIN_HOST, value=b"bench.test"),
                Avp.new(AVP_ORIGIN_REALM, value=b"test")]  # fmt: skip

    async def one(index: int) -> None:
        async with slots:
            hop = next(hops)
            data = codec.request_bytes(280, 0, identity, hop_by_hop=hop, end_to_end=hop)
            assert await peers[index % len(peers)].ask(data, hop, latencies) == 2001

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(port: int, args: argparse.Namespace) -> dict[str, list[float]]:
    hops = itertools.count(1)
    peers = [await _connect(port, hops) for _ in range(args.connections)]
    keys = ("ccr_s", "ccr_p50", "ccr_p99", "dwr_s", "dwr_p50", "dwr_p99")
    figures: dict[str, list[float]] = {key: [] for key in keys}
    for run in range(args.runs):
        elapsed, latencies, results = await ccr_phase(
            peers, args.sessions, args.lines, args.depth, hops, f"r{run}"
        )
        figures["ccr_s"].append(len(latencies) / elapsed)
        figures["ccr_p50"].append(_percentile(latencies, 0.50) * 1000)
        figures["ccr_p99"].append(_percentile(latencies, 0.99) * 1000)
        print(f"  run {run + 1}: {len(latencies)} CCR in {elapsed:.2f} s, Result-Codes {results}")
        elapsed, latencies = await dwr_phase(peers, len(latencies), args.depth, hops)
        figures["dwr_s"].append(len(latencies) / elapsed)
        figures["dwr_p50"].append(_percentile(latencies, 0.50) * 1000)
        figures["dwr_p99"].append(_percentile(latencies, 0.99) * 1000)
    for peer in peers:
        peer.task.cancel()
        peer.writer.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1500, help="sessions per run (3 CCR each)")
    parser.add_argument("--lines", type=int, default=200, help="prepaid lines seeded")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--depth", type=int, default=16, help="requests in flight per connection")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine-threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openbss-ocs-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        env = prepare(directory, lines=args.lines, balance_li=10**12)
        print(f"seeded {args.lines} prepaid lines in {time.perf_counter() - started:.1f} s")
        extra = ("--supervise-every", "0", "--engine-threads", str(args.engine_threads))
        with ocs_serve(env, directory, *extra) as ocs:
            figures = asyncio.run(measure(ocs.diameter_port, args))
    median = {key: statistics.median(values) for key, values in figures.items()}
    print(
        f"CCR-I/U/T over Diameter: {median['ccr_s']:.0f} CCR/s, p50 {median['ccr_p50']:.1f} ms, "
        f"p99 {median['ccr_p99']:.1f} ms (median of {args.runs} runs; "
        f"{args.connections} connections x {args.depth} in flight)"
    )
    print(
        f"DWR/DWA echo on the same stack: {median['dwr_s']:.0f} /s, p50 {median['dwr_p50']:.1f} "
        f"ms, p99 {median['dwr_p99']:.1f} ms"
    )
    print(f"ratio CCR/s ÷ DWR/s = {median['ccr_s'] / median['dwr_s']:.3f}")


if __name__ == "__main__":
    main()
