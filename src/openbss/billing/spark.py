"""The bill run's per-account kernel on Apache Spark, for group-scale runs.

A bill run reads the province once (:func:`openbss.billing.inputs.load_province`) and bills
it a chunk at a time. With :func:`spark_biller` a chunk's bills are made by Spark instead of
in this process: the province's gathered inputs are broadcast once per run, the chunk's
accounts (with their places, which give the bill numbers) are hash-partitioned by account,
and ``mapInArrow`` runs :func:`openbss.billing.runs.bill_account` — the same
``assemble.account_lines`` + ``totals.summarise`` kernel — over each partition, returning
each account's bill and item rows (or its refusal). The run then writes them exactly as it
writes in-process bills, so both engines give the same bills and items.

An account's bill depends only on the broadcast inputs and its own adjustments, so any
partitioning gives the same rows; partitioning by account only spreads the work.

PySpark is an optional (dev) dependency: it is imported only inside the functions here.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from openbss.billing.inputs import ProvinceData
from openbss.billing.runs import ChunkBiller, ChunkJob, Outcome, bill_account

if TYPE_CHECKING:
    from pyspark import Broadcast
    from pyspark.sql import SparkSession

# The kernel's output: one row per account, its outcome pickled (a bill's row and item rows
# hold dates, enums and JSON documents, which Arrow has no one type for).
_OUTCOME_SCHEMA = "account_id string, place long, outcome binary"
_OUTCOME_ARROW = pa.schema(
    [("account_id", pa.string()), ("place", pa.int64()), ("outcome", pa.binary())]
)


def _bill_partition(
    shipped: Broadcast[tuple[ProvinceData, str]],
    adjustments: Any,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """Executor side: the bills of one partition's accounts."""
    data, run_id = shipped.value
    for batch in batches:
        accounts = batch.column("account_id").to_pylist()
        places = batch.column("place").to_pylist()
        outcomes = [
            pickle.dumps(bill_account(data, run_id, account_id, place, adjustments))
            for account_id, place in zip(accounts, places, strict=True)
        ]
        yield pa.RecordBatch.from_arrays(
            [pa.array(accounts, pa.string()), pa.array(places, pa.int64()), pa.array(outcomes)],
            schema=_OUTCOME_ARROW,
        )


class _SparkBiller:
    """A :data:`~openbss.billing.runs.ChunkBiller` on Spark; broadcasts the province's
    inputs on its first chunk and keeps the broadcast for the run's later chunks."""

    def __init__(self, spark: SparkSession, partitions: int | None) -> None:
        self._spark = spark
        self._partitions = partitions
        self._shipped: tuple[int, Broadcast[tuple[ProvinceData, str]]] | None = None

    def _broadcast(self, job: ChunkJob) -> Broadcast[tuple[ProvinceData, str]]:
        if self._shipped is None or self._shipped[0] != id(job.data):
            if self._shipped is not None:
                self._shipped[1].unpersist()
            shipped = self._spark.sparkContext.broadcast((job.data, job.run_id))
            self._shipped = (id(job.data), shipped)
        return self._shipped[1]

    def __call__(self, job: ChunkJob) -> list[tuple[str, Outcome]]:
        if not job.accounts:
            return []
        shipped = self._broadcast(job)
        accounts = self._spark.createDataFrame(
            [(account_id, place) for account_id, place in job.accounts],
            "account_id string, place long",
        )
        spread = (
            accounts.repartition(self._partitions, "account_id")
            if self._partitions
            else accounts.repartition("account_id")
        )
        kernel = partial(_bill_partition, shipped, job.adjustments)
        table = spread.mapInArrow(kernel, _OUTCOME_SCHEMA).toArrow()
        rows = sorted(
            zip(
                table.column("place").to_pylist(),
                table.column("account_id").to_pylist(),
                table.column("outcome").to_pylist(),
                strict=True,
            )
        )
        # Spark returns partitions in any order: back to the order of the chunk. The bytes
        # are this job's own kernel output, never outside input.
        return [
            (account_id, pickle.loads(outcome))  # noqa: S301
            for _place, account_id, outcome in rows
        ]


def spark_biller(spark: SparkSession, partitions: int | None = None) -> ChunkBiller:
    """A chunk biller running the per-account kernel on ``spark`` over ``partitions``
    partitions (Spark's default shuffle partitions when None)."""
    return _SparkBiller(spark, partitions)
