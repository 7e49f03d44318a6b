"""Bank collection (托收): debit files out, result files in.

**Export** asks each bank, in its layout, for what every direct-debit account owes (its
receivable balance) less what an open batch already asks of it, so exporting again the same
day asks nothing twice. The batch and its lines are recorded: the result is reconciled
against them.

**Import** reads a bank's result file, checks every line against the batch (a malformed line,
or one that is not a line of the batch, is rejected with its line number and reason; the others
are applied), applies paid and partial lines as payments with the set-based path
(:mod:`payments.bulk`) in chunks — each chunk one transaction that moves the import's
``lines_done`` mark — records refusals with the bank's reason (the account stays in arrears for
dunning), and reconciles counts and totals against the batch and the file's trailer. A file is
known by its SHA-256: the same file again changes nothing; a killed import resumes at its mark.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, Unprocessable
from openbss.kit.ids import new_id
from openbss.payments import banks, bulk, ledger
from openbss.payments.chart import GlAccount, PaymentMethod
from openbss.payments.collection_models import (
    BatchStatus,
    CollectionBatch,
    CollectionImport,
    CollectionLine,
    CollectionResult,
    ImportStatus,
    LineOutcome,
)
from openbss.payments.collections import after_payments
from openbss.payments.mandates import Mandate, direct_debit_mandates
from openbss.payments.models import JournalLine
from openbss.payments.payments import PaymentRequest

# A result file larger than this is not a bank's answer to one batch (1 M lines are ~170 MB).
MAX_RESULT_BYTES = 1 << 30
CHUNK_LINES = 50_000
QUERY_CHUNK = 5_000


class CollectionError(Unprocessable):
    code = "COLLECTION_FILE_INVALID"


# ----- export -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportedBatch:
    batch_id: str
    bank: str
    path: Path
    lines: int
    total_fen: int


def payment_reference(batch_id: str, line_no: int) -> str:
    """A collected payment's reference: one debit instruction is executed at most once."""
    return f"{batch_id}/{line_no}"


def export_batch(
    session: Session,
    *,
    province: str,
    bank: str,
    day: date,
    out_dir: Path,
    created_by: str | None = None,
) -> ExportedBatch | None:
    """Write the bank's debit file for ``day`` and record its batch; None when nothing is
    owed that is not already asked."""
    layout = banks.layout_for_bank(bank)
    names = {layout.bank.upper(), layout.bank_name}
    mandates = [
        m for m in direct_debit_mandates(session, province) if m.bank.strip().upper() in names
        or m.bank.strip() in names
    ]  # fmt: skip
    owed = _receivable_balances(session, [m.billing_account_id for m in mandates])
    asked = _asked_in_open_batches(session, province, [m.billing_account_id for m in mandates])
    lines = [
        (
            mandate,
            owed.get(mandate.billing_account_id, 0) - asked.get(mandate.billing_account_id, 0),
        )
        for mandate in sorted(mandates, key=lambda m: m.billing_account_id)
    ]
    lines = [(mandate, fen) for mandate, fen in lines if fen > 0]
    if not lines:
        return None
    sequence = 1 + int(
        session.scalar(
            select(func.coalesce(func.max(CollectionBatch.sequence), 0)).where(
                CollectionBatch.province == province,
                CollectionBatch.bank == layout.bank,
                CollectionBatch.collection_date == day,
            )
        )
        or 0
    )
    batch_id = f"{layout.bank}-{province}-{day:%Y%m%d}-{sequence:02d}"
    file_name = f"{batch_id}{layout.file_suffix}"
    total = sum(fen for _, fen in lines)
    try:
        with session.begin_nested():
            session.add(
                CollectionBatch(
                    id=batch_id,
                    province=province,
                    bank=layout.bank,
                    layout=layout.name,
                    collection_date=day,
                    sequence=sequence,
                    file_name=file_name,
                    lines=len(lines),
                    total_fen=total,
                    status=BatchStatus.OPEN,
                    created_by=created_by,
                )
            )
            session.flush()
    except IntegrityError:
        raise Conflict(f"another export of {layout.bank} for {day} is running") from None
    rows = [
        {
            "batch_id": batch_id,
            "line_no": number,
            "billing_account_id": mandate.billing_account_id,
            "bank_account_no": mandate.account_no,
            "amount_fen": fen,
        }
        for number, (mandate, fen) in enumerate(lines, start=1)
    ]
    for start in range(0, len(rows), QUERY_CHUNK):
        session.execute(insert(CollectionLine), rows[start : start + QUERY_CHUNK])
    content = render_request(layout, batch_id, day, lines)
    path = _write_atomically(out_dir / file_name, content)
    return ExportedBatch(batch_id, layout.bank, path, len(lines), total)


def render_request(
    layout: banks.BankLayout, batch_id: str, day: date, lines: Sequence[tuple[Mandate, int]]
) -> bytes:
    details = (
        {
            "batch_id": batch_id,
            "line_no": number,
            "billing_account_id": mandate.billing_account_id,
            "bank_account_no": mandate.account_no,
            "holder": mandate.holder,
            "amount_fen": fen,
            "currency": "CNY",
        }
        for number, (mandate, fen) in enumerate(lines, start=1)
    )
    frame = {
        "bank": layout.bank,
        "batch_id": batch_id,
        "date": day.strftime(layout.date_format),
        "count": len(lines),
        "total_fen": sum(fen for _, fen in lines),
        "currency": "CNY",
    }
    return banks.render_file(layout, layout.request, frame, details, frame)


def _write_atomically(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return path


def _receivable_balances(session: Session, account_ids: Sequence[str]) -> dict[str, int]:
    balances: dict[str, int] = {}
    for start in range(0, len(account_ids), QUERY_CHUNK):
        chunk = account_ids[start : start + QUERY_CHUNK]
        rows = session.execute(
            select(JournalLine.billing_account_id, func.sum(JournalLine.amount_fen))
            .where(
                JournalLine.billing_account_id.in_(chunk),
                JournalLine.gl_account == GlAccount.RECEIVABLE,
            )
            .group_by(JournalLine.billing_account_id)
        )
        balances.update({str(account): int(fen) for account, fen in rows})
    return balances


def _asked_in_open_batches(
    session: Session, province: str, account_ids: Sequence[str]
) -> dict[str, int]:
    asked: dict[str, int] = {}
    for start in range(0, len(account_ids), QUERY_CHUNK):
        chunk = account_ids[start : start + QUERY_CHUNK]
        rows = session.execute(
            select(CollectionLine.billing_account_id, func.sum(CollectionLine.amount_fen))
            .join(CollectionBatch, CollectionBatch.id == CollectionLine.batch_id)
            .where(
                CollectionBatch.province == province,
                CollectionBatch.status == BatchStatus.OPEN,
                CollectionLine.billing_account_id.in_(chunk),
            )
            .group_by(CollectionLine.billing_account_id)
        )
        asked.update({str(account): int(fen) for account, fen in rows})
    return asked


# ----- checking result lines (pure) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AskedLine:
    billing_account_id: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class CheckedLine:
    file_line: int
    outcome: LineOutcome
    batch_line: int | None = None
    billing_account_id: str | None = None
    asked_fen: int = 0
    paid_fen: int = 0
    reason_code: str | None = None
    reason: str | None = None
    bank_txn_id: str | None = None


def check_lines(
    layout: banks.BankLayout,
    batch_id: str,
    asked: Mapping[int, AskedLine],
    lines: Sequence[banks.ParsedLine],
) -> list[CheckedLine]:
    """What each result line means against the batch: paid, refused or partial, or rejected
    with the reason (never applied)."""
    seen: set[int] = set()
    checked: list[CheckedLine] = []
    for line in lines:
        result = _check(layout, batch_id, asked, line, seen)
        if result.outcome is not LineOutcome.REJECTED and result.batch_line is not None:
            seen.add(result.batch_line)
        checked.append(result)
    return checked


def _check(
    layout: banks.BankLayout,
    batch_id: str,
    asked: Mapping[int, AskedLine],
    line: banks.ParsedLine,
    seen: set[int],
) -> CheckedLine:
    def rejected(reason: str, number: int | None = None) -> CheckedLine:
        return CheckedLine(line.file_line, LineOutcome.REJECTED, number, reason=reason[:256])

    if line.error is not None:
        return rejected(line.error)
    values = line.values
    number_text, line_batch = values.get("line_no", ""), values.get("batch_id") or batch_id
    if "reference" in values:
        line_batch, _, number_text = values["reference"].rpartition("/")
    if line_batch != batch_id:
        return rejected(f"belongs to batch {line_batch!r}, not {batch_id}")
    if not number_text.isdigit():
        return rejected(f"line number {number_text!r} is not a number")
    number = int(number_text)
    request = asked.get(number)
    if request is None:
        return rejected(f"batch {batch_id} has no line {number}", number)
    if number in seen:
        return rejected(f"line {number} of the batch is answered twice", number)
    account = values.get("billing_account_id")
    if account and account != request.billing_account_id:
        return rejected(f"line {number} was asked of another account", number)
    bank_asked = values.get("amount_fen")
    if bank_asked and int(bank_asked) != request.amount_fen:
        return rejected(f"asked {request.amount_fen} fen, the bank says {bank_asked}", number)
    outcome = layout.status_codes.get(values.get("status", ""))
    if outcome is None:
        return rejected(f"unknown status code {values.get('status')!r}", number)
    paid_text = values.get("paid_fen", "")
    paid = int(paid_text) if paid_text else (request.amount_fen if outcome == "paid" else 0)
    txn = values.get("bank_txn_id") or None
    if txn is not None and len(txn) > 64:
        return rejected("bank transaction id longer than 64 characters", number)
    if outcome == "paid" and paid != request.amount_fen:
        return rejected(f"paid {paid} fen of {request.amount_fen} asked, status paid", number)
    if outcome == "partial" and not 0 < paid < request.amount_fen:
        return rejected(f"partial payment of {paid} fen of {request.amount_fen} asked", number)
    if outcome == "refused" and paid != 0:
        return rejected(f"refused but paid {paid} fen", number)
    return CheckedLine(
        line.file_line,
        LineOutcome(outcome),
        number,
        request.billing_account_id,
        request.amount_fen,
        paid,
        values.get("reason_code") or None,
        (values.get("reason_text") or None) if outcome != "paid" else None,
        txn,
    )


# ----- import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    import_id: str
    file_name: str
    batch_id: str
    bank: str
    status: str
    already_imported: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # outcome → lines
    paid_fen: int = 0  # applied: paid and partial
    refused_fen: int = 0  # asked of the refused lines
    batch_lines: int = 0
    batch_total_fen: int = 0
    file_lines: int = 0
    trailer_count: int | None = None
    trailer_paid_fen: int | None = None
    unanswered_lines: int = 0
    unanswered_fen: int = 0
    differences: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # file line, reason
    report_path: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


Progress = Callable[[int, int], None]


def import_result(
    factory: sessionmaker[Session],
    path: Path,
    *,
    province: str,
    report_dir: Path,
    bank: str | None = None,
    created_by: str | None = None,
    chunk_lines: int = CHUNK_LINES,
    max_bytes: int = MAX_RESULT_BYTES,
    progress: Progress | None = None,
) -> ImportReport:
    """Apply a bank's result file (see the module's doc); returns the reconciliation."""
    size = path.stat().st_size
    if size > max_bytes:
        raise CollectionError(f"{path.name} is {size} bytes; a result file is at most {max_bytes}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with unit_of_work(factory) as session:
        done = session.scalar(
            select(CollectionImport).where(
                CollectionImport.province == province, CollectionImport.digest == digest
            )
        )
        if done is not None and done.status == ImportStatus.DONE and done.report:
            report = ImportReport(**json.loads(done.report))
            report.already_imported = True
            return report
    layout, parsed = _parse(data, bank)
    batch_id = parsed.header.get("batch_id", "")
    with unit_of_work(factory) as session:
        batch = session.get(CollectionBatch, batch_id)
        if batch is None or batch.province != province or batch.bank != layout.bank:
            raise CollectionError(f"{path.name}: no {layout.bank} batch {batch_id!r} was exported")
        asked = {
            number: AskedLine(account, fen)
            for number, account, fen in session.execute(
                select(
                    CollectionLine.line_no,
                    CollectionLine.billing_account_id,
                    CollectionLine.amount_fen,
                ).where(CollectionLine.batch_id == batch_id)
            )
        }
    checked = check_lines(layout, batch_id, asked, parsed.lines)
    import_id, start = _claim(
        factory, province, digest, path.name, batch_id, len(checked), created_by
    )
    for lo in range(start, len(checked), chunk_lines):
        hi = min(lo + chunk_lines, len(checked))
        _apply(factory, province, import_id, batch_id, layout.bank, checked, lo, hi, created_by)
        if progress is not None:
            progress(hi, len(checked))
    return _finish(factory, province, import_id, layout, parsed, report_dir)


def _parse(data: bytes, bank: str | None) -> tuple[banks.BankLayout, banks.ParsedResult]:
    """The file read with the named bank's layout, or with the layout whose header it has."""
    candidates = (
        [banks.layout_for_bank(bank)]
        if bank
        else [banks.load_bank_layout(name) for name in banks.available_banks().values()]
    )
    problem = "no known bank layout reads it"
    for layout in candidates:
        parsed = banks.read_result(layout, data)
        if parsed.file_error is None and parsed.header.get("bank", layout.bank) == layout.bank:
            return layout, parsed
        if bank or parsed.file_error != "missing header: the first line is not a header":
            problem = parsed.file_error or f"the header names bank {parsed.header.get('bank')!r}"
    raise CollectionError(f"result file rejected: {problem}")


def _claim(
    factory: sessionmaker[Session],
    province: str,
    digest: str,
    file_name: str,
    batch_id: str,
    lines: int,
    created_by: str | None,
) -> tuple[str, int]:
    """The import of this file: claimed now, or the one a killed run left (resumed at its
    mark)."""
    with unit_of_work(factory) as session:
        existing = session.scalar(
            select(CollectionImport).where(
                CollectionImport.province == province, CollectionImport.digest == digest
            )
        )
        if existing is not None:
            return existing.id, existing.lines_done
        import_id = new_id()
        session.add(
            CollectionImport(
                id=import_id,
                province=province,
                digest=digest,
                file_name=file_name[:256],
                batch_id=batch_id,
                status=ImportStatus.APPLYING,
                lines=lines,
                lines_done=0,
                created_by=created_by,
            )
        )
    return import_id, 0


def _apply(
    factory: sessionmaker[Session],
    province: str,
    import_id: str,
    batch_id: str,
    bank: str,
    checked: Sequence[CheckedLine],
    lo: int,
    hi: int,
    created_by: str | None,
) -> None:
    chunk = checked[lo:hi]
    applied = [line for line in chunk if line.outcome in (LineOutcome.PAID, LineOutcome.PARTIAL)]
    ids = iter(bulk.new_ids(2 * len(applied)))
    stamp = now()
    rows: list[dict[str, Any]] = []
    for position, line in enumerate(chunk, start=lo):
        row: dict[str, Any] = {
            "import_id": import_id,
            "position": position,
            "file_line": line.file_line,
            "batch_line": line.batch_line,
            "billing_account_id": line.billing_account_id,
            "outcome": line.outcome.value,
            "asked_fen": line.asked_fen,
            "paid_fen": line.paid_fen,
            "reason_code": line.reason_code,
            "reason": line.reason,
            "bank_txn_id": line.bank_txn_id,
            "reference": None,
            "payment_id": None,
            "credit_item_id": None,
            "request_hash": None,
            "created_at": stamp,
        }
        if line.outcome in (LineOutcome.PAID, LineOutcome.PARTIAL):
            assert line.batch_line is not None and line.billing_account_id is not None
            row["reference"] = payment_reference(batch_id, line.batch_line)
            row["payment_id"], row["credit_item_id"] = next(ids), next(ids)
            row["request_hash"] = _fingerprint(line.billing_account_id, line.paid_fen)
        rows.append(row)
    with unit_of_work(factory) as session:
        # The mark moves only from where this run found it: of two runs of one file, the
        # second finds the chunk taken and stops, its transaction rolled back.
        moved = session.execute(
            update(CollectionImport)
            .where(CollectionImport.id == import_id, CollectionImport.lines_done == lo)
            .values(lines_done=hi)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("this result file is being imported by another run")
        bulk.apply_chunk(
            session,
            province=province,
            import_id=import_id,
            lo=lo,
            hi=hi,
            rows=rows,
            channel=bank,
            stamp=stamp,
            day=ledger.business_day(stamp),
            created_by=created_by,
        )
        # Lines suspended or barred for arrears come back as soon as the money is in.
        after_payments(
            session,
            province,
            [row["billing_account_id"] for row in rows if row["outcome"] in bulk.APPLIED],
        )


def _fingerprint(billing_account_id: str, paid_fen: int) -> str:
    return PaymentRequest(
        province="",
        billing_account_id=billing_account_id,
        amount_fen=paid_fen,
        method=PaymentMethod.BANK_COLLECTION,
        reference="",
    ).fingerprint()


def _finish(
    factory: sessionmaker[Session],
    province: str,
    import_id: str,
    layout: banks.BankLayout,
    parsed: banks.ParsedResult,
    report_dir: Path,
) -> ImportReport:
    with unit_of_work(factory) as session:
        record = session.get(CollectionImport, import_id)
        assert record is not None
        batch = session.get(CollectionBatch, record.batch_id)
        assert batch is not None
        report = _reconcile(session, record, batch, layout, parsed)
        path = _write_atomically(
            report_dir / f"{batch.id}-{import_id[:8]}.json", report.to_json().encode()
        )
        report.report_path = str(path)
        record.report = report.to_json()
        if record.status != ImportStatus.DONE:
            record.status = ImportStatus.DONE
            record.finished_at = now()
        batch.status = BatchStatus.RESULTED
        batch.resulted_at = batch.resulted_at or now()
    return report


def _reconcile(
    session: Session,
    record: CollectionImport,
    batch: CollectionBatch,
    layout: banks.BankLayout,
    parsed: banks.ParsedResult,
) -> ImportReport:
    sums = session.execute(
        select(
            CollectionResult.outcome,
            func.count(),
            func.coalesce(func.sum(CollectionResult.paid_fen), 0),
            func.coalesce(func.sum(CollectionResult.asked_fen), 0),
        )
        .where(CollectionResult.import_id == record.id)
        .group_by(CollectionResult.outcome)
    ).all()
    counts = Counter({str(outcome): int(n) for outcome, n, _, _ in sums})
    paid = {str(outcome): int(fen) for outcome, _, fen, _ in sums}
    asked = {str(outcome): int(fen) for outcome, _, _, fen in sums}
    answered = session.execute(
        select(func.count(), func.coalesce(func.sum(CollectionLine.amount_fen), 0)).where(
            CollectionLine.batch_id == batch.id,
            CollectionLine.line_no.in_(
                select(CollectionResult.batch_line).where(
                    CollectionResult.import_id == record.id,
                    CollectionResult.outcome != LineOutcome.REJECTED,
                )
            ),
        )
    ).one()
    report = ImportReport(
        import_id=record.id,
        file_name=record.file_name,
        batch_id=batch.id,
        bank=layout.bank,
        status=ImportStatus.DONE,
        counts=dict(sorted(counts.items())),
        paid_fen=paid.get(LineOutcome.PAID, 0) + paid.get(LineOutcome.PARTIAL, 0),
        refused_fen=asked.get(LineOutcome.REFUSED, 0),
        batch_lines=batch.lines,
        batch_total_fen=batch.total_fen,
        file_lines=len(parsed.lines),
        unanswered_lines=batch.lines - int(answered[0]),
        unanswered_fen=batch.total_fen - int(answered[1]),
    )
    trailer = parsed.trailer
    report.trailer_count = _int(trailer.get("count"))
    report.trailer_paid_fen = _int(trailer.get("paid_fen"))
    if report.trailer_count is not None and report.trailer_count != report.file_lines:
        report.differences.append(
            f"trailer counts {report.trailer_count} lines, the file holds {report.file_lines}"
        )
    file_paid = sum(int(line.values.get("paid_fen") or 0) for line in parsed.lines if line.values)
    if report.trailer_paid_fen is not None and report.trailer_paid_fen != file_paid:
        report.differences.append(
            f"trailer totals {report.trailer_paid_fen} fen paid, the lines {file_paid}"
        )
    trailer_asked = _int(trailer.get("total_fen"))
    if trailer_asked is not None and trailer_asked != batch.total_fen:
        report.differences.append(
            f"trailer totals {trailer_asked} fen asked, the batch asked {batch.total_fen}"
        )
    if report.unanswered_lines:
        report.differences.append(
            f"{report.unanswered_lines} line(s) of the batch ({report.unanswered_fen} fen) "
            "have no answer"
        )
    for outcome in (LineOutcome.REJECTED, LineOutcome.DUPLICATE):
        if counts.get(outcome):
            report.differences.append(f"{counts[outcome]} line(s) {outcome}, not applied")
    report.rejected = [
        {"line": line, "reason": reason}
        for line, reason in session.execute(
            select(CollectionResult.file_line, CollectionResult.reason)
            .where(
                CollectionResult.import_id == record.id,
                CollectionResult.outcome.in_([LineOutcome.REJECTED, LineOutcome.DUPLICATE]),
            )
            .order_by(CollectionResult.position)
            .limit(1_000)
        )
    ]
    return report


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def refused_lines(session: Session, billing_account_id: str) -> list[tuple[datetime, str, str]]:
    """The account's refused collections, newest first: (when, reason code, reason)."""
    rows = session.execute(
        select(CollectionResult.created_at, CollectionResult.reason_code, CollectionResult.reason)
        .where(
            CollectionResult.billing_account_id == billing_account_id,
            CollectionResult.outcome == LineOutcome.REFUSED,
        )
        .order_by(CollectionResult.created_at.desc())
    )
    return [(when, code or "", reason or "") for when, code, reason in rows]
