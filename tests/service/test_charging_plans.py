"""The engine's one in-memory cache: a province's compiled tariffs, reused while the rating
plan's fingerprint is unchanged and rebuilt as soon as it changes."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from openbss.charging.engine.plans import PlanCache
from openbss.db.uow import unit_of_work
from openbss.kit.security import SYSTEM
from openbss.rating.ct2005 import PHS_TARIFF_ID
from openbss.rating.tariffs import save_allowance
from tests.charging_engine_support import PREPAID
from tests.rating_support import rating_ready


def test_plans_are_reused_until_the_fingerprint_changes(
    session_factory: sessionmaker[Session],
) -> None:
    prepaid_offering = rating_ready(session_factory).catalog[PREPAID]
    cache = PlanCache(check_every_s=0)  # check the fingerprint on every use
    with session_factory() as session:
        first = cache.get(session, "GD")
        assert first.tariff_of(prepaid_offering) == PHS_TARIFF_ID
        assert first.tariff_of("no-such-offering") is None
        assert cache.get(session, "GD") is first  # same fingerprint: the same compiled plan
    with unit_of_work(session_factory) as session:
        save_allowance(
            session,
            SYSTEM,
            {"id": "CE-TEST", "name": "test", "service": "voice", "unitsPerCycle": 60},
        )
    with session_factory() as session:
        second = cache.get(session, "GD")
        assert second is not first and second.fingerprint != first.fingerprint
        assert second.tariffs == first.tariffs
    slow = PlanCache(check_every_s=3600)
    with session_factory() as session:
        kept = slow.get(session, "GD")
        assert slow.get(session, "GD") is kept
