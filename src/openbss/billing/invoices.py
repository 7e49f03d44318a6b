"""Invoices of real bills: a stored bill read into an :class:`InvoiceDocument`, and the PDFs
of a whole bill run written under ``<data dir>/invoices/<province>/<period>/<billNo>.pdf``.

Nothing is computed again: every amount comes from the bill and its items as the run wrote
them (line texts from :mod:`openbss.billing.texts`, tax per line and per category and rate),
names and the billing address from the account, customer and party faces, and the itemised
detail (详单) from rating's rated usage of the bill's period.

**The detail and rerating.** A bill run records the rating run it billed
(``BillRun.rating_run_id``). Rating keeps only a period's current run: a rerun sweeps the
files of the run it supersedes, so the recorded run's records cannot be read back once the
period was re-rated after billing. The invoice then prints the current rating's detail and
says so above it — the bill's amounts stand as billed, and the difference reaches the
account's next bill as a rerating adjustment — rather than print a detail that no longer
exists or silently disagree with its own lines.

**Masked numbers.** An account asks for a masked detail through its bill format
(TMF666 ``billStructure.format``): the extension attribute ``maskCalledNumbers`` on the
format the account refers to, or on the format value the account carries. Default unmasked.

A run's PDFs are rendered in a pool of ``spawn``-started processes (a process forked after
Typst rendered hangs); each file is written atomically (a temporary file renamed over it),
and a file already holding the same bytes is kept as it is, so rendering a run again changes
nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openbss.account import public as accounts
from openbss.billing import repository as repo
from openbss.billing.cycles import cycle_of
from openbss.billing.invoice import (
    ChildAccountSection,
    InvoiceDocument,
    InvoiceLine,
    InvoiceTotals,
    Language,
    TaxTotal,
    UsageDetailRow,
    render_invoice_pdf,
)
from openbss.billing.lines import REDUCING_TYPES
from openbss.billing.models import BillItem, BillRun, BillState, CustomerBill, RunStatus
from openbss.billing.texts import line_text
from openbss.customer import public as customers
from openbss.inventory import public as inventory
from openbss.kit.errors import BadRequest, Conflict, NotFound
from openbss.kit.money import RoundingRule, li_to_fen
from openbss.kit.names import inside, province_code, safe_id
from openbss.kit.settings import get_settings
from openbss.party import public as parties
from openbss.rating import public as rating

Progress = Callable[[int, int], None]

# VAT reached telecoms on 2014-06-01: a bill of a cycle before it carries business tax inside
# its prices, which the invoice states instead of itemising.
VAT_FROM = date(2014, 6, 1)
RERATED_NOTE = (
    "本期话单在出账后重新批价：详单按最新批价列出，差额计入下期账单",
    "Usage was re-rated after this bill was issued: the detail shows the new rating, and the "
    "difference is adjusted on the next bill",
)
NOT_RATED_NOTE = (
    "本期批价记录已不可用，详单从略",
    "The rating of this period is no longer available: no itemised detail",
)
ENGLISH = "en"
# (service, zone) → what a detail row says; a zone not listed prints the service's words.
USAGE_TEXTS: Mapping[tuple[str, str | None], tuple[str, str]] = {
    ("voice", "local"): ("本地通话", "Local call"),
    ("voice", "intraProvince"): ("省内长途", "Intra-province call"),
    ("voice", "interProvince"): ("国内长途", "Domestic long-distance call"),
    ("voice", "international"): ("国际长途", "International call"),
    ("voice", "hkMoTw"): ("港澳台长途", "Hong Kong, Macao, Taiwan call"),
    ("voice", "special"): ("特服通话", "Special number call"),
    ("voice", None): ("通话", "Call"),
    ("sms", None): ("短信", "Text message"),
    ("data", None): ("上网流量", "Data"),
}
DETAIL_COLUMNS = (
    "billing_account_id",
    "charging_party",
    "calling",
    "called",
    "event_time",
    "service",
    "zone",
    "duration_s",
    "volume_up",
    "volume_down",
    "amount_li",
)


def invoice_path(data_dir: Path, province: str, period: str, bill_no: str) -> Path:
    """Where a bill's PDF is kept: ``<data dir>/invoices/<province>/<period>/<billNo>.pdf``."""
    return inside(
        data_dir,
        "invoices",
        province_code(province),
        safe_id(period, "period"),
        f"{safe_id(bill_no, 'a bill number')}.pdf",
    )


def _bill(session: Session, bill_key: str) -> CustomerBill:
    bill = repo.bill_by_id_or_number(session, bill_key)
    if bill is None:
        raise NotFound(f"bill {bill_key!r} not found")
    return bill


def _tax_rate(rate_bp: int) -> str | None:
    if rate_bp == 0:
        return None
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def _service_numbers(session: Session, items: Iterable[BillItem]) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for product_id in {item.product_id for item in items if item.product_id}:
        product = inventory.get_product(session, product_id)
        if product is not None and product.service_id:
            numbers[product_id] = product.service_id
    return numbers


def _line(item: BillItem, numbers: Mapping[str, str]) -> InvoiceLine:
    text = line_text(item.description_key)
    return InvoiceLine(
        charge_type=item.charge_type,
        description_zh=text.zh,
        description_en=text.en,
        service_number=numbers.get(item.product_id or ""),
        amount_fen=item.amount_fen,
        tax_fen=item.tax_fen,
        tax_category=item.tax_category,
        tax_rate=_tax_rate(item.tax_rate_bp),
    )


def _totals(bill: CustomerBill, items: Sequence[BillItem], business_tax: bool) -> InvoiceTotals:
    reducing = [i for i in items if i.charge_type in REDUCING_TYPES or i.amount_fen < 0]
    discounts = sum(i.amount_fen for i in reducing)
    charges = sum(i.amount_fen for i in items) - discounts
    if charges + discounts != bill.amount_fen:
        raise Conflict(
            f"bill {bill.bill_no}: its lines sum to {charges + discounts} fen, the bill to "
            f"{bill.amount_fen}",
            code="BILL_INCONSISTENT",
        )
    taxes: dict[tuple[str, int], int] = {}
    for item in items:
        if item.tax_rate_bp:
            key = (item.tax_category, item.tax_rate_bp)
            taxes[key] = taxes.get(key, 0) + item.tax_fen
    return InvoiceTotals(
        charges_fen=charges,
        discounts_fen=discounts,
        taxes=tuple(
            TaxTotal(category=category, rate=_tax_rate(rate_bp), tax_fen=tax)
            for (category, rate_bp), tax in sorted(taxes.items())
        ),
        business_tax_included=business_tax,
    )


@dataclass(frozen=True, slots=True)
class _Names:
    customer: str
    address: tuple[str, ...]


def _postal_lines(media: Any) -> tuple[str, ...]:
    """The first postal address among TMF contact media, as printable lines."""
    for medium in media if isinstance(media, list) else []:
        if not isinstance(medium, dict) or medium.get("mediumType") != "postalAddress":
            continue
        found = medium.get("characteristic") or {}
        place = " ".join(str(found[key]) for key in ("stateOrProvince", "city") if found.get(key))
        lines = [str(found[key]) for key in ("street1", "street2") if found.get(key)]
        tail = " ".join(part for part in (place, str(found.get("postCode") or "")) if part)
        return tuple(line for line in (*lines, tail) if line)
    return ()


def _names(session: Session, account: accounts.BillingAccount) -> _Names:
    """The customer's name and the billing address: the account's own contact first, then
    the customer's and the owning party's contact media."""
    party = parties.get_party(session, account.owner_party_id or "")
    customer = (
        customers.customer_of_party(session, party.id, account.province)
        if party is not None
        else None
    )
    name = (customer.name if customer is not None else None) or (
        parties.party_name(party) if party is not None else ""
    )
    sources: list[Any] = [c.get("contactMedium") for c in account.doc.get("contact") or []]
    sources += [
        source.doc.get("contactMedium") for source in (customer, party) if source is not None
    ]
    address = next((lines for lines in map(_postal_lines, sources) if lines), ())
    return _Names(name or account.name or account.id, address)


def _masks_called_numbers(session: Session, account: accounts.BillingAccount) -> bool:
    chosen = (account.doc.get("billStructure") or {}).get("format") or {}
    if "maskCalledNumbers" in chosen:
        return chosen["maskCalledNumbers"] is True
    if account.bill_format_id is None:
        return False
    bill_format = accounts.get_bill_format(session, account.bill_format_id)
    return bill_format is not None and bill_format.doc.get("maskCalledNumbers") is True


def _usage_text(service: str | None, zone: str | None) -> tuple[str, str]:
    key = service or ""
    return USAGE_TEXTS.get((key, zone)) or USAGE_TEXTS.get((key, None)) or (key, key)


def _detail(
    session: Session, data_dir: Path, bill: CustomerBill, account_ids: Sequence[str]
) -> dict[str, tuple[UsageDetailRow, ...]]:
    """Per account, its rated usage of the bill's period (records rated with an error carry
    nothing on the bill and are left out), by number and time."""
    frame = (
        rating.rated_usage(session, data_dir, bill.province or "", bill.period)
        .filter(pl.col("error").is_null() & pl.col("billing_account_id").is_in(account_ids))
        .select(DETAIL_COLUMNS)
        .collect()
        .with_columns(pl.coalesce("charging_party", "calling").alias("service_number"))
        .sort("billing_account_id", "service_number", "event_time", "called")
    )
    found: dict[str, list[UsageDetailRow]] = {account_id: [] for account_id in account_ids}
    for row in frame.iter_rows(named=True):
        service_number = row["service_number"] or ""
        # The other party: whom the number called, or who called it.
        other = row["calling"] if row["calling"] != service_number else row["called"]
        zh, en = _usage_text(row["service"], row["zone"])
        volume = (row["volume_up"] or 0) + (row["volume_down"] or 0)
        found[row["billing_account_id"]].append(
            UsageDetailRow(
                service_number=service_number,
                started_at=row["event_time"],
                called_number=other or "",
                description_zh=zh,
                description_en=en,
                amount_fen=li_to_fen(int(row["amount_li"] or 0), RoundingRule.HALF_UP),
                duration_seconds=row["duration_s"] if row["service"] == "voice" else None,
                volume_bytes=volume if row["service"] == "data" else None,
            )
        )
    return {account_id: tuple(rows) for account_id, rows in found.items()}


def _detail_note(session: Session, bill: CustomerBill) -> tuple[str, str] | None:
    run = session.get(BillRun, bill.run_id)
    current = rating.current_run(session, bill.province or "", bill.period)
    if current is None:
        return NOT_RATED_NOTE
    if run is None or run.rating_run_id != current.id:
        return RERATED_NOTE
    return None


def invoice_document(session: Session, data_dir: Path, bill_id: str) -> InvoiceDocument:
    """The invoice of a stored bill (its id or bill number), ready to render."""
    bill = _bill(session, bill_id)
    account = accounts.get_billing_account(session, bill.billing_account_id)
    if account is None:
        raise NotFound(f"billing account {bill.billing_account_id!r} of bill {bill.bill_no}")
    items = repo.bill_items(session, bill.id)
    cycle = cycle_of(bill.period, get_settings().timezone)
    numbers = _service_numbers(session, items)
    # The bill's own account first, then each consolidated child in the order of its lines.
    sections = [bill.billing_account_id]
    sections += list(
        dict.fromkeys(i.billing_account_id for i in items if i.billing_account_id not in sections)
    )
    detail_note = _detail_note(session, bill)
    detail = (
        _detail(session, data_dir, bill, sections)
        if detail_note is not NOT_RATED_NOTE
        else {a: () for a in sections}
    )
    children = []
    for child_id in sections[1:]:
        child = accounts.get_billing_account(session, child_id)
        children.append(
            ChildAccountSection(
                account_id=child_id,
                account_name=(child.name if child is not None else None) or child_id,
                lines=tuple(_line(i, numbers) for i in items if i.billing_account_id == child_id),
                usage_detail=detail[child_id],
            )
        )
    names = _names(session, account)
    return InvoiceDocument(
        bill_number=bill.bill_no,
        bill_id=bill.id,
        province=bill.province or "",
        period=bill.period,
        period_start=cycle.first_day,
        period_end=cycle.last_day,
        issue_date=bill.bill_date,
        due_date=bill.payment_due_date,
        customer_name=names.customer,
        account_id=account.id,
        account_name=account.name or account.id,
        billing_address=names.address,
        lines=tuple(_line(i, numbers) for i in items if i.billing_account_id == account.id),
        totals=_totals(bill, items, business_tax=cycle.first_day < VAT_FROM),
        # Payments are not allocated to bills yet: nothing carried over, nothing received.
        previous_balance_fen=0,
        payments_received_fen=0,
        amount_due_fen=bill.amount_fen,
        language=Language.EN if account.bill_language == ENGLISH else Language.ZH,
        usage_detail=detail[account.id],
        mask_called_numbers=_masks_called_numbers(session, account),
        children=tuple(children),
        time_zone=cycle.time_zone.key,
        usage_detail_note=detail_note,
    )


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` atomically (a temporary file in the same folder renamed
    over it); a file already holding ``content`` is kept. Whether the file was written."""
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def render_bill_invoice(
    session: Session, data_dir: Path, bill_key: str, out: Path | None = None
) -> Path:
    """Render a bill's invoice (by id or bill number) to ``out``, by default its place under
    :func:`invoice_path`; a file already holding the same PDF is kept. Returns the path.

    A trial bill may yet be discarded and its number reused, so it is rendered only to a
    path the caller names (a preview), never into the invoice folder."""
    bill = _bill(session, bill_key)
    if out is None:
        if bill.state == BillState.TRIAL:
            raise Conflict(
                f"bill {bill.bill_no} is a trial: give --out to preview it, or finalise its run",
                code="BILL_NOT_FINAL",
            )
        out = invoice_path(data_dir, bill.province or "", bill.period, bill.bill_no)
    write_if_changed(out, render_invoice_pdf(invoice_document(session, data_dir, bill.id)))
    return out


# ----- a run's invoices, in worker processes --------------------------------------------------

_worker_factory: sessionmaker[Session] | None = None
_worker_data_dir: Path | None = None


def _start_worker(database_url: str, data_dir: str) -> None:
    global _worker_factory, _worker_data_dir
    from openbss.db.engine import make_engine, make_session_factory

    _worker_factory = make_session_factory(make_engine(database_url))
    _worker_data_dir = Path(data_dir)


def _render_in_worker(job: tuple[str, str]) -> str:
    bill_id, out = job
    assert _worker_factory is not None and _worker_data_dir is not None
    with _worker_factory() as session:
        return str(render_bill_invoice(session, _worker_data_dir, bill_id, Path(out)))


def _database_url(factory: sessionmaker[Session]) -> str:
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the session factory is not bound to an engine")
    return bind.url.render_as_string(hide_password=False)


def render_run_invoices(
    factory: sessionmaker[Session],
    data_dir: Path,
    run_id: str,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[Path]:
    """The PDF of every bill of a finalised run, under :func:`invoice_path`, in bill-number
    order. A trial's bills may yet be discarded, so they get no files."""
    if workers < 1:
        raise BadRequest(f"workers must be at least 1, not {workers}")
    with factory() as session:
        run = session.get(BillRun, run_id)
        if run is None:
            raise NotFound(f"bill run {run_id!r} not found")
        if run.status != RunStatus.FINALISED:
            raise Conflict(
                f"bill run {run_id} is {run.status}; invoices are made of a finalised run's bills",
                code="BILL_RUN_NOT_FINAL",
            )
        jobs = [
            (bill.id, str(invoice_path(data_dir, run.province, run.period, bill.bill_no)))
            for bill in repo.run_bills(session, run_id)
        ]
    if progress is not None:
        progress(0, len(jobs))
    paths: list[Path] = []
    if not jobs:
        return paths
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(_database_url(factory), str(data_dir)),
    ) as pool:
        for path in pool.map(_render_in_worker, jobs):
            paths.append(Path(path))
            if progress is not None:
                progress(len(paths), len(jobs))
    return paths
