"""Roaming reference data (agreements, IMSI ranges, tariffs, exchange rates): written by
seeds, tests and the CLI (``roaming agreement``, ``tariff``, ``rate``); each call flushes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from openbss.kit.errors import BadRequest
from openbss.kit.ids import new_id
from openbss.settlement.roaming import repository
from openbss.settlement.roaming.models import (
    ExchangeRate,
    ImsiRange,
    RoamingAgreement,
    RoamingTariff,
)

SERVICES = ("voice", "sms", "data")
DIRECTIONS = ("mo", "mt")


def _tadig(code: str) -> str:
    if len(code) != 5 or not code.isalnum() or code.upper() != code:
        raise BadRequest(f"TADIG code {code!r}: five upper-case letters or digits")
    return code


def add_agreement(
    session: Session,
    home: str,
    partner: str,
    name: str,
    imsi_prefixes: Iterable[str],
    *,
    valid_from: date,
    partner_id: str | None = None,
) -> RoamingAgreement:
    """An agreement with a partner network and the IMSI prefixes of its subscribers."""
    _tadig(home), _tadig(partner)
    if home == partner:
        raise BadRequest("a roaming agreement is between two different networks")
    row = repository.agreement(session, home, partner)
    if row is None:
        row = RoamingAgreement(
            id=new_id(),
            home_tadig=home,
            partner_tadig=partner,
            name=name[:128],
            valid_from=valid_from,
            partner_id=partner_id,
        )
        session.add(row)
    add_imsi_prefixes(session, partner, imsi_prefixes)
    session.flush()
    return row


def add_imsi_prefixes(session: Session, tadig: str, prefixes: Iterable[str]) -> None:
    for prefix in prefixes:
        if not prefix.isdigit() or not 5 <= len(prefix) <= 15:
            raise BadRequest(f"IMSI prefix {prefix!r}: 5 to 15 digits (MCC + MNC at least)")
        row = session.get(ImsiRange, prefix)
        if row is None:
            session.add(ImsiRange(prefix=prefix, tadig=_tadig(tadig)))
        elif row.tadig != tadig:
            raise BadRequest(f"IMSI prefix {prefix} already belongs to {row.tadig}")
    session.flush()


def add_tariff(
    session: Session,
    partner: str,
    service: str,
    direction: str,
    *,
    increment: int,
    rate_li: int,
    valid_from: date,
    valid_to: date | None = None,
) -> RoamingTariff:
    if partner != "*":
        _tadig(partner)
    if service not in SERVICES or direction not in DIRECTIONS:
        raise BadRequest(f"service must be one of {SERVICES}, direction one of {DIRECTIONS}")
    if increment <= 0 or rate_li < 0:
        raise BadRequest("a tariff needs a positive increment and a rate of at least 0")
    row = RoamingTariff(
        id=new_id(),
        partner_tadig=partner,
        service=service,
        direction=direction,
        increment=increment,
        rate_li=rate_li,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(row)
    session.flush()
    return row


def set_exchange_rate(session: Session, day: date, rate_micros: int, currency: str = "CNY") -> None:
    """CNY per SDR (x10^6) from ``day`` on."""
    if rate_micros <= 0:
        raise BadRequest("an exchange rate must be positive")
    row = session.get(ExchangeRate, (day, currency))
    if row is None:
        session.add(ExchangeRate(day=day, currency=currency, rate_micros=rate_micros))
    else:
        row.rate_micros = rate_micros
    session.flush()


def home_network(session: Session, given: str | None = None) -> str:
    """Our TADIG code: the one given, else the only one our agreements name."""
    homes = sorted({a.home_tadig for a in repository.agreements(session)})
    if given is not None:
        if given not in homes:
            raise BadRequest(f"no roaming agreement names {given} as our network")
        return given
    if len(homes) != 1:
        found = ", ".join(homes) or "none"
        raise BadRequest(f"name our TADIG code with --home (agreements name: {found})")
    return homes[0]
