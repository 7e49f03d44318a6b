"""Partners and contracts through ``openbss.settlement.partners.public`` on SQLite and
PostgreSQL: look-ups by id, code, carrier code and TADIG; province visibility; the contract in
force on a day (valid_to exclusive); bad input refused with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.settlement.partners import public as partners
from openbss.settlement.partners.models import SettlementContract, SettlementPartner
from openbss.settlement.partners.service import party_roles
from tests.settlement_partner_support import (
    GD_FINANCE,
    GROUP_FINANCE,
    agent,
    carrier,
    organization,
    roaming,
    settlement_account,
    sp,
)

SH_FINANCE = Principal("fin-sh", Role.FINANCE, "SH")
GD_ADMIN = Principal("admin-gd", Role.ADMIN, "GD")


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_partner_views_and_lookups(session: Session) -> None:
    unicom = carrier(session, "CUCC", "中国联通")
    ring = sp(session, "901234", ("RBT01", "RBT02"), ("12590",))
    hk = roaming(session, "HKGPP")
    gd_agent = agent(session, "GD-AG-001")
    sh_agent = agent(session, "SH-AG-001", SH_FINANCE)
    session.commit()

    assert partners.partner(session, unicom.id) == partners.PartnerView(
        id=unicom.id,
        kind=partners.PartnerKind.CARRIER,
        code="CUCC",
        name="中国联通",
        province=None,
        party_id=None,
        tadig=None,
        carrier_code="CUCC",
        service_codes=(),
        access_numbers=(),
        settlement_account_id=None,
    )
    assert ring.service_codes == ("RBT01", "RBT02")
    assert ring.access_numbers == ("12590",)
    assert hk.code == "HKGPP" and hk.tadig == "HKGPP"
    assert gd_agent.province == "GD"

    assert partners.partner_by_code(session, "carrier", "CUCC") == unicom
    assert partners.partner_by_code(session, partners.PartnerKind.ROAMING, "HKGPP") == hk
    assert partners.partner_by_code(session, "sp", "901234") == ring
    assert partners.partner_by_code(session, "sp", "CUCC") is None
    assert partners.partner_by_code(session, "agent", "SH-AG-001", "GD") is None
    assert partners.partner_by_code(session, "agent", "SH-AG-001", "SH") == sh_agent

    assert [p.code for p in partners.partners(session)] == [
        "GD-AG-001", "SH-AG-001", "CUCC", "HKGPP", "901234",
    ]  # fmt: skip
    assert [p.code for p in partners.partners(session, province="GD")] == [
        "GD-AG-001", "CUCC", "HKGPP", "901234",
    ]  # fmt: skip
    assert partners.partners(session, "agent", "SH") == [sh_agent]


def test_a_party_role_without_a_kind_is_not_a_partner(session: Session) -> None:
    role = party_roles.create(session, GROUP_FINANCE, {"name": "ordinary role"})
    session.commit()
    with pytest.raises(NotFound):
        partners.partner(session, role.id)
    with pytest.raises(NotFound):
        partners.partner(session, "no-such-partner")
    assert partners.partners(session) == []


def test_partner_links_its_party_and_settlement_account(session: Session) -> None:
    party_id = organization(session, GD_ADMIN, "中国移动通信集团广东有限公司")
    account_id = settlement_account(session, GD_ADMIN, party_id, "中国移动 互联互通结算")
    # A group-owned partner cannot use a province's account; the province's own partner can.
    with pytest.raises(Unprocessable, match="not a settlement account"):
        partners.create_partner(
            session, GROUP_FINANCE, kind="carrier", name="x", carrier_code="X",
            settlement_account_id=account_id,
        )  # fmt: skip
    mobile = partners.create_partner(
        session,
        GD_FINANCE,
        kind="carrier",
        name="中国移动",
        carrier_code="CMCC",
        party_id=party_id,
        settlement_account_id=account_id,
        statement_format="csv+pdf",
        statement_language="en",
    )
    session.commit()
    view = partners.partner(session, mobile.id)
    assert (view.party_id, view.settlement_account_id) == (party_id, account_id)
    assert (view.statement_format, view.statement_language) == ("csv+pdf", "en")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "carrier", "name": "x"}, "a carrier needs its carrier code"),
        ({"kind": "roaming", "name": "x", "tadig": "HKG"}, "TADIG code 'HKG' is not valid"),
        ({"kind": "roaming", "name": "x"}, "a roaming partner needs its TADIG code"),
        ({"kind": "sp", "name": "x"}, "a partner of kind 'sp' needs a 'partnerCode'"),
        ({"kind": "province", "name": "x", "code": "sh"}, "its province code"),
        (
            {"kind": "sp", "name": "x", "code": "S1", "access_numbers": ["12a"]},
            "'12a' is not valid",
        ),
        (
            {"kind": "agent", "name": "x", "code": "A1", "party_id": "nobody"},
            "engagedParty 'nobody'",
        ),
        (
            {"kind": "agent", "name": "x", "code": "A1", "settlement_account_id": "none"},
            "account 'none'",
        ),
    ],
)
def test_bad_partners_are_refused_and_nothing_is_written(
    session: Session, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(Unprocessable, match=message):
        partners.create_partner(session, GROUP_FINANCE, **fields)
    session.rollback()
    assert count(session, SettlementPartner) == 0


def test_unknown_kind_and_duplicates_and_roles(session: Session) -> None:
    with pytest.raises(Unprocessable, match="partner kind 'bank' is unknown"):
        partners.create_partner(session, GROUP_FINANCE, kind="bank", name="x", code="B")
    with pytest.raises(Unprocessable, match="partnerKind 'bank' is unknown"):
        party_roles.create(
            session,
            GROUP_FINANCE,
            {"name": "x", "characteristic": [{"name": "partnerKind", "value": "bank"}]},
        )
    carrier(session, "CTCC")
    with pytest.raises(Conflict, match="a carrier partner with code 'CTCC' exists already"):
        carrier(session, "CTCC")
    with pytest.raises(Forbidden):
        carrier(session, "CNC", principal=Principal("csr", Role.CSR, "GD"))
    # The same agent code in two provinces names two partners.
    agent(session, "AG-1", GD_FINANCE)
    agent(session, "AG-1", SH_FINANCE)
    session.commit()
    assert count(session, SettlementPartner) == 3


def test_the_contract_in_force_on_a_day(session: Session) -> None:
    ring = sp(session)
    first = partners.create_contract(
        session, GROUP_FINANCE, ring.id, "revenue_share", {"partner_share_bp": 8500},
        date(2005, 1, 1), date(2006, 1, 1),
    )  # fmt: skip
    second = partners.create_contract(
        session, GROUP_FINANCE, ring.id, "revenue_share", {"partner_share_bp": 7000},
        date(2006, 1, 1),
    )  # fmt: skip
    session.commit()
    assert partners.contract_in_force(session, ring.id, "revenue_share", date(2004, 12, 31)) is None
    found = partners.contract_in_force(session, ring.id, "revenue_share", date(2005, 12, 31))
    assert found == first
    assert found is not None and found.terms == {"partner_share_bp": 8500}
    assert found.valid_to == date(2006, 1, 1) and found.currency == "CNY"
    assert partners.contract_in_force(session, ring.id, "revenue_share", date(2006, 1, 1)) == second
    assert partners.contract_in_force(session, ring.id, "revenue_share", date(2030, 6, 1)) == second
    assert partners.contract_in_force(session, ring.id, "commission", date(2005, 6, 1)) is None
    assert [c.id for c in partners.contracts(session, ring.id)] == [first.id, second.id]


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "error", "message"),
    [
        (date(2005, 6, 1), date(2005, 7, 1), Conflict, "overlapping"),
        (date(2004, 6, 1), None, Conflict, "overlapping"),
        (date(2007, 1, 1), date(2007, 1, 1), Exception, "must end after it starts"),
    ],
)
def test_bad_contracts_are_refused(
    session: Session,
    valid_from: date,
    valid_to: date | None,
    error: type[Exception],
    message: str,
) -> None:
    ring = sp(session)
    partners.create_contract(
        session, GROUP_FINANCE, ring.id, "revenue_share", {"partner_share_bp": 8500},
        date(2005, 1, 1), date(2006, 1, 1),
    )  # fmt: skip
    session.commit()
    with pytest.raises(error, match=message):
        partners.create_contract(
            session, GROUP_FINANCE, ring.id, "revenue_share", {}, valid_from, valid_to
        )
    session.rollback()
    assert count(session, SettlementContract) == 1


def test_contracts_need_a_visible_partner_of_a_kind(session: Session) -> None:
    sh_agent = agent(session, "SH-1", SH_FINANCE)
    role = party_roles.create(session, GROUP_FINANCE, {"name": "ordinary role"})
    session.commit()
    with pytest.raises(NotFound):
        partners.create_contract(
            session, GD_FINANCE, sh_agent.id, "commission", {}, date(2026, 1, 1)
        )
    with pytest.raises(Unprocessable, match="not a settlement partner"):
        partners.create_contract(
            session, GROUP_FINANCE, role.id, "commission", {}, date(2026, 1, 1)
        )
    with pytest.raises(Exception, match="contract kind 'Bad Kind'"):
        partners.create_contract(session, SH_FINANCE, sh_agent.id, "Bad Kind", {}, date(2026, 1, 1))
    session.rollback()
    assert count(session, SettlementContract) == 0


def test_demo_partners_are_seeded_once(session: Session) -> None:
    from openbss.settlement.partners.seed import seed_partners

    first = seed_partners(session, "GD")
    session.commit()
    second = seed_partners(session, "GD")
    session.commit()
    assert (len(first.created), len(first.existing)) == (9, 0)
    assert (len(second.created), second.existing) == (0, first.created)
    assert [(p.kind.value, p.code) for p in partners.partners(session, province="GD")] == [
        ("agent", "AG-001"), ("carrier", "CMCC"), ("carrier", "CNC"), ("carrier", "CUCC"),
        ("retail", "RH-001"), ("roaming", "HKGPP"), ("roaming", "USACG"),
        ("sp", "901001"), ("sp", "901002"),
    ]  # fmt: skip
    mobile = partners.partner_by_code(session, "carrier", "CMCC", "GD")
    assert mobile is not None and mobile.party_id is not None
    assert mobile.settlement_account_id is not None
    ring = partners.partner_by_code(session, "sp", "901001")
    assert ring is not None
    assert (ring.service_codes, ring.access_numbers) == (("RBT01", "RBT02"), ("12530",))
    hk = partners.partner_by_code(session, "roaming", "HKGPP", "SH")  # group-owned: every province
    assert hk is not None and hk.province is None and hk.statement_language == "en"
    agent_partner = partners.partner_by_code(session, "agent", "AG-001", "GD")
    assert agent_partner is not None
    contract = partners.contract_in_force(
        session, agent_partner.id, "commission", date(2026, 11, 1)
    )
    assert contract is not None and contract.terms["activation_fen"] == 5000
    revenue = partners.contract_in_force(session, ring.id, "revenue_share", date(2005, 3, 1))
    assert revenue is not None and revenue.terms == {"sp_share_percent": "85"}
    assert count(session, SettlementContract) == 4
