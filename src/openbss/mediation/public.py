"""What other domains may use of mediation: the usage store's finished parts and the TMF635
usages it mediated.

The usage store (Parquet under ``var/usage/``) is read only through :mod:`.store`'s readers,
which trust the files of finished batches alone; pushed TMF635 usages are loaded through the
queries here. Roaming settlement decodes partners' TAP files with :func:`decode_tap_bytes`
(and :mod:`ber` framing) and passes the records it accepts through :func:`ingest_decoded`.
``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.mediation.decoders import ber
from openbss.mediation.decoders.tap3 import decode_tap_bytes
from openbss.mediation.models import PushedUsage, UsageStatus
from openbss.mediation.pipeline import Ingest, Outcome, checksum, ingest_decoded
from openbss.mediation.pushed import SOURCE, usages
from openbss.mediation.reconcile import ReconcileLine, reconcile
from openbss.mediation.records import Decoded, raw_table
from openbss.mediation.records import FileKind as MediatedFileKind
from openbss.mediation.repository import (
    batches_of_source,
    finished_batches,
    pushed_usages_of_batches,
)
from openbss.mediation.store import (
    batch_of,
    finished_parts,
    finished_usage_parts,
    scan_parts,
    usage_frame,
)

# Usage charged online (prepaid): its records are rated like any other, and billing leaves
# them out of bills because the prepaid balance has already paid them.
ONLINE_SOURCE = "ocs"

__all__ = [
    "ONLINE_SOURCE",
    "SOURCE",
    "Decoded",
    "Ingest",
    "MediatedFileKind",
    "Outcome",
    "PushedUsage",
    "ReconcileLine",
    "UsageStatus",
    "batch_of",
    "batches_of_source",
    "ber",
    "checksum",
    "decode_tap_bytes",
    "finished_batches",
    "finished_parts",
    "finished_usage_parts",
    "ingest_decoded",
    "pushed_usages_of_batches",
    "raw_table",
    "reconcile",
    "scan_parts",
    "usage_frame",
    "usages",
]
