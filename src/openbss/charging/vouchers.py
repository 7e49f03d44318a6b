"""Top-up vouchers (充值卡): batches, states, and redemption by PIN.

A batch is generated with a serial and a random 18-digit PIN per card. The PIN is stored only
as HMAC-SHA256 under a server key (``OPENBSS_VOUCHER_PIN_KEY``, else a key file made once under
``<data_dir>/secrets/``), so a PIN typed by a subscriber is found by one indexed lookup and a
copy of the database reveals none. The PINs are written once, for the card printer, to a file
readable by its owner only (:mod:`openbss.charging.voucher_files`).

States: generated → active (sold: the batch's sale is posted to the ledger) → used; an active
card may be frozen and unfrozen; a card past its date is expired. Redemption is exactly once:
the card moves from active to used by one conditional update, and the top-up's idempotency key
is the serial. Wrong PINs are counted per subscriber and per source address; the configured
number of them (10 by default) locks both out for the configured time (30 minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openbss.charging.models import RedeemGuard, Voucher, VoucherBatch
from openbss.charging.topups import ToppedUp, credit_line, prepaid_line
from openbss.kit.errors import BadRequest, Conflict, NotFound, OpenBSSError
from openbss.kit.money import LI_PER_FEN
from openbss.kit.settings import get_settings
from openbss.payments.public import (
    PaymentMethod,
    post_prepaid,
    voucher_redemption_lines,
    voucher_sale_lines,
)

PIN_DIGITS = 18
MAX_BATCH = 100_000
GUARD_WINDOW = timedelta(hours=24)  # wrong PINs older than this are forgotten


class VoucherRefused(OpenBSSError):
    status = 409
    code = "VOUCHER_REFUSED"
    reason = "Voucher refused"


class WrongPin(VoucherRefused):
    status = 404
    code = "VOUCHER_WRONG_PIN"
    reason = "No voucher has this PIN"


class VoucherUsed(VoucherRefused):
    code = "VOUCHER_USED"
    reason = "The voucher has already been used"


class VoucherFrozen(VoucherRefused):
    code = "VOUCHER_FROZEN"
    reason = "The voucher is frozen"


class VoucherExpired(VoucherRefused):
    code = "VOUCHER_EXPIRED"
    reason = "The voucher has expired"


class VoucherNotActive(VoucherRefused):
    code = "VOUCHER_NOT_ACTIVE"
    reason = "The voucher has not been sold (activated) yet"


class RedeemLocked(OpenBSSError):
    status = 429
    code = "VOUCHER_LOCKED"
    reason = "Too many wrong PINs"


def _rows(result: object) -> int:
    """Rows an UPDATE changed (a CursorResult's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


# ----- PIN hashing -------------------------------------------------------------------------


def pin_key(data_dir: Path | None = None) -> bytes:
    """The HMAC key: the configured one, else a random key kept in a file of mode 0600."""
    settings = get_settings()
    if settings.voucher_pin_key:
        return settings.voucher_pin_key.encode()
    path = (data_dir or settings.data_dir) / "secrets" / "voucher-pin.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
                out.flush()
                os.fsync(out.fileno())
    return path.read_text().strip().encode()


def hash_pin(pin: str, key: bytes) -> str:
    return hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()


def normalise_pin(pin: str) -> str:
    """Digits only (a PIN may be typed with spaces or dashes); a 400 when it cannot be one."""
    digits = "".join(ch for ch in pin if ch not in " -")
    if not digits.isdigit() or not 8 <= len(digits) <= 32 or not digits.isascii():
        raise BadRequest("a PIN is 8 to 32 digits", code="INVALID_PIN")
    return digits


# ----- batches -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    serial: str
    pin: str


def generate_batch(
    session: Session,
    *,
    batch_id: str,
    province: str,
    count: int,
    face_value_li: int,
    valid_until: datetime,
    at: datetime,
    created_by: str | None = None,
) -> list[Card]:
    """Create a batch of ``count`` cards in state ``generated``; returns the PINs (the only
    time they exist in clear: the caller writes them for the printer before committing)."""
    if not batch_id.isalnum() or not batch_id.isascii() or len(batch_id) > 24:
        raise BadRequest("a batch code is 1 to 24 letters and digits", code="INVALID_BATCH")
    if not 1 <= count <= MAX_BATCH:
        raise BadRequest(f"a batch has 1 to {MAX_BATCH} cards", code="INVALID_COUNT")
    if face_value_li <= 0 or face_value_li % LI_PER_FEN:
        raise BadRequest("a face value is a positive whole number of fen", code="INVALID_AMOUNT")
    if valid_until <= at:
        raise BadRequest("a batch must be valid until a future date", code="INVALID_DATE")
    if session.get(VoucherBatch, batch_id) is not None:
        raise Conflict(
            f"batch {batch_id} exists; its PINs were printed once and are not shown again",
            code="BATCH_EXISTS",
        )
    key = pin_key()
    session.add(
        VoucherBatch(
            id=batch_id, province=province, count=count, face_value_li=face_value_li,
            valid_until=valid_until, created_at=at, created_by=created_by,
        )
    )  # fmt: skip
    cards: list[Card] = []
    seen: set[str] = set()
    while len(cards) < count:
        pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
        if pin in seen:
            continue
        seen.add(pin)
        cards.append(Card(f"{batch_id}{len(cards) + 1:08d}", pin))
    session.add_all(
        Voucher(
            serial=card.serial, batch_id=batch_id, province=province,
            pin_hash=hash_pin(card.pin, key), state="generated", face_value_li=face_value_li,
            valid_until=valid_until, state_at=at,
        )
        for card in cards
    )  # fmt: skip
    session.flush()
    return cards


_TRANSITIONS = {
    "activate": ({"generated"}, "active"),
    "freeze": ({"generated", "active"}, "frozen"),
    "unfreeze": ({"frozen"}, "active"),
}


def change_state(
    session: Session,
    *,
    action: str,
    at: datetime,
    batch_id: str | None = None,
    serials: Sequence[str] = (),
    method: str = "cash",
) -> int:
    """Activate, freeze or unfreeze a batch's cards (or the named ones); returns how many
    changed. Activating sells them: the cards' face value is posted once per activation (money
    in, owed as vouchers). A card already in the target state is left as it is."""
    if action not in _TRANSITIONS:
        raise BadRequest(f"unknown voucher action {action!r}")
    if batch_id is None and not serials:
        raise BadRequest("name a batch or serials")
    if action == "activate" and method not in {m.value for m in PaymentMethod}:
        raise BadRequest(f"unknown payment method {method!r}", code="INVALID_METHOD")
    sources, target = _TRANSITIONS[action]
    condition = [Voucher.state.in_(sources), Voucher.valid_until > at]
    if batch_id is not None:
        if session.get(VoucherBatch, batch_id) is None:
            raise NotFound(f"no voucher batch {batch_id!r}")
        condition.append(Voucher.batch_id == batch_id)
    if serials:
        condition.append(Voucher.serial.in_(list(serials)))
    # The cards this call changes, read back from the update itself: of two activations
    # racing, each posts only the cards it moved.
    moved = session.execute(
        update(Voucher)
        .where(*condition)
        .values(state=target, state_at=at)
        .returning(Voucher.province, Voucher.face_value_li)
    ).all()
    changed = len(moved)
    sold: dict[str, int] = {}
    for province, face_value_li in moved:
        sold[province] = sold.get(province, 0) + int(face_value_li)
    if action == "activate":
        for province, total_li in sorted(sold.items()):
            post_prepaid(
                session,
                province=province,
                entry_id=f"voucher-sale:{batch_id or serials[0]}:{at.isoformat()}"[:64],
                entry_kind="voucherSale",
                at=at,
                lines=voucher_sale_lines(total_li // LI_PER_FEN, method),
            )
    if batch_id is not None and action == "activate" and changed:
        batch = session.get(VoucherBatch, batch_id)
        if batch is not None:
            batch.sold_at, batch.sale_method = at, method
    session.flush()
    return changed


def expire(session: Session, at: datetime) -> int:
    """Cards past their date that were never used become ``expired``."""
    changed = _rows(
        session.execute(
            update(Voucher)
            .where(Voucher.state.in_(("generated", "active", "frozen")), Voucher.valid_until <= at)
            .values(state="expired", state_at=at)
        )
    )
    session.flush()
    return changed


# ----- redemption --------------------------------------------------------------------------


@dataclass(frozen=True)
class Redemption:
    serial: str
    topped_up: ToppedUp


def _guard_keys(product_id: str, source: str | None) -> list[str]:
    keys = [f"subscriber:{product_id}"]
    if source:
        keys.append(f"source:{source}"[:160])
    return keys


def check_lockout(session: Session, product_id: str, source: str | None, at: datetime) -> None:
    for key in _guard_keys(product_id, source):
        guard = session.get(RedeemGuard, key)
        if guard is not None and guard.locked_until is not None and guard.locked_until > at:
            minutes = max(1, int((guard.locked_until - at).total_seconds() // 60) + 1)
            what = "this subscriber" if key.startswith("subscriber:") else "this address"
            raise RedeemLocked(
                f"too many wrong PINs: top-ups by voucher for {what} are locked for "
                f"{minutes} more minute(s)"
            )


def _guard(session: Session, key: str) -> RedeemGuard:
    guard = session.get(RedeemGuard, key, with_for_update=True, populate_existing=True)
    if guard is not None:
        return guard
    try:
        with session.begin_nested():
            session.add(RedeemGuard(key=key, failures=0))
    except IntegrityError:
        pass  # made by a concurrent failure
    found = session.get(RedeemGuard, key, with_for_update=True, populate_existing=True)
    assert found is not None
    return found


def note_wrong_pin(session: Session, *, number: str, source: str | None, at: datetime) -> None:
    """Count a wrong PIN against the subscriber and the source; lock them out at the limit.
    Called in a transaction of its own (the refused redemption rolled back)."""
    settings = get_settings()
    try:
        line = prepaid_line(session, number, at)
    except NotFound:
        keys = [f"source:{source}"[:160]] if source else []
    else:
        keys = _guard_keys(line.product_id, source)
    for key in keys:
        guard = _guard(session, key)
        if guard.first_failure_at is None or at - guard.first_failure_at > GUARD_WINDOW:
            guard.failures, guard.first_failure_at = 0, at
        guard.failures += 1
        if guard.failures >= settings.voucher_max_failures:
            guard.locked_until = at + timedelta(minutes=settings.voucher_lockout_minutes)
            guard.failures, guard.first_failure_at = 0, None
    session.flush()


def redeem(
    session: Session, *, number: str, pin: str, at: datetime, source: str | None = None
) -> Redemption:
    """Top up the prepaid line of ``number`` with the card whose PIN this is. Raises
    :class:`WrongPin` (the caller rolls back, then :func:`note_wrong_pin` in a new
    transaction), :class:`RedeemLocked`, or another :class:`VoucherRefused` with its reason."""
    digits = normalise_pin(pin)
    line = prepaid_line(session, number, at)
    check_lockout(session, line.product_id, source, at)
    voucher = session.scalar(select(Voucher).where(Voucher.pin_hash == hash_pin(digits, pin_key())))
    if voucher is None:
        raise WrongPin("no voucher has this PIN")
    if voucher.state == "used":
        raise VoucherUsed(f"voucher {voucher.serial} has already been used")
    if voucher.state == "frozen":
        raise VoucherFrozen(f"voucher {voucher.serial} is frozen")
    if voucher.state == "expired" or voucher.valid_until <= at:
        raise VoucherExpired(f"voucher {voucher.serial} expired on {voucher.valid_until.date()}")
    if voucher.state != "active":
        raise VoucherNotActive(f"voucher {voucher.serial} has not been sold yet")
    if voucher.province != line.province:
        raise VoucherRefused(
            f"voucher {voucher.serial} is sold in {voucher.province}; it tops up lines of that "
            "province only",
            code="VOUCHER_OTHER_PROVINCE",
        )
    # Exactly once: of two redemptions racing for this card, one update changes the row.
    claimed = _rows(
        session.execute(
            update(Voucher)
            .where(Voucher.serial == voucher.serial, Voucher.state == "active")
            .values(state="used", state_at=at, redeemed_product_id=line.product_id)
        )
    )
    if claimed != 1:
        raise VoucherUsed(f"voucher {voucher.serial} has already been used")
    topped = credit_line(
        session, line, amount_li=voucher.face_value_li, at=at, reason="voucher top-up",
        reference=voucher.serial, idempotency_key=f"voucher:{voucher.serial}",
    )  # fmt: skip
    voucher.redeemed_transaction_id = topped.transaction_id
    for key in _guard_keys(line.product_id, None):
        guard = session.get(RedeemGuard, key)
        if guard is not None:
            guard.failures, guard.first_failure_at = 0, None
    post_prepaid(
        session,
        province=voucher.province,
        entry_id=f"voucher-redeem:{voucher.serial}",
        entry_kind="voucherRedeem",
        at=at,
        lines=voucher_redemption_lines(voucher.face_value_li // LI_PER_FEN),
    )
    session.flush()
    return Redemption(voucher.serial, topped)


def batch_states(session: Session, batch_id: str) -> dict[str, int]:
    """How many cards of a batch are in each state."""
    if session.get(VoucherBatch, batch_id) is None:
        raise NotFound(f"no voucher batch {batch_id!r}")
    rows = session.execute(
        select(Voucher.state, func.count())
        .where(Voucher.batch_id == batch_id)
        .group_by(Voucher.state)
    )
    return {str(state): int(n) for state, n in rows}
