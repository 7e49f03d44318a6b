"""The one in-memory hot path of the engine: a province's tariffs and offering bindings,
compiled once and reused while the rating plan's fingerprint stays the same.

Balances are never cached (several engines share them through the database); tariffs are
immutable versions, so a cached copy is right as long as no version, allowance or binding
was added — which :func:`openbss.rating.public.plan_fingerprint` tells. The fingerprint is
checked at most every ``check_every_s`` seconds, so a new tariff version is priced within
that delay.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openbss.rating.public import Tariff, offering_ratings, plan_fingerprint, province_tariffs


@dataclass(frozen=True, slots=True)
class ProvincePlan:
    fingerprint: str
    tariffs: tuple[Tariff, ...]
    tariff_by_offering: dict[str, str]

    def tariff_of(self, offering_id: str | None) -> str | None:
        return None if offering_id is None else self.tariff_by_offering.get(offering_id)


class PlanCache:
    def __init__(self, check_every_s: float = 5.0) -> None:
        self.check_every_s = check_every_s
        self._entries: dict[str, tuple[float, ProvincePlan]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, province: str) -> ProvincePlan:
        with self._lock:
            entry = self._entries.get(province)
        if entry is not None and time.monotonic() - entry[0] < self.check_every_s:
            return entry[1]
        fingerprint = plan_fingerprint(session, province)
        if entry is not None and entry[1].fingerprint == fingerprint:
            plan = entry[1]
        else:
            plan = ProvincePlan(
                fingerprint=fingerprint,
                tariffs=province_tariffs(session, province),
                tariff_by_offering={
                    offering: rating.tariff_id
                    for offering, rating in offering_ratings(session).items()
                    if rating.tariff_id is not None
                },
            )
        with self._lock:
            self._entries[province] = (time.monotonic(), plan)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
