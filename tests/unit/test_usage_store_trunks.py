"""The usage store's trunk-group columns: parts written before them read with nulls beside
new parts, and ``upgrade_parts`` rewrites the old ones whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from openbss.mediation import store


def _part(data_dir: Path, batch: str, with_trunks: bool) -> Path:
    empty = pl.from_arrow(store.USAGE_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    row = empty.clear(1).with_columns(
        record_id=pl.lit(f"{batch}:0"), trunk_in=pl.lit("TG0201" if with_trunks else None)
    )
    frame = row if with_trunks else row.drop("trunk_in", "trunk_out")
    directory = store.partition(data_dir, "normalised", "GD", date(2005, 3, 2))
    return store.write_part(frame, directory, batch)


def test_old_and_new_parts_read_together_and_old_ones_upgrade(tmp_path: Path) -> None:
    old = _part(tmp_path, "old", with_trunks=False)
    new = _part(tmp_path, "new", with_trunks=True)
    assert "trunk_in" not in pq.read_schema(old).names
    both = store.scan_parts([old, new]).select("record_id", "trunk_in").sort("record_id")
    assert both.collect().rows() == [("new:0", "TG0201"), ("old:0", None)]
    assert store.upgrade_parts(tmp_path) == 1
    assert pq.read_schema(old).names == store.USAGE_SCHEMA.names
    assert store.upgrade_parts(tmp_path) == 0  # nothing left to do
    scanned = store.scan(tmp_path, "normalised", "GD")
    assert scanned is not None and scanned.collect().height == 2
