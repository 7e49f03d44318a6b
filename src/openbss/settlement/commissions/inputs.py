"""What a commission run reads, through the public faces of ordering (who sold each order),
inventory (when each line went into and out of service) and billing (what each line was billed),
and the partners' commission contracts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openbss.billing.public import billed_by_product
from openbss.inventory.public import product_lifecycles
from openbss.kit.settings import get_settings
from openbss.ordering.public import completed_between
from openbss.settlement.commissions.calculations import (
    MAX_MONTHS,
    Recharge,
    Rules,
    Sale,
    add_months,
    parse_rules,
    period_bounds,
)
from openbss.settlement.partners.public import (
    PartnerKind,
    PartnerView,
    contract_in_force,
    partners,
)

CONTRACT_KIND = "commission"
CHANNEL_KINDS = (PartnerKind.AGENT, PartnerKind.RETAIL)

# Prepaid top-ups taken by a channel in [start, end) of a province: provided by prepaid when it
# publishes them; a run without a source has no recharge lines.
RechargeSource = Callable[[Session, str, date, date], Iterable[Recharge]]


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass
class RunInputs:
    period: str
    partners: dict[str, PartnerView]
    sales: list[Sale]
    billed: dict[str, int]  # top-level product → billed without tax in the period (fen)
    recharges: list[Recharge]
    rules: Callable[[str, date], tuple[Rules, str] | None]
    # product → activation commission paid by earlier months' runs (for clawbacks)
    paid: dict[str, int] = field(default_factory=dict)


def channel_partners(session: Session, province: str) -> dict[str, PartnerView]:
    found: dict[str, PartnerView] = {}
    for kind in CHANNEL_KINDS:
        for partner in partners(session, kind, province):
            found[partner.id] = partner
    return found


def load(
    session: Session, province: str, period: str, recharges: RechargeSource | None = None
) -> RunInputs:
    zone = ZoneInfo(get_settings().timezone)
    start, end = period_bounds(period)
    channel = channel_partners(session, province)
    # An order's seller names the partner's party role, or the party the role is.
    by_reference = {p.id: p for p in channel.values()}
    by_reference.update({p.party_id: p for p in channel.values() if p.party_id is not None})
    window = local_midnight(add_months(start, -MAX_MONTHS), zone)
    sold_by: dict[str, str] = {}
    for order in completed_between(session, province, window, local_midnight(end, zone)):
        partner = by_reference.get(order.sales_person_id or "")
        if partner is not None:
            sold_by[order.id] = partner.id
    parent: dict[str, str] = {}
    sales: list[Sale] = []
    for product_id, parent_id, order_id, service_type, started, ended in product_lifecycles(
        session, province
    ):
        if parent_id is not None:
            parent[product_id] = parent_id
            continue
        if order_id is None or order_id not in sold_by or started is None:
            continue
        activated = local_date(started, zone)
        if activated >= end:
            continue
        sales.append(
            Sale(
                product_id=product_id,
                partner_id=sold_by[order_id],
                order_id=order_id,
                service_type=service_type,
                activated=activated,
                ceased=None if ended is None else local_date(ended, zone),
            )
        )
    billed: dict[str, int] = {}
    for product_id, fen in billed_by_product(session, province, period).items():
        top = product_id
        seen = {top}
        while top in parent and parent[top] not in seen:
            top = parent[top]
            seen.add(top)
        billed[top] = billed.get(top, 0) + fen
    taken = [] if recharges is None else list(recharges(session, province, start, end))
    cache: dict[tuple[str, date], tuple[Rules, str] | None] = {}

    def rules(partner_id: str, day: date) -> tuple[Rules, str] | None:
        key = (partner_id, day)
        if key not in cache:
            contract = contract_in_force(session, partner_id, CONTRACT_KIND, day)
            cache[key] = None if contract is None else (parse_rules(contract.terms), contract.id)
        return cache[key]

    return RunInputs(
        period=period,
        partners=channel,
        sales=sorted(sales, key=lambda s: s.product_id),
        billed=billed,
        recharges=[r for r in taken if r.partner_id in channel],
        rules=rules,
    )
