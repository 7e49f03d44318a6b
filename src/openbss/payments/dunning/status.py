"""An account's collections at a glance: its case, arrears, steps, reminders and promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openbss.payments.dunning import repository as repo
from openbss.payments.dunning.models import Stage


@dataclass(frozen=True, slots=True)
class AccountTreatment:
    billing_account_id: str
    stage: str
    barring: str
    overdue_fen: int
    oldest_due: date | None
    suspended_on: date | None
    ceased_on: date | None
    steps: list[dict[str, Any]]
    reminders: list[dict[str, Any]]
    promises: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "billingAccountId": self.billing_account_id,
            "stage": self.stage,
            "barring": self.barring,
            "overdueFen": self.overdue_fen,
            "oldestDueDate": self.oldest_due.isoformat() if self.oldest_due else None,
            "suspendedOn": self.suspended_on.isoformat() if self.suspended_on else None,
            "ceasedOn": self.ceased_on.isoformat() if self.ceased_on else None,
            "steps": self.steps,
            "reminders": self.reminders,
            "promises": self.promises,
        }


def treatment_of(session: Session, billing_account_id: str, as_of: date) -> AccountTreatment:
    case = repo.find_case(session, billing_account_id)
    arrears = repo.arrears_of(session, billing_account_id, as_of)
    return AccountTreatment(
        billing_account_id=billing_account_id,
        stage=case.stage if case else Stage.CLEAR,
        barring=case.barring if case else "none",
        overdue_fen=arrears.overdue_fen if arrears else 0,
        oldest_due=arrears.oldest_due if arrears else None,
        suspended_on=case.suspended_on if case else None,
        ceased_on=case.ceased_on if case else None,
        steps=[
            {
                "step": s.step,
                "date": s.business_date.isoformat(),
                "key": s.key,
                "productOrderId": s.product_order_id,
                "detail": s.detail,
            }
            for s in repo.steps_of(session, billing_account_id)
        ],
        reminders=[
            {
                "id": n.id,
                "channel": n.channel,
                "status": n.status,
                "text": {"zh-CN": n.text_zh, "en": n.text_en},
            }
            for n in repo.notifications_of(session, billing_account_id)
        ],
        promises=[
            {
                "id": p.id,
                "promisedDate": p.promised_date.isoformat(),
                "amountFen": p.amount_fen,
                "status": p.status,
            }
            for p in repo.promises_of(session, billing_account_id)
        ],
    )
