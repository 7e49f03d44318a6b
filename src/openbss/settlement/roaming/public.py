"""What other layers (CLI, API, seeds) may use of roaming settlement."""

from __future__ import annotations

from openbss.settlement.roaming.access import visible_file, visible_files, visible_totals
from openbss.settlement.roaming.calculations import tap_file_name
from openbss.settlement.roaming.models import FileDirection, FileKind, ReturnedRecord, RoamingFile
from openbss.settlement.roaming.rap import RapOutFile, Received, receive_rap, write_raps
from openbss.settlement.roaming.reference import (
    add_agreement,
    add_imsi_prefixes,
    add_tariff,
    home_network,
    set_exchange_rate,
)
from openbss.settlement.roaming.repository import files, returns_of, tap_records_of
from openbss.settlement.roaming.tap_in import ERROR_CODES, TapInResult, receive_tap
from openbss.settlement.roaming.tap_out import TapOutFile, roaming_dir, run_tap_out
from openbss.settlement.roaming.totals import PartnerTotals, partner_totals

__all__ = [
    "ERROR_CODES",
    "FileDirection",
    "FileKind",
    "PartnerTotals",
    "RapOutFile",
    "Received",
    "ReturnedRecord",
    "RoamingFile",
    "TapInResult",
    "TapOutFile",
    "add_agreement",
    "add_imsi_prefixes",
    "add_tariff",
    "files",
    "home_network",
    "partner_totals",
    "receive_rap",
    "receive_tap",
    "returns_of",
    "roaming_dir",
    "run_tap_out",
    "set_exchange_rate",
    "tap_file_name",
    "tap_records_of",
    "visible_file",
    "visible_files",
    "visible_totals",
    "write_raps",
]
