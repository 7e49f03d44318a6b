"""What each roaming partner owes us and what we owe it, over a period of file dates.

- receivable: our TAP files to the partner (its subscribers' usage on our network), less the
  records it returned to us in RAP files;
- payable: the records of its TAP files we accepted (our subscribers abroad); records we
  returned in RAP files are not owed.

Amounts in micro-SDR and in fen (TAP out at the tariff's CNY, TAP in and RAP in at the SDR
rate of the event's or the file's day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from openbss.settlement.roaming import repository
from openbss.settlement.roaming.models import FileDirection, FileKind


@dataclass
class PartnerTotals:
    partner: str
    tap_out_files: int = 0
    tap_out_records: int = 0
    receivable_sdr: int = 0
    receivable_fen: int = 0
    returned_to_us_sdr: int = 0
    returned_to_us_fen: int = 0
    tap_in_files: int = 0
    tap_in_accepted: int = 0
    tap_in_returned: int = 0
    payable_sdr: int = 0
    payable_fen: int = 0

    @property
    def net_sdr(self) -> int:
        """Positive: the partner owes us."""
        return self.receivable_sdr - self.returned_to_us_sdr - self.payable_sdr

    @property
    def net_fen(self) -> int:
        return self.receivable_fen - self.returned_to_us_fen - self.payable_fen


def partner_totals(
    session: Session, province: str | None, since: datetime, until: datetime
) -> list[PartnerTotals]:
    found: dict[str, PartnerTotals] = {}
    for row in repository.files(session, province, since=since, until=until):
        if row.direction == FileDirection.OUT and row.kind == FileKind.TAP:
            totals = found.setdefault(row.recipient, PartnerTotals(row.recipient))
            totals.tap_out_files += 1
            totals.tap_out_records += row.records
            totals.receivable_sdr += row.sdr_amount
            totals.receivable_fen += row.cny_amount
        elif row.direction == FileDirection.IN and row.kind == FileKind.RAP:
            totals = found.setdefault(row.sender, PartnerTotals(row.sender))
            totals.returned_to_us_sdr += row.sdr_amount
            totals.returned_to_us_fen += row.cny_amount
        elif row.direction == FileDirection.IN and row.kind == FileKind.TAP:
            totals = found.setdefault(row.sender, PartnerTotals(row.sender))
            totals.tap_in_files += 1
            totals.tap_in_accepted += row.records - row.returned
            totals.tap_in_returned += row.returned
            totals.payable_sdr += row.sdr_amount
            totals.payable_fen += row.cny_amount
    return [found[key] for key in sorted(found)]
