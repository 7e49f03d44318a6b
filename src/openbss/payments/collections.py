"""What payments tell collections: money arrived on an account, so its lines may be resumed
or its credit barring lifted at once (the daily job would do it the next morning otherwise).

Collections builds on payments (deposits reuse its rules), so it is imported when a payment
calls it, not when payments is imported: that keeps the two free of an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session


def after_payment(session: Session, province: str, account_id: str) -> None:
    """Resume or unbar the account's lines if the payment cleared what held them."""
    from openbss.payments.dunning import treatment

    treatment.after_payment(session, province, account_id)


def after_payments(session: Session, province: str, account_ids: Iterable[str]) -> None:
    """:func:`after_payment` for every account a bulk application (a bank file) paid into."""
    from openbss.payments.dunning import treatment

    treatment.after_payments(session, province, account_ids)
