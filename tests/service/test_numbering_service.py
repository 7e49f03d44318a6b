"""Number resources through the service: pools, selection, holds, hand-over, assignment,
quarantine, release, province isolation and refusals that change nothing.

The test pool is 020 83100000–83100019: 83100000 is golden (gold, AAAAA) and 83100011 is
golden (silver, AABB); every other number is ordinary, so the lowest ordinary one is
+862083100001.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openbss.audit.models import AuditEntry
from openbss.kit.clock import frozen_at
from openbss.kit.errors import Conflict, Forbidden, OpenBSSError, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.numbering import service
from openbss.numbering.models import NumberPool, NumberResource
from openbss.numbering.service import NumberKind, NumberStatus

GD_ADMIN = Principal("admin-gd", Role.ADMIN, "GD")
GD_CSR = Principal("csr-gd", Role.CSR, "GD")
GD_ANALYST = Principal("analyst-gd", Role.ANALYST, "GD")
ZJ_ADMIN = Principal("admin-zj", Role.ADMIN, "ZJ")
ZJ_CSR = Principal("csr-zj", Role.CSR, "ZJ")
GROUP_ADMIN = Principal("admin-group", Role.ADMIN, None)

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
FIRST_ORDINARY = "+862083100001"
GOLD = "+862083100000"
SILVER = "+862083100011"


def gz_pool(session: Session, **overrides: Any) -> NumberPool:
    arguments: dict[str, Any] = {
        "kind": NumberKind.FIXED,
        "name": "gz-test",
        "area_code": "020",
        "first": "83100000",
        "last": "83100019",
        "quarantine_days": 90,
    }
    arguments.update(overrides)
    principal = arguments.pop("principal", GD_ADMIN)
    return service.create_pool(session, principal, **arguments)


def reserve_any(session: Session, holder: str, **options: Any) -> service.NumberHold:
    arguments: dict[str, Any] = {"kind": NumberKind.FIXED, "area_code": "020"}
    arguments.update(options)
    principal = arguments.pop("principal", GD_CSR)
    return service.reserve(session, principal, holder=holder, **arguments)


def status_of(session: Session, number: str) -> NumberStatus:
    info = service.find_number(session, GD_ADMIN, number)
    assert info is not None
    return info.status


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(NumberResource).order_by(NumberResource.number))
    numbers = [(r.number, r.status, r.holder, r.held_until, r.product_id) for r in rows]
    pools = [(p.id, p.name) for p in session.scalars(select(NumberPool).order_by(NumberPool.id))]
    return [*numbers, *pools]


def refused(error: type[OpenBSSError], code: str, call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


# ----- pools -------------------------------------------------------------------------------


def test_create_pool_inserts_every_number_with_its_golden_class(session: Session) -> None:
    with frozen_at(T0):
        pool = gz_pool(session)
    assert (pool.province, pool.kind, pool.area_code, pool.prefix) == ("GD", "fixed", "020", None)
    assert (pool.first, pool.last, pool.size, pool.quarantine_days) == (
        "83100000",
        "83100019",
        20,
        90,
    )
    rows = session.scalars(select(NumberResource).order_by(NumberResource.number)).all()
    assert [r.number for r in rows] == [f"+8620831000{i:02d}" for i in range(20)]
    assert {r.status for r in rows} == {"available"}
    assert {r.province for r in rows} == {"GD"}
    golden = {r.number: (r.golden_level, r.golden_price_fen) for r in rows if r.golden_level}
    assert golden == {GOLD: ("gold", 200_000), SILVER: ("silver", 50_000)}
    assert sum(r.golden_price_fen for r in rows) == 250_000
    [info] = service.list_pools(session, GD_ADMIN)
    assert info.pool.id == pool.id
    assert dict(info.counts) == {"available": 20}
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == pool.id)).one()
    assert (audit.action, audit.entity_type, audit.province) == ("create", "NumberPool", "GD")


def test_mobile_and_phs_pools(session: Session) -> None:
    mobile = gz_pool(
        session,
        kind=NumberKind.MOBILE,
        name="m",
        area_code=None,
        prefix="189",
        first="02200000",
        last="02200009",
    )
    assert (mobile.area_code, mobile.prefix, mobile.size) == (None, "189", 10)
    phs = gz_pool(session, kind=NumberKind.PHS, name="p", first="31000000", last="31000004")
    assert phs.kind == "phs"
    hold = reserve_any(session, "h1", kind=NumberKind.MOBILE, area_code=None, prefix="1890220")
    assert (hold.number, hold.national, hold.area_code) == (
        "+8618902200001",
        "18902200001",
        None,
    )
    hold = reserve_any(session, "h2", kind=NumberKind.PHS)
    assert (hold.number, hold.national, hold.kind) == ("+862031000001", "02031000001", "phs")
    assert service.offers_network(session, "GD", NumberKind.PHS, "020")
    assert not service.offers_network(session, "GD", NumberKind.PHS, "0757")
    assert not service.offers_network(session, "ZJ", NumberKind.PHS, "020")


def test_seed_number_pools_is_idempotent(session: Session) -> None:
    expected = {
        "fixed-020": 10_000,
        "fixed-0755": 5_000,
        "phs-020": 5_000,
        "phs-0755": 2_000,
        "fixed-0757": 2_000,
        "fixed-0769": 2_000,
        "fixed-0756": 2_000,
        "fixed-0754": 2_000,
        "mobile-189": 5_000,
    }
    assert service.seed_number_pools(session) == expected
    assert service.seed_number_pools(session, "GD") == expected
    assert session.scalar(select(func.count()).select_from(NumberResource)) == 35_000
    assert session.scalar(select(func.count()).select_from(NumberPool)) == 9
    assert service.offers_network(session, "GD", NumberKind.PHS, "0755")
    assert service.offers_network(session, "GD", NumberKind.FIXED, "020")
    assert not service.offers_network(session, "GD", NumberKind.PHS, "0757")  # Foshan
    assert reserve_any(session, "h").number == "+862083000001"
    mobile = reserve_any(session, "m", kind=NumberKind.MOBILE, area_code=None)
    assert mobile.number == "+8618902200001"
    refused(Unprocessable, "UNPROCESSABLE", service.seed_number_pools, session, "XZ")


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"first": "83100020", "last": "83100019"}, "INVALID_NUMBER_REQUEST", "after last"),
        ({"first": "8310000", "last": "8310001"}, "INVALID_NUMBER_REQUEST", "8 digits"),
        ({"first": "8310000x"}, "INVALID_NUMBER_REQUEST", "digits"),
        ({"first": "03100000", "last": "03100001"}, "INVALID_NUMBER_REQUEST", "starts with 2–9"),
        (
            {"area_code": "0751", "first": "22345678", "last": "22345679"},
            "INVALID_NUMBER_REQUEST",
            "not a valid",
        ),
        ({"first": "20000000", "last": "21000000"}, "INVALID_NUMBER_REQUEST", "at most"),
        ({"area_code": "20"}, "INVALID_NUMBER_REQUEST", "not a Chinese area code"),
        ({"area_code": None}, "INVALID_NUMBER_REQUEST", "needs an area code"),
        ({"prefix": "189"}, "INVALID_NUMBER_REQUEST", "not a prefix"),
        ({"kind": NumberKind.MOBILE, "prefix": "189"}, "INVALID_NUMBER_REQUEST", "not an area"),
        (
            {"kind": NumberKind.MOBILE, "area_code": None, "prefix": "289"},
            "INVALID_NUMBER_REQUEST",
            "prefix",
        ),
        ({"kind": "landline"}, "INVALID_NUMBER_REQUEST", "unknown"),
        ({"quarantine_days": -1}, "INVALID_NUMBER_REQUEST", "quarantine"),
        ({"name": "  "}, "INVALID_NUMBER_REQUEST", "pool name"),
        ({"principal": GROUP_ADMIN}, "PROVINCE_REQUIRED", "X-Province"),
    ],
)
def test_bad_pools_are_refused_and_change_nothing(
    session: Session, overrides: dict[str, Any], code: str, fragment: str
) -> None:
    gz_pool(session, name="existing", first="83200000", last="83200009")
    before = snapshot(session)
    message = refused(Unprocessable, code, gz_pool, session, **overrides)
    assert fragment in message
    assert snapshot(session) == before


def test_overlapping_and_duplicate_pools_conflict(session: Session) -> None:
    gz_pool(session)
    before = snapshot(session)
    message = refused(
        Conflict,
        "POOL_OVERLAP",
        gz_pool,
        session,
        name="other",
        first="83100019",
        last="83100030",
    )
    assert "gz-test" in message
    # PHS numbers share the fixed number space of their area code.
    refused(Conflict, "POOL_OVERLAP", gz_pool, session, kind=NumberKind.PHS, name="phs")
    # Another province cannot number under Guangzhou's area code at all (nor see whose the
    # numbers are).
    message = refused(Forbidden, "FORBIDDEN", gz_pool, session, name="zj", principal=ZJ_ADMIN)
    assert "020" in message and "gz-test" not in message
    refused(Conflict, "DUPLICATE_POOL", gz_pool, session, first="83300000", last="83300009")
    assert snapshot(session) == before


def test_pools_need_an_admin(session: Session) -> None:
    with pytest.raises(Forbidden):
        gz_pool(session, principal=GD_CSR)
    with pytest.raises(Forbidden):
        service.list_pools(session, GD_CSR)


# ----- selection and holds --------------------------------------------------------------------


def test_automatic_selection_skips_golden_and_held_numbers(session: Session) -> None:
    gz_pool(session)
    with frozen_at(T0):
        first = reserve_any(session, "reservation:a")
        second = reserve_any(session, "reservation:b")
    assert first == service.NumberHold(
        number=FIRST_ORDINARY,
        national="02083100001",
        kind=NumberKind.FIXED,
        area_code="020",
        golden_level=None,
        golden_price_fen=0,
        holder="reservation:a",
        held_until=T0 + timedelta(minutes=30),
    )
    assert second.number == "+862083100002"
    row = session.get(NumberResource, FIRST_ORDINARY, populate_existing=True)
    assert row is not None
    assert (row.status, row.holder, row.held_until) == (
        "reserved",
        "reservation:a",
        T0 + timedelta(minutes=30),
    )


def test_no_free_number_names_the_network(session: Session) -> None:
    gz_pool(session, first="83100010", last="83100011")  # 83100011 is golden
    reserve_any(session, "h1")
    message = refused(Conflict, "NO_FREE_NUMBER", reserve_any, session, "h2")
    assert "fixed-line" in message and "020" in message
    message = refused(Conflict, "NO_FREE_NUMBER", reserve_any, session, "h3", kind=NumberKind.PHS)
    assert "PHS" in message
    message = refused(
        Conflict,
        "NO_FREE_NUMBER",
        reserve_any,
        session,
        "h4",
        kind=NumberKind.MOBILE,
        area_code=None,
        prefix="133",
    )
    assert "mobile" in message and "133" in message


def test_an_explicit_golden_number_is_reservable_with_its_price(session: Session) -> None:
    gz_pool(session)
    hold = reserve_any(session, "reservation:g", number="020-8310 0000")
    assert (hold.number, hold.golden_level, hold.golden_price_fen) == (GOLD, "gold", 200_000)
    before = snapshot(session)
    refused(
        Unprocessable,
        "GOLDEN_NUMBER_NOT_ALLOWED",
        reserve_any,
        session,
        "order:1",
        number=SILVER,
        allow_golden=False,
    )
    assert snapshot(session) == before


def test_a_lapsed_hold_is_free_again_without_a_sweeper(session: Session) -> None:
    gz_pool(session)
    with frozen_at(T0):
        held = reserve_any(session, "reservation:a", hold_minutes=15)
    with frozen_at(T0 + timedelta(minutes=14, seconds=59)):
        assert reserve_any(session, "reservation:b").number == "+862083100002"
        refused(Conflict, "NUMBER_UNAVAILABLE", reserve_any, session, "x", number=held.number)
        info = service.find_number(session, GD_CSR, held.number)
        assert info is not None and info.status is NumberStatus.RESERVED
    with frozen_at(T0 + timedelta(minutes=15)):
        info = service.find_number(session, GD_CSR, held.number)
        assert info is not None
        assert (info.status, info.holder, info.held_until) == (NumberStatus.AVAILABLE, None, None)
        again = reserve_any(session, "reservation:c")
    assert again.number == held.number
    assert again.held_until == T0 + timedelta(minutes=45)


def test_a_holder_may_extend_its_own_hold(session: Session) -> None:
    gz_pool(session)
    with frozen_at(T0):
        held = reserve_any(session, "reservation:a")
    with frozen_at(T0 + timedelta(minutes=10)):
        again = reserve_any(session, "reservation:a", number=held.number, hold_minutes=60)
    assert again.held_until == T0 + timedelta(minutes=70)


def test_transfer_hands_a_pre_reservation_to_an_order(session: Session) -> None:
    gz_pool(session)
    with frozen_at(T0):
        pre = reserve_any(session, "reservation:r1", number=SILVER)
        refused(
            Conflict,
            "NUMBER_UNAVAILABLE",
            reserve_any,
            session,
            "order:o1",
            number=SILVER,
            hold_minutes=None,
        )
        by_number = reserve_any(
            session, "order:o1", number=SILVER, hold_minutes=None, transfer_from="reservation:r1"
        )
    assert (by_number.number, by_number.holder, by_number.held_until) == (
        SILVER,
        "order:o1",
        None,
    )
    assert by_number.golden_price_fen == pre.golden_price_fen == 50_000
    # The reservation holds nothing now: it can neither hand over again nor release it.
    refused(
        Conflict,
        "NUMBER_NOT_HELD",
        reserve_any,
        session,
        "order:o2",
        hold_minutes=None,
        transfer_from="reservation:r1",
    )
    assert service.release(session, GD_CSR, holder="reservation:r1") == 0
    # Without a number, the order takes over whatever the reservation holds.
    with frozen_at(T0):
        pre = reserve_any(session, "reservation:r2")
    with frozen_at(T0 + timedelta(hours=2)):  # lapsed, but nobody took it meanwhile
        taken = reserve_any(session, "order:o3", hold_minutes=None, transfer_from="reservation:r2")
    assert (taken.number, taken.holder, taken.held_until) == (pre.number, "order:o3", None)


def test_assign_records_the_product(session: Session) -> None:
    gz_pool(session)
    with frozen_at(T0):
        hold = reserve_any(session, "order:o1", hold_minutes=None)
    before = snapshot(session)
    refused(
        Conflict,
        "NUMBER_NOT_HELD",
        service.assign,
        session,
        GD_CSR,
        hold.number,
        holder="order:o2",
        product_id="p1",
    )
    refused(
        Conflict,
        "NUMBER_NOT_HELD",
        service.assign,
        session,
        GD_CSR,
        "+862083100005",
        holder="order:o1",
        product_id="p1",
    )
    assert snapshot(session) == before
    with frozen_at(T0 + timedelta(days=1)):
        service.assign(session, GD_CSR, hold.number, holder="order:o1", product_id="p1")
        service.assign(session, GD_CSR, hold.number, holder="order:o1", product_id="p1")
    info = service.find_number(session, GD_CSR, hold.number)
    assert info is not None
    assert (info.status, info.holder, info.product_id, info.assigned_at, info.held_until) == (
        NumberStatus.ASSIGNED,
        "order:o1",
        "p1",
        T0 + timedelta(days=1),
        None,
    )
    refused(Conflict, "NUMBER_UNAVAILABLE", reserve_any, session, "x", number=hold.number)
    assert service.release(session, GD_CSR, holder="order:o1") == 0  # assigned stays assigned


def test_retire_quarantines_until_the_pool_days_pass(session: Session) -> None:
    gz_pool(session, quarantine_days=90)
    with frozen_at(T0):
        hold = reserve_any(session, "order:o1", hold_minutes=None)
        service.assign(session, GD_CSR, hold.number, holder="order:o1", product_id="p1")
    ceased = T0 + timedelta(days=400)
    with frozen_at(ceased):
        refused(
            Conflict,
            "NUMBER_NOT_ASSIGNED",
            service.retire,
            session,
            GD_CSR,
            hold.number,
            product_id="p2",
        )
        until = service.retire(session, GD_CSR, hold.number, product_id="p1")
    assert until == ceased + timedelta(days=90)
    with frozen_at(ceased + timedelta(days=1)):
        assert service.retire(session, GD_CSR, hold.number, product_id="p1") == until
        refused(Conflict, "NUMBER_NOT_ASSIGNED", service.retire, session, GD_CSR, "+862083100003")
    with frozen_at(until - timedelta(seconds=1)):
        info = service.find_number(session, GD_CSR, hold.number)
        assert info is not None
        assert (info.status, info.quarantine_until, info.product_id) == (
            NumberStatus.QUARANTINED,
            until,
            "p1",
        )
        message = refused(
            Conflict, "NUMBER_UNAVAILABLE", reserve_any, session, "x", number=hold.number
        )
        assert "quarantine" in message
        assert reserve_any(session, "y").number == "+862083100002"  # skipped, not picked
    with frozen_at(until):
        assert reserve_any(session, "z").number == hold.number  # the lowest free again
        info = service.find_number(session, GD_CSR, hold.number)
    assert info is not None and info.holder == "z" and info.product_id is None


def test_release_frees_everything_a_holder_holds(session: Session) -> None:
    gz_pool(session)
    reserve_any(session, "reservation:a")
    reserve_any(session, "reservation:a", number=GOLD)
    reserve_any(session, "reservation:b")
    assert service.release(session, GD_CSR, holder="reservation:a") == 2
    assert status_of(session, FIRST_ORDINARY) is NumberStatus.AVAILABLE
    assert status_of(session, GOLD) is NumberStatus.AVAILABLE
    assert status_of(session, "+862083100002") is NumberStatus.RESERVED
    assert service.release(session, GD_CSR, holder="reservation:a") == 0


def test_release_expired_tidies_lapsed_state(session: Session) -> None:
    gz_pool(session, quarantine_days=0)
    with frozen_at(T0):
        reserve_any(session, "reservation:a", hold_minutes=5)
        reserve_any(session, "reservation:b", hold_minutes=60)
        order = reserve_any(session, "order:o", hold_minutes=None)
        service.assign(session, GD_CSR, order.number, holder="order:o", product_id="p")
        service.retire(session, GD_CSR, order.number)
    with frozen_at(T0 + timedelta(minutes=10)):
        assert service.release_expired(session) == 2
        assert service.release_expired(session) == 0
    counts = dict(
        session.execute(
            select(NumberResource.status, func.count()).group_by(NumberResource.status)
        ).all()
    )
    assert counts == {"available": 19, "reserved": 1}


# ----- search ------------------------------------------------------------------------------


def test_search_lists_free_numbers(session: Session) -> None:
    gz_pool(session)
    reserve_any(session, "h")  # takes 83100001
    found = service.search(session, GD_ANALYST, kind=NumberKind.FIXED, area_code="020", limit=3)
    assert [n.number for n in found] == [GOLD, "+862083100002", "+862083100003"]
    assert found[0].golden_level == "gold" and found[0].golden_price_fen == 200_000
    ordinary = service.search(session, GD_CSR, kind=NumberKind.FIXED, golden=False, limit=2)
    assert [n.number for n in ordinary] == ["+862083100002", "+862083100003"]
    golden = service.search(session, GD_CSR, kind=NumberKind.FIXED, golden=True)
    assert [n.number for n in golden] == [GOLD, SILVER]
    ending = service.search(session, GD_CSR, kind=NumberKind.FIXED, area_code="020", pattern="1")
    assert [n.number for n in ending] == [SILVER]  # 83100001 is held
    wildcard = service.search(session, GD_CSR, kind=NumberKind.FIXED, pattern="1?")
    assert [n.number for n in wildcard] == [f"+8620831000{i}" for i in range(10, 20)]
    by_prefix = service.search(
        session, GD_CSR, kind=NumberKind.FIXED, area_code="020", prefix="8310001", limit=2
    )
    assert [n.number for n in by_prefix] == ["+862083100010", SILVER]
    assert service.search(session, GD_CSR, kind=NumberKind.PHS, area_code="020") == []


@pytest.mark.parametrize(
    "options",
    [
        {"limit": 0},
        {"limit": 201},
        {"pattern": "8a"},
        {"pattern": "%"},
        {"area_code": "20"},
        {"prefix": "12x"},
        {"prefix": "8310", "area_code": None},
        {"kind": NumberKind.MOBILE, "area_code": "020"},
        {"kind": NumberKind.MOBILE, "prefix": "289"},
    ],
)
def test_bad_searches_are_refused(session: Session, options: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"kind": NumberKind.FIXED, "area_code": "020"}
    arguments.update(options)
    refused(Unprocessable, "INVALID_NUMBER_REQUEST", service.search, session, GD_CSR, **arguments)


# ----- bad input, roles and provinces -------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "code"),
    [
        ({"number": "+862083999999"}, Unprocessable, "UNKNOWN_NUMBER"),
        ({"number": "not a number"}, Unprocessable, "INVALID_NUMBER"),
        ({"number": GOLD, "kind": NumberKind.PHS}, Unprocessable, "UNKNOWN_NUMBER"),
        ({"number": GOLD, "area_code": "0755"}, Unprocessable, "UNKNOWN_NUMBER"),
        ({"number": GOLD, "prefix": "8320"}, Unprocessable, "UNKNOWN_NUMBER"),
        ({"area_code": None}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"hold_minutes": 0}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"hold_minutes": 10**6}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"holder": ""}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"holder": "x" * 65}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"kind": "landline"}, Unprocessable, "INVALID_NUMBER_REQUEST"),
        ({"principal": GROUP_ADMIN}, Unprocessable, "PROVINCE_REQUIRED"),
        ({"principal": GD_ANALYST}, Forbidden, "FORBIDDEN"),
    ],
)
def test_bad_reservations_change_nothing(
    session: Session, options: dict[str, Any], error: type[OpenBSSError], code: str
) -> None:
    gz_pool(session)
    reserve_any(session, "reservation:a")
    before = snapshot(session)
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    arguments: dict[str, Any] = {"holder": "reservation:b"}
    arguments.update(options)
    refused(error, code, reserve_any, session, **arguments)
    assert snapshot(session) == before
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_a_province_never_sees_or_takes_another_provinces_numbers(session: Session) -> None:
    gz_pool(session)
    hold = reserve_any(session, "order:gd", hold_minutes=None)
    assert service.find_number(session, ZJ_CSR, GOLD) is None
    assert service.search(session, ZJ_CSR, kind=NumberKind.FIXED, area_code="020") == []
    refused(
        Unprocessable, "UNKNOWN_NUMBER", reserve_any, session, "z", number=GOLD, principal=ZJ_CSR
    )
    refused(Conflict, "NO_FREE_NUMBER", reserve_any, session, "z", principal=ZJ_CSR)
    refused(
        Unprocessable,
        "UNKNOWN_NUMBER",
        service.assign,
        session,
        ZJ_CSR,
        hold.number,
        holder="order:gd",
        product_id="p",
    )
    assert service.release(session, ZJ_CSR, holder="order:gd") == 0
    assert status_of(session, hold.number) is NumberStatus.RESERVED
    assert service.list_pools(session, ZJ_ADMIN) == []
    # A group principal reads every province and may act on a number (internal jobs).
    info = service.find_number(session, GROUP_ADMIN, hold.number)
    assert info is not None and info.province == "GD"
    service.assign(session, GROUP_ADMIN, hold.number, holder="order:gd", product_id="p")
    assert status_of(session, hold.number) is NumberStatus.ASSIGNED


def test_roles(session: Session) -> None:
    gz_pool(session)
    with pytest.raises(Forbidden):
        service.release(session, GD_ANALYST, holder="x")
    with pytest.raises(Forbidden):
        service.find_number(session, Principal("b", Role.BILLING_OPERATOR, "GD"), GOLD)
    assert service.find_number(session, GD_ANALYST, GOLD) is not None
