"""``openbss mediation``: collect usage files, run the RADIUS accounting server, reconcile."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from openbss.cli.common import (
    DEFAULT_PROVINCE,
    clean_errors,
    day_option,
    err,
    fail,
    province_option,
    warn,
    zone_for,
)
from openbss.cli.output import Col, FormatOption, OutputFormat, render
from openbss.kit.errors import BadRequest
from openbss.mediation.formats import FORMATS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from openbss.mediation.pipeline import Ingest
    from openbss.simulators.traffic import Subscriber

mediation_app = typer.Typer(
    help="Mediation: usage collection and revenue assurance", no_args_is_help=True
)

ProvinceOption = Annotated[str, province_option("Province the usage belongs to")]


def check_file_format(value: str | None) -> str | None:
    """Option callback: an unknown input format stops the command before any file moves."""
    if value is None or value in FORMATS:
        return value
    raise typer.BadParameter(f"unknown format {value!r}; expected one of {', '.join(FORMATS)}")


OUTCOME_COLUMNS = (
    Col("file_name", "file", "id"),
    Col("source", kind="id"),
    Col("status"),
    Col("batch_id", "batch", "id"),
    Col("records_in", "in", "number"),
    Col("normalised", kind="number"),
    Col("rejected", kind="number"),
    Col("duplicates", "duplicate", "number"),
    Col("error", "note"),
)


def _ingest(
    province: str,
    window_days: int = 7,
    default_area: str | None = None,
    dedup_fields: tuple[str, ...] | None = None,
) -> Ingest:
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.mediation.pipeline import Ingest

    settings = get_settings()
    return Ingest(
        factory=make_session_factory(make_engine()),
        data_dir=settings.data_dir,
        province=province,
        window_days=window_days,
        default_area=default_area,
        dedup_fields=dedup_fields,
    )


@mediation_app.command("ingest")
@clean_errors
def ingest(
    directory: Annotated[
        Path, typer.Argument(help="Input directory (files are picked up from here)")
    ],
    province: ProvinceOption = DEFAULT_PROVINCE,
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Input format, {' | '.join(FORMATS)} (default: told by name and content)",
            callback=check_file_format,
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Count the files under this source")] = None,
    window_days: Annotated[int, typer.Option(help="Duplicate detection window in days")] = 7,
    area_code: Annotated[
        str | None, typer.Option(help="Area code of local numbers without one")
    ] = None,
    dedup_key: Annotated[
        str | None,
        typer.Option(help="Duplicate key fields, e.g. switch_id,call_reference,event_time"),
    ] = None,
    watch: Annotated[bool, typer.Option(help="Keep watching the directory")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between directory scans")] = 2.0,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--output", help="The report: table, json, jsonl or csv", case_sensitive=False
        ),
    ] = OutputFormat.TABLE,
) -> None:
    """Ingest every file in DIRECTORY: decode, validate, deduplicate, guide, store."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from openbss.mediation.collector import collect, pending
    from openbss.mediation.pipeline import Outcome

    if not directory.is_dir():
        raise fail(f"{directory} is not a directory")
    fields = tuple(f.strip() for f in dedup_key.split(",") if f.strip()) if dedup_key else None
    if fields:
        from openbss.mediation.normalise import KEY_FIELDS

        unknown = sorted(set(fields) - KEY_FIELDS)
        if unknown:
            raise fail(f"unknown key field(s): {', '.join(unknown)}")
    run = _ingest(province, window_days, area_code, fields)
    while True:
        waiting = len(pending(directory))
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("ingesting files", total=waiting)

            def advance(_outcome: Outcome, bar: Progress = bar, task: TaskID = task) -> None:
                bar.advance(task)

            report = collect(
                run, directory, file_format=file_format, source=source, progress=advance
            )
        if report.outcomes:
            rows = [asdict(outcome) for outcome in report.outcomes]
            render(rows, OUTCOME_COLUMNS, output, zone_for(province))
            total = report.records
            err.print(
                f"{len(report.outcomes)} file(s): {total[0]} records in, {total[1]} normalised, "
                f"{total[2]} rejected, {total[3]} duplicates"
            )
        elif not watch:
            warn(f"no files waiting in {directory}")
        if not watch:
            return
        time.sleep(interval)


class DayView(StrEnum):
    """Which day a reconcile line is: of the traffic, or of the file's arrival."""

    TRAFFIC = "traffic"
    RECEIVED = "received"


def _reconcile_columns(view: DayView) -> tuple[tuple[Col, ...], tuple[Col, ...]]:
    day = Col("day", f"{view.value} day", "date")
    source = Col("source", kind="id")
    counts = (
        source,
        day,
        Col("files", kind="number"),
        Col("files_rejected", "files rejected", "number"),
        Col("records_in", "in", "number"),
        Col("normalised", kind="number"),
        Col("rejected", kind="number"),
        Col("duplicates", "duplicate", "number"),
        Col("balanced", show=lambda ok: "yes" if ok else "NO"),
    )
    rated = (
        source,
        day,
        Col("normalised", kind="number"),
        Col("rated", kind="number"),
        Col("rating_errors", "rating errors", "number"),
        Col("not_rated", "not rated yet", "number"),
    )
    return counts, rated


@mediation_app.command("reconcile")
@clean_errors
def reconcile_command(
    province: Annotated[
        str | None, province_option("Only this province", default_note="all")
    ] = None,
    day: Annotated[date | None, day_option("Only this day")] = None,
    by: Annotated[
        DayView,
        typer.Option(help="Day of the traffic (the records' own) or of the files' arrival"),
    ] = DayView.TRAFFIC,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Per source and day: in = normalised + rejected + duplicate, normalised = rated +
    rating errors + not rated yet; and sequence gaps. Days are the province's local days:
    of the traffic by default, of the files' arrival with --by received."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings
    from openbss.mediation.reconcile import reconcile, reconcile_by_traffic_day, sequence_gaps
    from openbss.rating.runs import current_batch_counts, current_day_counts

    data_dir = get_settings().data_dir
    factory = make_session_factory(make_engine())
    with factory() as session:
        if by is DayView.TRAFFIC:
            by_day = current_day_counts(session, data_dir, province, zone_for(province))
            lines = reconcile_by_traffic_day(session, data_dir, province, day, by_day)
        else:
            by_batch = current_batch_counts(session, province)
            lines = reconcile(session, province, day, by_batch)
        gaps = sequence_gaps(session, province)
    rows: list[dict[str, Any]] = [
        {**asdict(line), "balanced": line.balanced, "not_rated": line.not_rated} for line in lines
    ]
    for row in rows:
        row.pop("matches_manifest", None)
    counts, rated = _reconcile_columns(by)
    zone = zone_for(province)
    if output is OutputFormat.TABLE:
        render(rows, counts, output, zone, title="in = normalised + rejected + duplicate")
        render(
            rows, rated, output, zone, title="normalised = rated + rating errors + not rated yet"
        )
    else:
        every = {c.key: c for c in (*counts, *rated)}
        render(rows, tuple(every.values()), output, zone)
    for gap in gaps:
        span = (
            str(gap.first_missing)
            if gap.first_missing == gap.last_missing
            else f"{gap.first_missing}–{gap.last_missing}"
        )
        warn(f"sequence gap: {gap.source} is missing file sequence number(s) {span}")
    if not gaps:
        err.print("no sequence gaps")
    if not lines:
        warn("no mediated usage" + (f" on {day}" if day else ""))
    if not all(line.balanced and line.not_rated >= 0 for line in lines):
        raise typer.Exit(2)


@mediation_app.command("recycle")
@clean_errors
def recycle_command(province: ProvinceOption = DEFAULT_PROVINCE) -> None:
    """Guide recyclable rejects (unknown subscriber) again against the current inventory."""
    from openbss.mediation.recycle import recycle

    report = recycle(_ingest(province))
    err.print(f"{report.examined} recyclable reject(s) examined, {report.recycled} recycled")


@mediation_app.command("pushed")
@clean_errors
def pushed_command(province: ProvinceOption = DEFAULT_PROVINCE) -> None:
    """Mediate usage received through the TMF635 API (the server does this continuously)."""
    from openbss.mediation.pushed import mediate_pushed

    outcome = mediate_pushed(_ingest(province))
    if outcome is None:
        err.print("no received usage waiting")
        return
    err.print(
        f"{outcome.records_in} usage(s): {outcome.normalised} guided, {outcome.rejected} "
        f"rejected, {outcome.duplicates} duplicates"
    )


@mediation_app.command("radius")
@clean_errors
def radius_command(
    port: Annotated[
        int, typer.Option(help="UDP port (1813 is the standard accounting port)")
    ] = 1813,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    spool: Annotated[
        Path | None, typer.Option(help="Spool directory (default: <data dir>/spool/radius)")
    ] = None,
    rotate_seconds: Annotated[
        float, typer.Option(help="Close a spool file after this long")
    ] = 60.0,
) -> None:
    """Run the RADIUS accounting server (RFC 2866). The shared secret is read from
    OPENBSS_RADIUS_SECRET; closed spool files are ingested with `mediation ingest <spool>`."""
    import os

    from openbss.kit.settings import get_settings
    from openbss.mediation.collectors.radius import RadiusAccountingServer

    secret = os.environ.get("OPENBSS_RADIUS_SECRET", "")
    if not secret:
        raise fail("set OPENBSS_RADIUS_SECRET to the NAS shared secret")
    directory = spool or get_settings().data_dir / "spool" / "radius"
    server = RadiusAccountingServer(
        host=host,
        port=port,
        secret=secret.encode(),
        spool_dir=directory,
        rotate_seconds=rotate_seconds,
    )
    err.print(f"RADIUS accounting on {host}:{port} (UDP), spooling to {directory}; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        err.print(f"stopped: {server.stats}")


SWITCH_OF_AREA = {"020": "GZ", "0755": "SZ", "0757": "FS", "0769": "DG", "0756": "ZH", "0754": "ST"}


@mediation_app.command("generate")
@clean_errors
def generate_command(
    out: Annotated[Path, typer.Argument(help="Directory to write the switch CDR files into")],
    province: ProvinceOption = DEFAULT_PROVINCE,
    day: Annotated[date | None, day_option("(First) traffic day (default: yesterday)")] = None,
    days: Annotated[int, typer.Option(min=1, help="Consecutive days from --day")] = 1,
    month: Annotated[
        str | None, typer.Option(help="Every day of this month, YYYY-MM (instead of --day)")
    ] = None,
    files: Annotated[int, typer.Option(help="Files per switch and day")] = 2,
    records: Annotated[int, typer.Option(help="Calls per file")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed, same files")] = 2005,
    duplicate_rate: Annotated[float, typer.Option(help="Share of records repeated")] = 0.002,
    garbage_rate: Annotated[float, typer.Option(help="Share of garbage lines")] = 0.001,
    gap_rate: Annotated[float, typer.Option(help="Share of skipped file sequence numbers")] = 0.0,
) -> None:
    """Generate days of realistic switch CDR files for the province's subscribers: one
    switch per local network, busy-hour profile, local / DDD / international / IP / PHS mix.

    Each day has its own files, as a switch writes them, numbered on from the day before."""
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.simulators.traffic import generate_switch_files, subscribers_from_inventory

    if month is not None and day is not None:
        raise fail("give --day (with --days) or --month, not both")
    traffic_days = _traffic_days(zone_for(province), day, days, month)
    factory = make_session_factory(make_engine())
    with factory() as session:
        lines = subscribers_from_inventory(session, province)
    if not lines:
        raise fail(f"province {province} has no active phone lines to call from")
    by_area: dict[str, list[Subscriber]] = {}
    for line in lines:
        by_area.setdefault(line.area_code, []).append(line)
    table = Table(
        "switch", "lines", "files", "records", "duplicates", "garbage", "skipped sequences"
    )
    for number, (area, served) in enumerate(sorted(by_area.items())):
        switch = f"{SWITCH_OF_AREA.get(area, 'A' + area)}-SW01"
        written = records_total = duplicates = garbage = skipped = 0
        next_sequence = 1
        for index, traffic_day in enumerate(traffic_days):
            # Another seed each day (the first day keeps the single-day files' seed), and the
            # switch's file sequence runs on across days.
            report = generate_switch_files(
                out, served, day=traffic_day, files=files, records_per_file=records,
                seed=seed + number + 1000 * index, duplicate_rate=duplicate_rate,
                garbage_rate=garbage_rate, gap_rate=gap_rate, switch_id=switch,
                first_sequence=next_sequence, pool_seed=seed + number,
            )  # fmt: skip
            next_sequence = report.sequences[-1] + 1
            written += len(report.files)
            records_total += report.records
            duplicates += report.duplicates
            garbage += report.garbage_lines
            skipped += len(report.skipped_sequences)
        table.add_row(
            switch, str(len(served)), str(written), str(records_total), str(duplicates),
            str(garbage), str(skipped),
        )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    err.print(table)
    first, last = traffic_days[0], traffic_days[-1]
    span = first.isoformat() if first == last else f"{first} to {last}"
    err.print(f"traffic of {span} written to {out}")


def _traffic_days(zone: ZoneInfo, day: date | None, days: int, month: str | None) -> list[date]:
    """The days to write traffic for: every day of ``month``, or ``days`` days from ``day``
    (yesterday in the province's time zone when not given)."""
    from datetime import timedelta

    if month is not None:
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise BadRequest(f"month must be YYYY-MM, not {month!r}") from None
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return [first + timedelta(days=n) for n in range((following - first).days)]
    start = day or (datetime.now(zone) - timedelta(days=1)).date()
    return [start + timedelta(days=n) for n in range(days)]


@mediation_app.command("upgrade-store")
@clean_errors
def upgrade_store_command() -> None:
    """Rewrite usage-store parts written before the trunk-group columns with those columns
    null (openbss reads old parts without it; other tools may need the files whole)."""
    from openbss.kit.settings import get_settings
    from openbss.mediation.store import upgrade_parts

    rewritten = upgrade_parts(get_settings().data_dir)
    typer.echo(f"{rewritten} part(s) rewritten")
