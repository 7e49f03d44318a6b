"""The card printer's file: a batch's serials and PINs, written once, readable by its owner.

The file is written beside its final name, synced, and renamed into place only after the
batch is committed (:func:`publish`); a batch whose commit fails leaves no file, and a file is
never overwritten (the PINs of a batch are shown once).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openbss.charging.vouchers import Card
from openbss.kit.errors import Conflict
from openbss.kit.money import LI_PER_YUAN


def batch_file(data_dir: Path, batch_id: str) -> Path:
    return data_dir / "vouchers" / f"{batch_id}.csv"


def write_pending(
    data_dir: Path, batch_id: str, cards: Sequence[Card], face_value_li: int, valid_until: datetime
) -> Path:
    """Write the cards to ``<batch>.csv.pending`` (mode 0600); returns its path."""
    final = batch_file(data_dir, batch_id)
    if final.exists():
        raise Conflict(f"{final} exists; a batch's PINs are written once", code="BATCH_EXISTS")
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pending = final.with_name(final.name + ".pending")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["serial", "pin", "face_value_yuan", "valid_until"])
    face = f"{face_value_li / LI_PER_YUAN:.2f}"
    until = valid_until.date().isoformat()
    for card in cards:
        writer.writerow([card.serial, card.pin, face, until])
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(buffer.getvalue())
        out.flush()
        os.fsync(out.fileno())
    os.chmod(pending, 0o600)
    return pending


def publish(pending: Path) -> Path:
    """Rename the pending file into place (after the batch committed)."""
    final = pending.with_name(pending.name.removesuffix(".pending"))
    os.link(pending, final)  # fails rather than overwrite an existing file
    pending.unlink()
    return final


def discard(pending: Path) -> None:
    pending.unlink(missing_ok=True)
