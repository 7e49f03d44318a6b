"""Service intervals from a product's status history: the stretches of status and plan, and
when the product was in service."""

from __future__ import annotations

from datetime import UTC, datetime

from openbss.inventory.calculations import (
    OPEN_END,
    InService,
    StatusChange,
    Stretch,
    in_service_stretches,
    status_stretches,
)

LOCAL = "CT-PO-FIXED-LOCAL"
BUNDLE = "CT-PO-BUNDLE-FAMILY"


def at(day: int, hour: int = 1) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def change(product: str, status: str, day: int, offering: str = LOCAL) -> StatusChange:
    return StatusChange(product, status, offering, at(day))


def test_activation_starts_the_stretch_in_service_and_it_stays_open() -> None:
    history = [
        change("P", "created", 1),
        change("P", "pendingActive", 1),
        change("P", "active", 2),
    ]

    stretches = status_stretches(history)

    assert stretches == [
        Stretch("P", "created", LOCAL, at(1), at(1)),
        Stretch("P", "pendingActive", LOCAL, at(1), at(2)),
        Stretch("P", "active", LOCAL, at(2), OPEN_END),
    ]
    assert in_service_stretches(stretches) == [InService("P", at(2), OPEN_END)]


def test_suspend_and_resume_is_one_stretch_in_service() -> None:
    history = [
        change("P", "active", 2),
        change("P", "suspended", 10),
        change("P", "active", 15),
    ]

    stretches = status_stretches(history)

    assert [(s.status, s.valid_from, s.valid_to) for s in stretches] == [
        ("active", at(2), at(10)),
        ("suspended", at(10), at(15)),
        ("active", at(15), OPEN_END),
    ]
    assert in_service_stretches(stretches) == [InService("P", at(2), OPEN_END)]


def test_a_plan_change_splits_the_status_stretch_but_not_the_service() -> None:
    history = [change("P", "active", 2), change("P", "active", 16, BUNDLE)]

    stretches = status_stretches(history)

    assert stretches == [
        Stretch("P", "active", LOCAL, at(2), at(16)),
        Stretch("P", "active", BUNDLE, at(16), OPEN_END),
    ]
    assert in_service_stretches(stretches) == [InService("P", at(2), OPEN_END)]


def test_a_change_repeating_status_and_plan_continues_the_stretch() -> None:
    history = [change("P", "active", 2), change("P", "active", 9), change("P", "suspended", 20)]

    assert status_stretches(history) == [
        Stretch("P", "active", LOCAL, at(2), at(20)),
        Stretch("P", "suspended", LOCAL, at(20), OPEN_END),
    ]


def test_a_cease_ends_the_service_at_the_cease() -> None:
    history = [
        change("P", "active", 2),
        change("P", "suspended", 10),
        change("P", "pendingTerminate", 20),
        change("P", "terminated", 21),
    ]

    stretches = status_stretches(history)

    assert stretches[-2:] == [
        Stretch("P", "pendingTerminate", LOCAL, at(20), at(21)),
        Stretch("P", "terminated", LOCAL, at(21), OPEN_END),
    ]
    assert in_service_stretches(stretches) == [InService("P", at(2), at(20))]


def test_a_cease_cancelled_on_the_network_resumes_a_new_stretch_in_service() -> None:
    history = [
        change("P", "active", 2),
        change("P", "pendingTerminate", 20),
        change("P", "active", 22),
    ]

    assert in_service_stretches(status_stretches(history)) == [
        InService("P", at(2), at(20)),
        InService("P", at(22), OPEN_END),
    ]


def test_a_number_reused_by_another_product_gives_each_its_own_stretch() -> None:
    # P held the number until its cease on the 10th; Q got it (after quarantine) on the 25th.
    history = [
        change("P", "active", 2),
        change("P", "terminated", 10),
        change("Q", "created", 24),
        change("Q", "active", 25),
    ]

    stretches = status_stretches(history)

    assert stretches == [
        Stretch("P", "active", LOCAL, at(2), at(10)),
        Stretch("P", "terminated", LOCAL, at(10), OPEN_END),
        Stretch("Q", "created", LOCAL, at(24), at(25)),
        Stretch("Q", "active", LOCAL, at(25), OPEN_END),
    ]
    assert in_service_stretches(stretches) == [
        InService("P", at(2), at(10)),
        InService("Q", at(25), OPEN_END),
    ]


def test_a_product_never_activated_is_never_in_service() -> None:
    history = [change("P", "created", 1), change("P", "cancelled", 3)]

    assert in_service_stretches(status_stretches(history)) == []
    assert status_stretches([]) == []
