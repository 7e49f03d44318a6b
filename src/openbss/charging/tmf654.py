"""TMF654 Prepay Balance Management v4: buckets and the balance actions on them.

``bucket`` is rendered from the bucket's columns (its remaining and reserved values change with
every grant, so no stored document could stay true); ``topupBalance``, ``adjustBalance`` and
``reserveBalance`` are TMF documents kept by the generic resource service, each applied to the
balances in the transaction that stores it (its id is the ``reference`` of the balance
transactions it writes). Roles: csr, billing_operator, finance and admin write; analyst reads.
Every row belongs to a province; a key of another province sees a 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from openbss.account.public import get_billing_account
from openbss.charging import repository as repo
from openbss.charging import vouchers
from openbss.charging.balances import MAIN_BUCKET, owners_of
from openbss.charging.buckets import adjust, create_bucket, top_up
from openbss.charging.calculations import Owner, Unit
from openbss.charging.grants import release, reserve
from openbss.charging.models import (
    AdjustBalanceAction,
    BalanceActionColumns,
    BalanceBucket,
    ReserveBalanceAction,
    TopupBalanceAction,
)
from openbss.charging.quantities import (
    USAGE_TYPE_OF,
    parse_quantity,
    render_quantity,
    unit_of_usage_type,
)
from openbss.inventory.public import get_product
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, NotFound, Unprocessable
from openbss.kit.money import LI_PER_FEN
from openbss.kit.pagination import Page, PageRequest
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import JSON, format_datetime, matches, parse_datetime
from openbss.payments.public import (
    PaymentMethod,
    post_prepaid,
    prepaid_adjustment_lines,
    prepaid_top_up_lines,
)
from openbss.resources.service import ResourceService

API = "prepayBalanceManagement"
API_PATH = "/tmf-api/prepayBalanceManagement/v4"
WRITE_ROLES = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN})
READ_ROLES = WRITE_ROLES | {Role.ANALYST}
DEFAULT_RESERVATION = timedelta(hours=1)

A = TypeVar("A", bound=BalanceActionColumns)


def _href(path: str, resource_id: str, base_url: str | None) -> str:
    base = (base_url or get_settings().public_url).rstrip("/")
    return f"{base}{API_PATH}/{path}/{resource_id}"


# ----- references in bodies -----------------------------------------------------------------


def _ref_id(value: Any, attribute: str) -> str | None:
    """The id of a reference given as an object, or as a one-element list of objects."""
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return None
        if len(value) > 1:
            raise BadRequest(f"{attribute}: one reference, not {len(value)}")
        value = value[0]
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
        raise BadRequest(f"{attribute} must be a reference with an id")
    return str(value["id"])


def owner_in_body(session: Session, principal: Principal, body: Mapping[str, Any]) -> Owner | None:
    """The owner a body names: ``product`` (a product), else ``partyAccount`` (a billing
    account, shared by its products); 422 when it does not exist in the caller's province."""
    product_id = _ref_id(body.get("product"), "product")
    if product_id is not None:
        product = get_product(session, product_id)
        if product is None or not principal.can_see(product.province):
            raise Unprocessable(f"product {product_id!r} does not exist", code="UNKNOWN_REFERENCE")
        return Owner("product", product_id)
    account_id = _ref_id(body.get("partyAccount"), "partyAccount")
    if account_id is not None:
        account = get_billing_account(session, account_id)
        if account is None or not principal.can_see(account.province):
            raise Unprocessable(
                f"billing account {account_id!r} does not exist", code="UNKNOWN_REFERENCE"
            )
        return Owner("account", account_id)
    return None


def _bucket_in_body(
    session: Session, principal: Principal, body: Mapping[str, Any]
) -> BalanceBucket | None:
    bucket_id = _ref_id(body.get("bucket"), "bucket")
    if bucket_id is None:
        return None
    bucket = session.get(BalanceBucket, bucket_id)
    if bucket is None or not principal.can_see(bucket.province):
        raise Unprocessable(f"bucket {bucket_id!r} does not exist", code="UNKNOWN_REFERENCE")
    return bucket


def _period_end(body: Mapping[str, Any], attribute: str = "validFor") -> datetime | None:
    period = body.get(attribute)
    if period is None:
        return None
    if not isinstance(period, dict):
        raise BadRequest(f"{attribute} must be a TimePeriod")
    end = period.get("endDateTime")
    return parse_datetime(end, f"{attribute}.endDateTime") if end is not None else None


def _period_start(body: Mapping[str, Any], attribute: str = "validFor") -> datetime | None:
    period = body.get(attribute)
    if isinstance(period, dict) and period.get("startDateTime") is not None:
        return parse_datetime(period["startDateTime"], f"{attribute}.startDateTime")
    return None


# ----- buckets -------------------------------------------------------------------------------


def render_bucket(bucket: BalanceBucket, base_url: str | None = None) -> JSON:
    unit = Unit(bucket.unit)
    valid_for: JSON = {"startDateTime": format_datetime(bucket.valid_from)}
    if bucket.valid_to is not None:
        valid_for["endDateTime"] = format_datetime(bucket.valid_to)
    body: JSON = {
        "id": bucket.id,
        "href": _href("bucket", bucket.id, base_url),
        "name": bucket.name or f"{USAGE_TYPE_OF[unit]} bucket",
        "usageType": USAGE_TYPE_OF[unit],
        "status": bucket.status,
        "isShared": bucket.owner_kind == "account",
        "remainingValue": render_quantity(bucket.remaining, unit),
        "reservedValue": render_quantity(bucket.reserved, unit),
        "validFor": valid_for,
        "confirmationDate": format_datetime(bucket.created_at),
        "priority": bucket.priority,
        "@type": "Bucket",
    }
    remaining = body["remainingValue"]
    body["remainingValueName"] = f"{remaining['amount']} {remaining['units']}"
    if bucket.owner_kind == "product":
        body["product"] = [{"id": bucket.owner_id, "@referredType": "Product"}]
    elif bucket.owner_kind == "account":
        body["partyAccount"] = {"id": bucket.owner_id, "@referredType": "BillingAccount"}
    return body


def get_bucket(session: Session, principal: Principal, bucket_id: str) -> BalanceBucket:
    principal.require(*READ_ROLES)
    bucket = session.get(BalanceBucket, bucket_id)
    if bucket is None or not principal.can_see(bucket.province):
        raise NotFound(f"Bucket {bucket_id!r} not found")
    return bucket


_BUCKET_COLUMNS = {"id", "status", "usageType", "product.id", "partyAccount.id"}


def list_buckets(
    session: Session,
    principal: Principal,
    filters: Mapping[str, list[str]],
    page: PageRequest,
    base_url: str | None = None,
) -> Page[JSON]:
    principal.require(*READ_ROLES)

    def values(name: str) -> list[str]:
        return [v for raw in filters.get(name, []) for v in raw.split(",") if v]

    usage = values("usageType")
    units = [str(unit_of_usage_type(v)) for v in usage]
    owners = [("product", v) for v in values("product.id")] + [
        ("account", v) for v in values("partyAccount.id")
    ]
    rows = repo.visible_buckets(
        session,
        principal.province,
        ids=values("id"),
        statuses=values("status"),
        units=units,
        owners=owners,
    )
    rest = {k: v for k, v in filters.items() if k not in _BUCKET_COLUMNS}
    rendered = [render_bucket(row, base_url) for row in rows]
    if rest:
        rendered = [doc for doc in rendered if matches(doc, rest)]
    window = rendered[page.offset : page.offset + page.limit]
    return Page(items=window, total=len(rendered), offset=page.offset)


def create_bucket_from(
    session: Session, principal: Principal, body: Mapping[str, Any]
) -> BalanceBucket:
    """POST /bucket: a new bucket of a product or billing account. Without either it is an
    unassigned bucket of the caller's province (nothing draws on it)."""
    principal.require(*WRITE_ROLES)
    if "id" in body:
        raise BadRequest("'id' is assigned by the server and cannot be supplied on create")
    unit = unit_of_usage_type(body.get("usageType"))
    owner = owner_in_body(session, principal, body)
    amount = (
        parse_quantity(body["remainingValue"], unit, "remainingValue")
        if body.get("remainingValue") is not None
        else 0
    )
    priority = body.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        raise BadRequest("priority must be an integer from 0 to 10000")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 128):
        raise BadRequest("name must be a string of at most 128 characters")
    at = now()
    made = create_bucket(
        session,
        owner=owner,
        unit=unit,
        amount=amount,
        at=at,
        province=principal.acting_province("a bucket") if owner is None else None,
        valid_from=_period_start(body),
        valid_to=_period_end(body),
        priority=priority,
        name=name,
        reason=f"bucket created by {principal.key_id}",
    )
    bucket = session.get(BalanceBucket, made.bucket_id)
    assert bucket is not None
    if owner is not None and not principal.can_see(bucket.province):
        raise Unprocessable("the owner belongs to another province", code="UNKNOWN_REFERENCE")
    return bucket


def _whole_fen(amount: int, unit: Unit) -> None:
    """Money moved by hand reaches the books, which are kept in fen."""
    if unit is Unit.LI and amount % LI_PER_FEN:
        raise BadRequest(
            "a top-up or adjustment of money is a whole number of fen (0.01 CNY)",
            code="INVALID_AMOUNT",
        )


def _method(doc: Mapping[str, Any]) -> str:
    """The payment method a top-up names (``paymentMethod.name`` or ``@type``), else cash."""
    ref = doc.get("paymentMethod")
    if isinstance(ref, dict):
        for value in (ref.get("name"), ref.get("@type")):
            if isinstance(value, str) and value in {m.value for m in PaymentMethod}:
                return value
    return PaymentMethod.CASH.value


# ----- balance actions -----------------------------------------------------------------------


class BalanceActionService(ResourceService[A]):
    """Create applies the action; the stored document says what was done."""

    api: ClassVar[str] = API
    api_path: ClassVar[str] = API_PATH
    read_roles: ClassVar[frozenset[Role]] = READ_ROLES
    write_roles: ClassVar[frozenset[Role]] = WRITE_ROLES
    state_attribute: ClassVar[str | None] = "status"
    server_attributes: ClassVar[frozenset[str]] = frozenset({"status", "confirmationDate"})
    filters_match_rendered: ClassVar[bool] = True

    def defaults(self, doc: JSON) -> JSON:
        doc["status"] = "created"
        doc["requestedDate"] = format_datetime(now())
        doc.pop("confirmationDate", None)
        return doc

    def apply_columns(self, row: A, doc: JSON) -> None:
        row.status = doc.get("status")
        row.usage_type = doc.get("usageType")
        bucket = doc.get("bucket")
        row.bucket_id = bucket.get("id") if isinstance(bucket, dict) else None

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: A | None
    ) -> JSON:
        if existing is None:
            self.plan(session, principal, doc)
        return doc

    def plan(self, session: Session, principal: Principal, doc: JSON) -> None:
        """Check the request and fill in what it implies (bucket, usageType)."""
        raise NotImplementedError

    def perform(self, session: Session, principal: Principal, row: A) -> str:
        """Apply the action; return its final status."""
        raise NotImplementedError

    def create(self, session: Session, principal: Principal, body: Mapping[str, Any]) -> A:
        row = super().create(session, principal, body)
        status = self.perform(session, principal, row)
        doc = dict(row.doc)
        doc["status"] = status
        doc["confirmationDate"] = format_datetime(now())
        row.doc = doc
        self.apply_columns(row, doc)
        session.flush()
        self.emit(session, "StateChangeEvent", row)
        return row

    # shared parsing

    def target(
        self, session: Session, principal: Principal, doc: JSON, *, money_default: bool
    ) -> tuple[BalanceBucket | None, Owner | None, Unit]:
        """The bucket the body names, or else its owner's main money bucket."""
        bucket = _bucket_in_body(session, principal, doc)
        if bucket is not None:
            unit = Unit(bucket.unit)
            if doc.get("usageType") is not None and unit_of_usage_type(doc["usageType"]) != unit:
                raise Unprocessable(
                    f"bucket {bucket.id} holds {USAGE_TYPE_OF[unit]}, not {doc['usageType']}",
                    code="USAGE_TYPE_MISMATCH",
                )
            doc["usageType"] = USAGE_TYPE_OF[unit]
            doc["bucket"] = (
                {**doc["bucket"], "id": bucket.id}
                if isinstance(doc["bucket"], dict)
                else {"id": bucket.id}
            )
            return bucket, None, unit
        owner = owner_in_body(session, principal, doc)
        if owner is None:
            raise BadRequest("name the bucket (or the product or partyAccount) to act on")
        unit = unit_of_usage_type(doc.get("usageType", "monetary" if money_default else None))
        doc["usageType"] = USAGE_TYPE_OF[unit]
        return None, owner, unit


_REDEEMED: ContextVar[bool] = ContextVar("openbss_topup_redeemed", default=False)


class TopupBalanceService(BalanceActionService[TopupBalanceAction]):
    """A top-up of a bucket (or of a product's or account's main money bucket), or by a
    voucher: ``voucher`` carries the card's PIN, ``product`` the prepaid line; the stored
    document then names the card by its serial (a PIN is never stored, logged or audited)."""

    model = TopupBalanceAction
    path = "topupBalance"
    resource_type = "TopupBalance"

    def plan(self, session: Session, principal: Principal, doc: JSON) -> None:
        if doc.get("voucher") is not None:
            if not _REDEEMED.get():
                raise BadRequest("a voucher top-up is redeemed first")
            return
        bucket, _owner, unit = self.target(session, principal, doc, money_default=True)
        if bucket is None and unit is not Unit.LI:
            raise BadRequest("a top-up of minutes, messages or data names its bucket")
        amount = parse_quantity(doc.get("amount"), unit, "amount")
        if amount <= 0:
            raise BadRequest("amount must be positive", code="INVALID_AMOUNT")
        _whole_fen(amount, unit)

    def perform(self, session: Session, principal: Principal, row: TopupBalanceAction) -> str:
        doc = row.doc
        if doc.get("voucher") is not None:
            return "completed"  # redeemed before the row was stored
        bucket, owner, unit = self.target(session, principal, dict(doc), money_default=True)
        amount = parse_quantity(doc.get("amount"), unit, "amount")
        reason = str(doc.get("reason") or "TMF654 topupBalance")[:200]
        at = now()
        if bucket is not None:
            done = adjust(
                session, bucket_id=bucket.id, amount=amount, at=at, reason=reason,
                reference=row.id, kind="topUp",
            )  # fmt: skip
        else:
            assert owner is not None
            done = top_up(
                session, owner=owner, amount_li=amount, at=at, reason=reason,
                reference=row.id,
            )  # fmt: skip
            row.doc = {**doc, "bucket": {"id": done.bucket_id, "name": MAIN_BUCKET}}
        if unit is Unit.LI:
            # Money paid onto a balance: cash or bank against prepaid balances.
            credited = session.get(BalanceBucket, done.bucket_id)
            assert credited is not None
            post_prepaid(
                session, province=credited.province, entry_id=f"prepaid-topup:{row.id}",
                entry_kind="prepaidTopUp", at=at,
                lines=prepaid_top_up_lines(amount // LI_PER_FEN, _method(doc)),
            )  # fmt: skip
        return "completed"

    def voucher_number(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> str:
        """The service number of the prepaid line a voucher top-up names."""
        owner = owner_in_body(session, principal, body)
        if owner is None:
            bucket = _bucket_in_body(session, principal, body)
            if bucket is not None and bucket.owner_kind == "product":
                owner = Owner("product", bucket.owner_id)
        if owner is None or owner.kind != "product":
            raise BadRequest("a voucher top-up names the prepaid line's product")
        product = get_product(session, owner.id)
        if product is None or not product.service_id:
            raise Unprocessable(f"product {owner.id!r} has no service number", code="NOT_PREPAID")
        return product.service_id

    def create_with_voucher(
        self,
        session: Session,
        principal: Principal,
        body: Mapping[str, Any],
        *,
        source: str | None = None,
    ) -> TopupBalanceAction:
        """Redeem the voucher, then store the top-up naming the card by its serial."""
        principal.require(*self.write_roles)
        pin = body.get("voucher")
        if not isinstance(pin, str):
            raise BadRequest("voucher must be the card's PIN as a string", code="INVALID_PIN")
        number = self.voucher_number(session, principal, body)
        redemption = vouchers.redeem(session, number=number, pin=pin, at=now(), source=source)
        topped = redemption.topped_up
        clean = {k: v for k, v in body.items() if k not in ("voucher", "amount", "bucket")}
        clean.update(
            voucher=redemption.serial,
            usageType="monetary",
            amount=render_quantity(topped.amount_li, Unit.LI),
            bucket={"id": topped.bucket_id, "name": MAIN_BUCKET},
            product=[{"id": topped.product_id}],
        )
        token = _REDEEMED.set(True)
        try:
            row = ResourceService.create(self, session, principal, clean)
        finally:
            _REDEEMED.reset(token)
        row.doc = {**row.doc, "status": "completed", "confirmationDate": format_datetime(now())}
        self.apply_columns(row, row.doc)
        session.flush()
        self.emit(session, "StateChangeEvent", row)
        return row


class AdjustBalanceService(BalanceActionService[AdjustBalanceAction]):
    model = AdjustBalanceAction
    path = "adjustBalance"
    resource_type = "AdjustBalance"

    def _bucket(
        self, session: Session, principal: Principal, doc: JSON
    ) -> tuple[BalanceBucket, int]:
        bucket = _bucket_in_body(session, principal, doc)
        if bucket is None:
            raise BadRequest("an adjustment names its bucket")
        bucket, _, unit = self.target(session, principal, doc, money_default=True)
        assert bucket is not None
        amount = parse_quantity(doc.get("amount"), unit, "amount", signed=True)
        if amount == 0:
            raise BadRequest("an adjustment of zero changes nothing", code="INVALID_AMOUNT")
        _whole_fen(amount, unit)
        return bucket, amount

    def plan(self, session: Session, principal: Principal, doc: JSON) -> None:
        self._bucket(session, principal, doc)
        product_id = _ref_id(doc.get("product"), "product")
        if product_id is not None:
            owner_in_body(session, principal, {"product": doc["product"]})

    def perform(self, session: Session, principal: Principal, row: AdjustBalanceAction) -> str:
        bucket, amount = self._bucket(session, principal, dict(row.doc))
        reason = str(row.doc.get("reason") or "TMF654 adjustBalance")[:200]
        at = now()
        adjust(session, bucket_id=bucket.id, amount=amount, at=at, reason=reason, reference=row.id)
        if bucket.unit == Unit.LI.value:
            post_prepaid(
                session, province=bucket.province, entry_id=f"prepaid-adjust:{row.id}",
                entry_kind="prepaidAdjust", at=at,
                lines=prepaid_adjustment_lines(amount // LI_PER_FEN),
            )  # fmt: skip
        return "completed"


class ReserveBalanceService(BalanceActionService[ReserveBalanceAction]):
    model = ReserveBalanceAction
    path = "reserveBalance"
    resource_type = "ReserveBalance"

    def _request(
        self, session: Session, principal: Principal, doc: JSON
    ) -> tuple[tuple[Owner, ...], Unit, int, datetime]:
        bucket, owner, unit = self.target(session, principal, doc, money_default=True)
        if bucket is not None:
            if bucket.owner_kind == "product":
                owners = owners_of(session, bucket.owner_id)
            elif bucket.owner_kind == "account":
                owners = (Owner("account", bucket.owner_id),)
            else:
                owners = ()
        else:
            assert owner is not None
            owners = owners_of(session, owner.id) if owner.kind == "product" else (owner,)
        amount = parse_quantity(doc.get("amount"), unit, "amount")
        if amount <= 0:
            raise BadRequest("amount must be positive", code="INVALID_AMOUNT")
        at = now()
        expires = _period_end(doc) or at + DEFAULT_RESERVATION
        if expires <= at:
            raise BadRequest("validFor.endDateTime must be in the future")
        return owners, unit, amount, expires

    def plan(self, session: Session, principal: Principal, doc: JSON) -> None:
        self._request(session, principal, doc)
        doc.setdefault("relatedParty", [])

    def perform(self, session: Session, principal: Principal, row: ReserveBalanceAction) -> str:
        owners, unit, amount, expires = self._request(session, principal, dict(row.doc))
        granted = reserve(
            session,
            reservation_id=row.id,
            owners=owners,
            unit=unit,
            amount=amount,
            at=now(),
            expires_at=expires,
        )
        row.doc = {**row.doc, "reservedValue": render_quantity(granted, unit)}
        return "completed" if granted > 0 else "failed"

    def before_delete(
        self, session: Session, principal: Principal, row: ReserveBalanceAction
    ) -> None:
        """Deleting a reservation gives back what it still holds."""
        if repo.get_reservation(session, row.id) is not None:
            release(session, reservation_id=row.id, at=now())


topup_balances = TopupBalanceService()
adjust_balances = AdjustBalanceService()
reserve_balances = ReserveBalanceService()


def line_buckets(session: Session, product_id: str) -> list[JSON]:
    """The buckets of a product and of its billing account, rendered as TMF654 does."""
    owners = owners_of(session, product_id)
    return [render_bucket(b) for b in repo.buckets_of(session, owners)]


# ----- read-only views: accumulated balances and the balance action history -----------------

_OWNER_KINDS = {"product": "product", "account": "partyAccount"}
HISTORY_KINDS = ("topUp", "adjust", "transfer")


def _owner_ref(kind: str, owner_id: str) -> JSON:
    if kind == "product":
        return {"product": [{"id": owner_id, "@referredType": "Product"}]}
    return {"partyAccount": {"id": owner_id, "@referredType": "BillingAccount"}}


def list_accumulated(
    session: Session,
    principal: Principal,
    filters: Mapping[str, list[str]],
    page: PageRequest,
    base_url: str | None = None,
) -> Page[JSON]:
    """What each owner can still spend of each unit (its usable buckets less reservations)."""
    principal.require(*READ_ROLES)
    owners = [("product", v) for raw in filters.get("product.id", []) for v in raw.split(",")]
    owners += [("account", v) for raw in filters.get("partyAccount.id", []) for v in raw.split(",")]
    rows = repo.owner_totals(session, principal.province, owners, now())
    rendered: list[JSON] = []
    for kind, owner_id, unit, total, bucket_ids in rows:
        accumulated_id = f"{kind}~{owner_id}~{USAGE_TYPE_OF[Unit(unit)]}"
        rendered.append(
            {
                "id": accumulated_id,
                "href": _href("accumulatedBalance", accumulated_id, base_url),
                "name": f"{USAGE_TYPE_OF[Unit(unit)]} balance of {_OWNER_KINDS[kind]} {owner_id}",
                "totalBalance": render_quantity(total, unit),
                "bucket": [{"id": b, "href": _href("bucket", b, base_url)} for b in bucket_ids],
                **_owner_ref(kind, owner_id),
                "@type": "AccumulatedBalance",
            }
        )
    rest = {k: v for k, v in filters.items() if k not in ("product.id", "partyAccount.id")}
    if rest:
        rendered = [doc for doc in rendered if matches(doc, rest)]
    return Page(items=rendered[page.offset : page.offset + page.limit], total=len(rendered),
                offset=page.offset)  # fmt: skip


def get_accumulated(
    session: Session, principal: Principal, accumulated_id: str, base_url: str | None = None
) -> JSON:
    parts = accumulated_id.split("~")
    if len(parts) == 3 and parts[0] in _OWNER_KINDS:
        kind, owner_id, _usage = parts
        name = "product.id" if kind == "product" else "partyAccount.id"
        page = list_accumulated(session, principal, {name: [owner_id]}, PageRequest(0, 1000),
                                base_url)  # fmt: skip
        for item in page.items:
            if item["id"] == accumulated_id:
                return item
    raise NotFound(f"AccumulatedBalance {accumulated_id!r} not found")


def _render_action(row: Any, base_url: str | None) -> JSON:
    unit = Unit(row.unit)
    body: JSON = {
        "id": str(row.id),
        "href": _href("balanceActionHistory", str(row.id), base_url),
        "status": "completed",
        "confirmationDate": format_datetime(row.at),
        "description": {"topUp": "TopupBalance", "adjust": "AdjustBalance"}.get(row.kind, row.kind),
        "usageType": USAGE_TYPE_OF[unit],
        "amount": render_quantity(row.amount, unit),
        "bucket": {"id": row.bucket_id, "href": _href("bucket", row.bucket_id, base_url)},
        "@type": "BalanceActionHistory",
    }
    if row.reason:
        body["reason"] = row.reason
    if row.owner_kind in _OWNER_KINDS:
        body.update(_owner_ref(row.owner_kind, row.owner_id))
    return body


def list_history(
    session: Session,
    principal: Principal,
    filters: Mapping[str, list[str]],
    page: PageRequest,
    base_url: str | None = None,
) -> Page[JSON]:
    """Top-ups and adjustments of the caller's province, oldest first (the log is immutable)."""
    principal.require(*READ_ROLES)
    rendered = [_render_action(r, base_url) for r in repo.action_history(
        session, principal.province, HISTORY_KINDS)]  # fmt: skip
    if filters:
        rendered = [doc for doc in rendered if matches(doc, filters)]
    return Page(items=rendered[page.offset : page.offset + page.limit], total=len(rendered),
                offset=page.offset)  # fmt: skip


def get_history(
    session: Session, principal: Principal, action_id: str, base_url: str | None = None
) -> JSON:
    principal.require(*READ_ROLES)
    if action_id.isdigit() and len(action_id) < 18:
        rows = repo.action_history(session, principal.province, HISTORY_KINDS, int(action_id))
        if rows:
            return _render_action(rows[0], base_url)
    raise NotFound(f"BalanceActionHistory {action_id!r} not found")
