"""The vectorised rating kernel on Apache Spark, with the same output as in-process rating.

Spark only moves the records: it hashes them by *pool owner* into partitions and hands each
partition, whole, to :func:`openbss.rating.vectorised.rate_frame` in a Python worker
(``mapInArrow``). The owner is the subscriber, or the account when the plan has shared
allowances, exactly the key of :mod:`openbss.rating.partitioned`; so every allowance pool and
tier counter lies wholly inside one partition, and rating a partition at once gives the rows
and pools that rating everything at once would.

PySpark is an optional (dev) dependency: this module imports it only inside its functions, so
the rest of ``openbss`` neither needs nor loads it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeAlias

import polars as pl
import pyarrow as pa

from openbss.kit.extras import require
from openbss.rating.contract import RatingPlan
from openbss.rating.partitioned import usage_columns, usage_events
from openbss.rating.vectorised import (
    BALANCE_SCHEMA,
    RATED_SCHEMA,
    USAGE_EVENT_SCHEMA,
    CompiledPlan,
    compile_plan,
    rate_frame,
)

if TYPE_CHECKING:
    from pyspark import Broadcast
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType


# One Spark job yields both outputs, so the kernel emits one row layout for both kinds of
# row: the rated columns, the pool columns (prefixed: both have an ``allowance_id``) and a
# flag saying which kind the row is.
_POOL_PREFIX = "pool_"
_IS_POOL = "is_pool"
_COMBINED_SCHEMA: dict[str, pl.DataType] = {
    **RATED_SCHEMA,
    **{_POOL_PREFIX + name: dtype() for name, dtype in BALANCE_SCHEMA.items()},
    _IS_POOL: pl.Boolean(),
}
# Polars hands out large_string; Spark reads back exactly the Arrow types of its schema.
_ARROW_TYPES = {pl.String(): pa.string(), pl.Int64(): pa.int64(), pl.Boolean(): pa.bool_()}
_COMBINED_ARROW = pa.schema([(n, _ARROW_TYPES[t]) for n, t in _COMBINED_SCHEMA.items()])

# ``prepare`` reads a null or absent account as "": Spark must hash it as "" too, or one
# owner's records would land in two partitions (null and "" hash apart).
_NO_ACCOUNT = ""
# pandas 3 makes PySpark warn that it is untested with it; the Arrow path used here never
# touches pandas (PySpark only insists that it be installed).
_PANDAS_WARNING = "PySpark does not yet fully support pandas"

_Shipment: TypeAlias = tuple[CompiledPlan, pl.DataFrame | None]  # (plan, opening balances)


@dataclass(frozen=True, slots=True)
class SparkRateSummary:
    """What ``rate_spark_parquet`` rated and where it wrote it."""

    records: int
    errors: dict[str, int]  # records per error code; the others rated cleanly
    drawn: pl.DataFrame  # pools the run drew (``BALANCE_SCHEMA``), for ``apply_balances``
    out_dir: str


# --- executor side --------------------------------------------------------------------------


def _rate_partition(
    shipped: Broadcast[_Shipment], store: bool, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Rate one Spark partition in one call of the kernel.

    Spark streams a partition in record batches of ``maxRecordsPerBatch`` rows; one owner's
    records may fall into several batches, so they are all gathered first: rating batch by
    batch would restart pools and tier counters at every batch.
    """
    chunks = list(batches)
    if not chunks:
        return  # an empty partition draws no pool and rates nothing
    table = pa.Table.from_batches(chunks)
    # The broadcast's value is unpickled once per Python worker and kept while Spark
    # reuses the worker, so tasks do not each pay for the plan.
    plan, balances = shipped.value
    usage = usage_events(pl.DataFrame(table)) if store else table
    rated, drawn = rate_frame(usage, plan, balances)
    rows = pl.concat(
        [
            _plain(rated).with_columns(pl.lit(False).alias(_IS_POOL)),
            drawn.select(pl.all().name.prefix(_POOL_PREFIX)).with_columns(
                pl.lit(True).alias(_IS_POOL)
            ),
        ],
        how="diagonal_relaxed",
    )
    combined = rows.select(pl.col(n).cast(t) for n, t in _COMBINED_SCHEMA.items())
    yield from combined.to_arrow().cast(_COMBINED_ARROW).to_batches()


def _plain(rated: pl.DataFrame) -> pl.DataFrame:
    """Rated rows with enums as strings; any other change of type is a schema drift."""
    for name, dtype in rated.schema.items():
        wanted = RATED_SCHEMA[name]
        if dtype != wanted and not (isinstance(dtype, pl.Enum) and wanted == pl.String()):
            raise TypeError(f"rated column {name} is {dtype}, expected {wanted}")
    return rated.select(pl.col(n).cast(t) for n, t in RATED_SCHEMA.items())


# --- driver side ----------------------------------------------------------------------------


def _spark_type(dtype: pl.DataType) -> DataType:
    from pyspark.sql.types import BooleanType, LongType, StringType

    types: dict[pl.DataType, DataType] = {
        pl.String(): StringType(),
        pl.Int64(): LongType(),
        pl.Boolean(): BooleanType(),
    }
    return types[dtype]


def _struct(schema: dict[str, pl.DataType]) -> StructType:
    from pyspark.sql.types import StructField, StructType

    return StructType([StructField(n, _spark_type(t), nullable=True) for n, t in schema.items()])


def _owner(compiled: CompiledPlan, usage: DataFrame, subscriber: str, account: str) -> Column:
    """The pool owner of each record, as the engine reads it."""
    from pyspark.sql import functions as F

    if not compiled.shared:
        return F.col(subscriber)
    if account not in usage.columns:
        return F.lit(_NO_ACCOUNT)
    return F.coalesce(F.col(account), F.lit(_NO_ACCOUNT))


def _rate(
    usage: DataFrame,
    compiled: CompiledPlan,
    owner: Column,
    balances: pl.DataFrame | None,
    partitions: int | None,
    *,
    store: bool,
) -> tuple[DataFrame, Broadcast[_Shipment]]:
    """The kernel over ``usage`` partitioned by owner: rated and pool rows in one frame.

    ``repartition(n, owner)`` hash-partitions by owner, so all of an owner's records are in
    one partition, and ``mapInArrow`` calls the function once per partition with an iterator
    over all of it. (``groupBy(bucket).applyInArrow`` would also keep owners whole, but it
    sorts every partition by the bucket only to cut it into the same groups.) Adaptive query
    execution may coalesce partitions of ``repartition(owner)``, which merges whole
    partitions and so keeps owners whole too.

    The compiled plan (megabytes of lookup tables) and the opening balances travel as one
    broadcast: fetched once per executor instead of inside every task.
    """
    shipped = usage.sparkSession.sparkContext.broadcast((compiled, balances))
    spread = usage.repartition(partitions, owner) if partitions else usage.repartition(owner)
    kernel = partial(_rate_partition, shipped, store)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _PANDAS_WARNING, FutureWarning)
        return spread.mapInArrow(kernel, _struct(_COMBINED_SCHEMA)), shipped


def _split(combined: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The rated rows and the pools drawn, out of the kernel's combined rows."""
    from pyspark.sql import functions as F

    rated = combined.filter(~F.col(_IS_POOL)).select(*RATED_SCHEMA)
    drawn = combined.filter(F.col(_IS_POOL)).select(
        *(F.col(_POOL_PREFIX + name).alias(name) for name in BALANCE_SCHEMA)
    )
    return rated, drawn


def rate_spark(
    usage: DataFrame,
    plan: RatingPlan,
    balances: pl.DataFrame | None = None,
    partitions: int | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Rate a Spark frame of usage events (the columns of ``USAGE_EVENT_SCHEMA``).

    Returns (rated rows with ``RATED_SCHEMA``, pools drawn with ``BALANCE_SCHEMA``), as
    ``rate_frame`` does, in no particular order. ``balances`` are the pools before the
    batch. The records are hashed into ``partitions`` partitions by owner (Spark's
    ``spark.sql.shuffle.partitions`` when None). Both frames read one cached run of the
    kernel (memory and disk), so using both rates the events once; the cache lives until
    ``spark.catalog.clearCache()`` or the session's end.
    """
    from pyspark import StorageLevel

    compiled = compile_plan(plan)
    # Only the columns the kernel reads cross the shuffle.
    usage = usage.select(*(c for c in usage.columns if c in USAGE_EVENT_SCHEMA))
    owner = _owner(compiled, usage, "subscriber", "account_id")
    combined, _ = _rate(usage, compiled, owner, balances, partitions, store=False)
    return _split(combined.persist(StorageLevel.MEMORY_AND_DISK))


def rate_spark_parquet(
    spark: SparkSession,
    paths: Sequence[str | os.PathLike[str]],
    plan: RatingPlan,
    out_dir: str | os.PathLike[str],
    balances: pl.DataFrame | None = None,
    partitions: int | None = None,
) -> SparkRateSummary:
    """Rate usage-store Parquet files (``partitioned.USAGE_COLUMNS``) into ``out_dir``.

    The same path as ``partitioned.rate_parquet``: the store columns the plan needs, mapped
    by ``usage_events`` inside the kernel, partitioned by owner. The rated rows are written
    as Parquet (replacing what ``out_dir`` held); the pools drawn come back in the summary.
    """
    from pyspark import StorageLevel

    compiled = compile_plan(plan)
    usage = spark.read.parquet(*(os.fspath(p) for p in paths)).select(*usage_columns(compiled))
    owner = _owner(compiled, usage, "charging_party", "billing_account_id")
    combined, shipped = _rate(usage, compiled, owner, balances, partitions, store=True)
    combined = combined.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rated, drawn = _split(combined)
        target = os.fspath(out_dir)
        rated.write.mode("overwrite").parquet(target)
        counts = rated.groupBy("error").count().collect()
        pools = pl.DataFrame(drawn.toArrow()).select(
            pl.col(name).cast(dtype) for name, dtype in BALANCE_SCHEMA.items()
        )
        read = usage.count()
    finally:
        combined.unpersist()
        shipped.destroy()
    records = sum(int(row["count"]) for row in counts)
    if records != read:
        raise RuntimeError(f"{read} records read but {records} rated")
    errors = {str(row["error"]): int(row["count"]) for row in counts if row["error"] is not None}
    return SparkRateSummary(records=records, errors=errors, drawn=pools, out_dir=target)


def local_session(
    app_name: str = "openbss-rating", cores: int = 2, shuffle_partitions: int = 4
) -> SparkSession:
    """A SparkSession on this machine (``local[cores]``) for tests and small batch runs.

    Few shuffle partitions (the default 200 is meant for clusters), Arrow on, no web UI or
    progress bar, the driver on loopback only, logging at ERROR, timestamps shown in UTC.
    """
    require("pyspark", extra="spark")
    from pyspark.sql import SparkSession

    # Python workers start the interpreter named here (else "python3" from PATH, which need
    # not have this environment's packages); an explicit setting wins.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Everything stays on loopback (else Spark binds to the first interface's address).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Each of the ``cores`` concurrent tasks runs Polars: share the cores between them.
    polars_threads = str(max(1, (os.cpu_count() or 1) // cores))
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executorEnv.POLARS_MAX_THREADS", polars_threads)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
