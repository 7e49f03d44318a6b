"""Pure customer maths: which credit profile is current, and the credit class (信用度等级).

No database and no framework, so the rules are unit-tested on plain data. The class feeds
credit control (信用度 limits, 停机 thresholds) in the payments domain, which reads the typed
``credit_class`` column rather than re-deriving it.

The scales are defaults an operator may tune:

- ``creditScore`` on 0–1000: A ≥ 800, B ≥ 650, C ≥ 500, D below;
- ``creditRiskRating`` 0–5, higher is riskier: 0–1 A, 2 B, 3 C, 4–5 D;
- a profile with both values takes the *worse* class, because credit control must not extend
  more credit than either measure supports;
- no current profile, or a current profile with neither value, gives ``None`` (unrated).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openbss.kit.tmf import parse_datetime

CREDIT_CLASSES = ("A", "B", "C", "D")  # best first
SCORE_RANGE = (0, 1000)
RISK_RATING_RANGE = (0, 5)
# (lowest score, class), best first; a score below every bound is the last class.
SCORE_BANDS: tuple[tuple[int, str], ...] = ((800, "A"), (650, "B"), (500, "C"))
# (highest rating, class), best first; a rating above every bound is the last class.
RISK_BANDS: tuple[tuple[int, str], ...] = ((1, "A"), (2, "B"), (3, "C"))


def class_from_score(score: int) -> str:
    for lowest, credit_class in SCORE_BANDS:
        if score >= lowest:
            return credit_class
    return CREDIT_CLASSES[-1]


def class_from_risk_rating(rating: int) -> str:
    for highest, credit_class in RISK_BANDS:
        if rating <= highest:
            return credit_class
    return CREDIT_CLASSES[-1]


def worse(left: str, right: str) -> str:
    return max(left, right, key=CREDIT_CLASSES.index)


def profile_class(profile: Mapping[str, Any]) -> str | None:
    """The class one credit profile supports, or None when it carries no measure."""
    score = profile.get("creditScore")
    rating = profile.get("creditRiskRating")
    classes = []
    if score is not None:
        classes.append(class_from_score(int(score)))
    if rating is not None:
        classes.append(class_from_risk_rating(int(rating)))
    if not classes:
        return None
    result = classes[0]
    for other in classes[1:]:
        result = worse(result, other)
    return result


def _is_valid_at(profile: Mapping[str, Any], at: datetime) -> bool:
    period = profile.get("validFor") or {}
    start = period.get("startDateTime")
    end = period.get("endDateTime")
    if start and parse_datetime(start) > at:
        return False
    # The end instant is exclusive so that back-to-back profiles never overlap.
    return not (end and parse_datetime(end) <= at)


def current_profile(
    profiles: Sequence[Mapping[str, Any]] | None, at: datetime
) -> Mapping[str, Any] | None:
    """The profile in force at ``at``: the valid one that started last.

    TMF629 says the first profile in the list is the current one, but clients append history
    in any order, so validity decides; among equally recent profiles the earlier in the list
    wins, which keeps the TMF reading when periods coincide.
    """
    best: Mapping[str, Any] | None = None
    best_start: datetime | None = None
    for profile in profiles or []:
        if not _is_valid_at(profile, at):
            continue
        raw_start = (profile.get("validFor") or {}).get("startDateTime")
        start = parse_datetime(raw_start) if raw_start else None
        if best is None or (start is not None and (best_start is None or start > best_start)):
            best, best_start = profile, start
    return best


def credit_class(profiles: Sequence[Mapping[str, Any]] | None, at: datetime) -> str | None:
    """The customer's credit class at ``at`` from its credit profiles (None when unrated)."""
    profile = current_profile(profiles, at)
    return None if profile is None else profile_class(profile)
