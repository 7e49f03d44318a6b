"""The file collector: files dropped in an input directory, picked up atomically, each one
ingested, then archived — or moved to the reject or duplicate folder.

::

    <inbox>/                      where the network (or an FTP push) delivers files
    <inbox>/.work/                picked up: renamed here before reading (atomic on one disk)
    <inbox>/archive/YYYY-MM-DD/   processed
    <inbox>/rejected/YYYY-MM-DD/  rejected as a whole (the manifest says why)
    <inbox>/duplicate/YYYY-MM-DD/ the same content was processed before

Files still being written are not touched: names ending in ``.tmp`` or ``.part`` or starting
with a dot are skipped, so a writer finishes with a rename. A run killed half-way leaves its
file in ``.work/``; the next run takes those first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openbss.kit.clock import now
from openbss.mediation.pipeline import Ingest, Outcome, ingest_file

WORK = ".work"
DESTINATION = {"done": "archive", "rejected": "rejected", "duplicate-file": "duplicate"}
Progress = Callable[[Outcome], None]


@dataclass
class CollectReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def records(self) -> tuple[int, int, int, int]:
        return (
            sum(o.records_in for o in self.outcomes),
            sum(o.normalised for o in self.outcomes),
            sum(o.rejected for o in self.outcomes),
            sum(o.duplicates for o in self.outcomes),
        )


def _ready(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.iterdir()):
        name = path.name
        if not path.is_file() or name.startswith(".") or name.endswith((".tmp", ".part")):
            continue
        yield path


def pending(inbox: Path) -> list[Path]:
    """Files left in work by an interrupted run, then files waiting in the inbox."""
    work = inbox / WORK
    left = list(_ready(work)) if work.is_dir() else []
    return left + list(_ready(inbox))


def _pick_up(path: Path, inbox: Path) -> Path:
    work = inbox / WORK
    if path.parent == work:
        return path
    work.mkdir(exist_ok=True)
    target = work / path.name
    os.replace(path, target)
    return target


def _file_away(path: Path, inbox: Path, status: str) -> None:
    folder = inbox / DESTINATION[status] / now().date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():  # the same name delivered again: keep both
        target = folder / f"{path.stem}.{now():%H%M%S%f}{path.suffix}"
    os.replace(path, target)


def collect(
    ingest: Ingest,
    inbox: Path,
    *,
    file_format: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> CollectReport:
    """Ingest every file waiting in ``inbox`` (one pass)."""
    report = CollectReport()
    for path in pending(inbox):
        working = _pick_up(path, inbox)
        outcome = ingest_file(ingest, working, file_format=file_format, source=source)
        _file_away(working, inbox, outcome.status)
        report.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return report
