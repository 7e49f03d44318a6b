"""``openbss mediation``: collect usage files, run the RADIUS accounting server, reconcile."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from openbss.cli.common import (
    DEFAULT_PROVINCE,
    checked_province,
    clean_errors,
    err,
    out,
    province_option,
)
from openbss.db.engine import make_engine, make_session_factory
from openbss.kit.errors import BadRequest
from openbss.kit.settings import get_settings

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from openbss.mediation.pipeline import Ingest
    from openbss.simulators.traffic import Subscriber

mediation_app = typer.Typer(
    help="Mediation: usage collection and revenue assurance", no_args_is_help=True
)

ProvinceOption = Annotated[str, province_option("Province the usage belongs to")]


def _ingest(
    province: str,
    window_days: int = 7,
    default_area: str | None = None,
    dedup_fields: tuple[str, ...] | None = None,
) -> Ingest:
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
        typer.Option("--format", help="huawei_csv | zte_fixed | 3gpp | tap | radius | kamailio"),
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
) -> None:
    """Ingest every file in DIRECTORY: decode, validate, deduplicate, guide, store."""
    from openbss.mediation.collector import collect, pending
    from openbss.mediation.pipeline import Outcome

    if not directory.is_dir():
        err.print(f"[red]error:[/red] {directory} is not a directory")
        raise typer.Exit(1)
    fields = tuple(f.strip() for f in dedup_key.split(",") if f.strip()) if dedup_key else None
    if fields:
        from openbss.mediation.normalise import KEY_FIELDS

        unknown = sorted(set(fields) - KEY_FIELDS)
        if unknown:
            err.print(f"[red]error:[/red] unknown key field(s): {', '.join(unknown)}")
            raise typer.Exit(1)
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
            table = Table(
                "file", "source", "status", "in", "normalised", "rejected", "duplicate", "note"
            )
            for o in report.outcomes:
                table.add_row(
                    o.file_name, o.source, o.status, str(o.records_in), str(o.normalised),
                    str(o.rejected), str(o.duplicates), o.error or "",
                )  # fmt: skip
            out.print(table)
            total = report.records
            err.print(
                f"{len(report.outcomes)} file(s): {total[0]} records in, {total[1]} normalised, "
                f"{total[2]} rejected, {total[3]} duplicates"
            )
        if not watch:
            return
        time.sleep(interval)


@mediation_app.command("reconcile")
@clean_errors
def reconcile_command(
    province: Annotated[
        str | None, typer.Option(help="Only this province", callback=checked_province)
    ] = None,
    day: Annotated[str | None, typer.Option(help="Only this day (YYYY-MM-DD)")] = None,
) -> None:
    """Per source and day: in = normalised + rejected + duplicate, normalised = rated +
    rating errors + not rated yet; and sequence gaps."""
    from openbss.mediation.reconcile import reconcile, sequence_gaps
    from openbss.rating.runs import current_batch_counts

    factory = make_session_factory(make_engine())
    with factory() as session:
        rating = current_batch_counts(session, province)
        lines = reconcile(session, province, date.fromisoformat(day) if day else None, rating)
        gaps = sequence_gaps(session, province)
    table = Table(
        "source",
        "day",
        "files",
        "files rejected",
        "in",
        "normalised",
        "rejected",
        "duplicate",
        "balanced",
        title="in = normalised + rejected + duplicate",
    )
    rated = Table(
        "source",
        "day",
        "normalised",
        "rated",
        "rating errors",
        "not rated yet",
        title="normalised = rated + rating errors + not rated yet",
    )
    for line in lines:
        table.add_row(
            line.source, line.day.isoformat(), str(line.files), str(line.files_rejected),
            str(line.records_in), str(line.normalised), str(line.rejected), str(line.duplicates),
            "yes" if line.balanced else "[red]NO[/red]",
        )  # fmt: skip
        rated.add_row(
            line.source, line.day.isoformat(), str(line.normalised), str(line.rated),
            str(line.rating_errors),
            str(line.not_rated) if line.not_rated >= 0 else f"[red]{line.not_rated}[/red]",
        )  # fmt: skip
    out.print(table)
    out.print(rated)
    if gaps:
        gap_table = Table("source", "missing sequence numbers", title="sequence gaps")
        for gap in gaps:
            span = (
                str(gap.first_missing)
                if gap.first_missing == gap.last_missing
                else f"{gap.first_missing}–{gap.last_missing}"
            )
            gap_table.add_row(gap.source, span)
        out.print(gap_table)
    else:
        err.print("no sequence gaps")
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

    from openbss.mediation.collectors.radius import RadiusAccountingServer

    secret = os.environ.get("OPENBSS_RADIUS_SECRET", "")
    if not secret:
        err.print("[red]error:[/red] set OPENBSS_RADIUS_SECRET to the NAS shared secret")
        raise typer.Exit(1)
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
    day: Annotated[
        str | None, typer.Option(help="(First) traffic day YYYY-MM-DD (default: yesterday)")
    ] = None,
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
    from zoneinfo import ZoneInfo

    from openbss.simulators.traffic import generate_switch_files, subscribers_from_inventory

    if month is not None and day is not None:
        err.print("[red]error:[/red] give --day (with --days) or --month, not both")
        raise typer.Exit(1)
    factory = make_session_factory(make_engine())
    with factory() as session:
        lines = subscribers_from_inventory(session, province)
    if not lines:
        err.print(f"[red]error:[/red] province {province} has no active phone lines to call from")
        raise typer.Exit(1)
    traffic_days = _traffic_days(ZoneInfo(get_settings().timezone), day, days, month)
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


def _traffic_days(zone: ZoneInfo, day: str | None, days: int, month: str | None) -> list[date]:
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
    start = date.fromisoformat(day) if day else (datetime.now(zone) - timedelta(days=1)).date()
    return [start + timedelta(days=n) for n in range(days)]
