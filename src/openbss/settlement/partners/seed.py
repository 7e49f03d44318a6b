"""Demo partners of a province (``demo_partners.toml``), created through the services and
idempotent: a partner whose kind and code exist already is left as it is."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.service import settlement_accounts
from openbss.kit.security import SYSTEM, Principal
from openbss.party.service import organizations
from openbss.settlement.commissions.calculations import parse_rules
from openbss.settlement.partners import repository
from openbss.settlement.partners.calculations import PartnerKind
from openbss.settlement.partners.service import create_contract, create_partner

DEMO_FILE = Path(__file__).with_name("demo_partners.toml")
GROUP_KINDS = frozenset({PartnerKind.ROAMING})
CONTRACTS_FROM = date(2005, 1, 1)
# Contract kinds a demo entry may carry, as tables of terms named after the kind.
CONTRACT_KINDS = ("commission", "revenue_share")
PROVINCE_NAMES = {"GD": "广东", "SH": "上海", "BJ": "北京", "JS": "江苏", "ZJ": "浙江"}


@dataclass
class PartnerSeedReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def _organization(session: Session, actor: Principal, name: str) -> str:
    found = organizations.repo.find_by(session, actor, trading_name=name, province=actor.province)
    if found:
        return found[0].id
    return organizations.create(session, actor, {"tradingName": name, "name": name}).id


def seed_partners(session: Session, province: str, path: Path = DEMO_FILE) -> PartnerSeedReport:
    report = PartnerSeedReport()
    actor = Principal(key_id=SYSTEM.key_id, role=SYSTEM.role, province=province)
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["partner"]
    for entry in entries:
        kind = PartnerKind(entry["kind"])
        owner = SYSTEM if kind in GROUP_KINDS else actor
        code = str(entry.get("code") or entry.get("carrier_code") or entry.get("tadig"))
        label = f"{kind.value}:{code}"
        if repository.same_code(session, kind.value, code, owner.province, None) is not None:
            report.existing.append(label)
            continue
        party_id = account_id = None
        if "organization" in entry and owner.province is not None:
            name = entry["organization"].format(
                province_name=PROVINCE_NAMES.get(province, province)
            )
            party_id = _organization(session, owner, name)
            if kind in (PartnerKind.CARRIER, PartnerKind.SP, PartnerKind.CP):
                account_id = settlement_accounts.create(
                    session,
                    owner,
                    {
                        "name": f"{entry['name']} 结算账户",
                        "relatedParty": [{"id": party_id, "@referredType": "Organization"}],
                    },
                ).id
        partner = create_partner(
            session,
            owner,
            kind=kind,
            name=entry["name"],
            code=entry.get("code"),
            carrier_code=entry.get("carrier_code"),
            tadig=entry.get("tadig"),
            service_codes=entry.get("service_codes", ()),
            access_numbers=entry.get("access_numbers", ()),
            party_id=party_id,
            settlement_account_id=account_id,
            statement_format=entry.get("statement_format"),
            statement_language=entry.get("statement_language"),
        )
        if "commission" in entry:
            parse_rules(entry["commission"])  # the rules are checked before they are stored
        for kind_of_contract in CONTRACT_KINDS:
            if kind_of_contract in entry:
                create_contract(
                    session,
                    owner,
                    partner_id=partner.id,
                    kind=kind_of_contract,
                    terms=entry[kind_of_contract],
                    valid_from=CONTRACTS_FROM,
                )
        report.created.append(label)
    return report
