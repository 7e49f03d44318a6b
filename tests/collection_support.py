"""Factories for bank collection tests: accounts paying by direct debit, with their bank details
on the TMF666 document as the account API takes them, and bank result files written in a
bank's layout."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from sqlalchemy.orm import Session

from openbss.account.service import billing_accounts
from openbss.kit.security import Principal, Role
from openbss.party.identity import make_resident_id
from openbss.party.service import individuals
from openbss.payments import banks

GD = Principal(key_id="test-finance", role=Role.ADMIN, province="GD")
_serial = count(5_000)


def debit_account(session: Session, bank: str = "ICBC", holder: str = "张三") -> str:
    """A GD billing account paying by bank collection from an account at ``bank``."""
    serial = next(_serial)
    from datetime import date

    party = individuals.create(
        session,
        GD,
        {
            "familyName": holder[0],
            "givenName": holder[1:],
            "individualIdentification": [
                {
                    "identificationType": "ResidentIdentityCard",
                    "identificationId": make_resident_id("440106", date(1980, 1, 1), serial),
                }
            ],
        },
    )
    account = billing_accounts.create(
        session,
        GD,
        {
            "name": f"{holder} 账户",
            "state": "active",
            "relatedParty": [{"id": party.id, "role": "owner", "@referredType": "Individual"}],
            "defaultPaymentMethod": {
                "id": "bank-collection",
                "@referredType": "BankAccountDebit",
                "details": {
                    "bank": bank,
                    "accountNumber": f"6222{serial:015d}",
                    "owner": holder,
                },
            },
        },
    )
    assert account.payment_method == "bank_collection"
    return account.id


def result_file(
    layout_name: str,
    batch_id: str,
    answers: Sequence[dict[str, object]],
    *,
    trailer: dict[str, object] | None = None,
) -> bytes:
    """A result file of ``answers`` (each: line_no, billing_account_id, amount_fen, paid_fen,
    status as the bank writes it, reason_code, reason_text, bank_txn_id)."""
    layout = banks.load_bank_layout(layout_name)
    details = [
        {**answer, "batch_id": batch_id, "reference": f"{batch_id}/{answer['line_no']}"}
        for answer in answers
    ]
    frame = {
        "bank": layout.bank,
        "batch_id": batch_id,
        "date": "20261203",
        "count": len(details),
        "total_fen": sum(int(str(a.get("amount_fen", 0))) for a in answers),
        "paid_fen": sum(int(str(a.get("paid_fen", 0))) for a in answers),
        **(trailer or {}),
    }
    return banks.render_file(layout, layout.result, frame, details, frame)
