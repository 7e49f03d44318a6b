"""The inputs of SP/CP revenue share, read through other domains' public faces.

- the SPs and CPs and their revenue-share contract in force on the period's last day
  (:mod:`openbss.settlement.partners.public`; the contract's ``sp_share_percent``);
- *billed*: the period's rated usage (rating's public face) of records addressed to one of the
  SP's access numbers or service codes (the called number starts with it), once billing has
  finalised the period (a period not yet billed shares nothing and says so);
- *bad debt*: write-offs approved in the period (payments' public face), each account's
  written-off fen taken in proportion to the SP's part of the account's charges;
- *refunds* and *chargebacks*: recorded against the SP (:func:`record_chargeback`), taken by the
  first run of a period after they were recorded (and by reruns of that period).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from openbss.kit.clock import now
from openbss.kit.errors import Conflict
from openbss.kit.ids import new_id
from openbss.kit.money import li_to_fen
from openbss.settlement import repository as repo
from openbss.settlement.errors import SettlementInputError
from openbss.settlement.interconnect.classify import TIME_ZONE
from openbss.settlement.models import Chargeback
from openbss.settlement.revenue_share.calculations import (
    ShareInputs,
    bad_debt_part,
    sp_percent,
)

CONTRACT_KINDS = ("revenue_share", "revenueShare")
CHARGEBACK_KINDS = ("refund", "chargeback")


@dataclass(frozen=True, slots=True)
class Provider:
    code: str
    name: str
    prefixes: tuple[str, ...]  # access numbers and service codes, as dialled
    percent: object  # the contract's terms, checked by ``sp_percent``


def period_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = int(period[:4]), int(period[5:7])
    first = datetime.combine(date(year, month, 1), time(0), TIME_ZONE)
    last_day = calendar.monthrange(year, month)[1]
    end = datetime.combine(date(year, month, last_day), time(0), TIME_ZONE).replace(
        hour=23, minute=59, second=59, microsecond=999999
    )
    return first.astimezone(UTC), end.astimezone(UTC)


def providers(session: Session, period: str, province: str | None = None) -> list[Provider]:
    """The SPs and CPs (the province's and the group's) with a revenue-share contract in
    force on the period's last day."""
    import openbss.settlement.partners.public as partners

    year, month = int(period[:4]), int(period[5:7])
    last = date(year, month, calendar.monthrange(year, month)[1])
    found: list[Provider] = []
    for kind in (partners.PartnerKind.SP, partners.PartnerKind.CP):
        for partner in partners.partners(session, kind=kind, province=province):
            contract = None
            for contract_kind in CONTRACT_KINDS:
                contract = contract or partners.contract_in_force(
                    session, partner.id, contract_kind, last
                )
            if contract is None:
                continue
            prefixes = tuple(p for p in (*partner.access_numbers, *partner.service_codes) if p)
            found.append(Provider(partner.code, partner.name, prefixes, dict(contract.terms)))
    return sorted(found, key=lambda p: p.code)


def _called_digits() -> pl.Expr:
    return pl.col("called").fill_null("").str.replace(r"^\+86", "")


def provider_usage(rated: pl.LazyFrame, provider_list: Sequence[Provider]) -> pl.DataFrame:
    """Per provider and account: li billed and records, from rated usage of the period."""
    frames = []
    for provider in provider_list:
        if not provider.prefixes:
            continue
        matches = pl.any_horizontal(
            [_called_digits().str.starts_with(p.removeprefix("+86")) for p in provider.prefixes]
        )
        frames.append(
            rated.filter(matches & pl.col("error").is_null())
            .group_by(account=pl.col("billing_account_id").fill_null(""))
            .agg(li=pl.col("amount_li").sum(), records=pl.len())
            .with_columns(partner=pl.lit(provider.code))
        )
    schema = {"account": pl.String, "li": pl.Int64, "records": pl.UInt32, "partner": pl.String}
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(pl.collect_all(frames)).cast(schema)  # type: ignore[arg-type]


def gather(
    session: Session, data_dir: Path, province: str, period: str
) -> list[tuple[str, ShareInputs]]:
    """(provider name, inputs) of every provider with a contract, for the period."""
    from openbss.billing import public as billing
    from openbss.payments import public as payments
    from openbss.rating import public as rating

    provider_list = providers(session, period, province)
    if not provider_list:
        return []
    if period not in billing.finalised_periods(session, province):
        raise Conflict(
            f"{province} {period} is not billed yet: revenue is shared from final bills",
            code="SETTLEMENT_PERIOD_NOT_BILLED",
        )
    usage = provider_usage(rating.rated_usage(session, data_dir, province, period), provider_list)
    start, end = period_bounds(period)
    bills: dict[str, int] = {}
    for chunk in billing.final_bills(session, province, period):
        bills.update({b.billing_account_id: b.amount_fen for b in chunk})
    written_off: dict[str, int] = {}
    for proposal in payments.write_offs(session, province, "approved"):
        decided = proposal.decided_at
        if decided is not None and start <= _utc(decided) <= end:
            account = proposal.billing_account_id
            written_off[account] = written_off.get(account, 0) + int(proposal.written_off_fen)
    result = []
    for provider in provider_list:
        mine = usage.filter(pl.col("partner") == provider.code)
        billed = li_to_fen(int(mine["li"].sum() or 0))
        bad_debt = sum(
            bad_debt_part(written_off.get(account, 0), li_to_fen(int(li)), bills.get(account, 0))
            for account, li in mine.select("account", "li").iter_rows()
        )
        taken = repo.chargebacks_for(session, province, provider.code, period)
        result.append(
            (
                provider.name,
                ShareInputs(
                    partner=provider.code,
                    sp_percent=sp_percent(provider.percent),
                    billed_fen=billed,
                    refunds_fen=sum(c.amount_fen for c in taken if c.kind == "refund"),
                    bad_debt_fen=bad_debt,
                    chargebacks_fen=sum(c.amount_fen for c in taken if c.kind == "chargeback"),
                    records=int(mine["records"].sum() or 0),
                ),
            )
        )
    return result


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def record_chargeback(
    session: Session,
    *,
    province: str,
    partner: str,
    complaint_ref: str,
    kind: str,
    amount_fen: int,
    reason: str,
    recorded_by: str,
) -> Chargeback:
    """Record an upheld complaint against an SP (idempotent by complaint reference: the same
    complaint recorded again returns the first record, a different amount is refused)."""
    if kind not in CHARGEBACK_KINDS:
        raise SettlementInputError(f"kind must be one of {', '.join(CHARGEBACK_KINDS)}")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise SettlementInputError("amount_fen must be a positive whole number of fen")
    if not complaint_ref.strip() or not partner.strip():
        raise SettlementInputError("partner and complaint reference are required")
    existing = repo.chargeback_by_ref(session, province, partner, complaint_ref)
    if existing is not None:
        if (existing.amount_fen, existing.kind) != (amount_fen, kind):
            raise Conflict(
                f"complaint {complaint_ref} of {partner} is already recorded with "
                f"{existing.amount_fen} fen ({existing.kind})",
                code="CHARGEBACK_EXISTS",
            )
        return existing
    chargeback = Chargeback(
        id=new_id(),
        province=province,
        partner=partner,
        complaint_ref=complaint_ref.strip(),
        kind=kind,
        amount_fen=amount_fen,
        reason=reason.strip()[:500],
        recorded_by=recorded_by,
        recorded_at=now(),
    )
    session.add(chargeback)
    session.flush()
    return chargeback
