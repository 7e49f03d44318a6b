"""Monthly commission statements (渠道酬金结算单): one CSV per partner and a summary.

Files are written to a temporary name and renamed into place, so a reader never sees half a
statement; the same lines always give the same bytes (their SHA-256 is kept on the run).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from openbss.kit.money import fen_to_yuan
from openbss.settlement.commissions.calculations import Kind, Line, totals
from openbss.settlement.partners.public import PartnerView

KIND_NAMES = {
    Kind.ACTIVATION: "开户酬金 / Activation",
    Kind.RECHARGE: "充值酬金 / Recharge",
    Kind.REVENUE_SHARE: "收入分成 / Revenue share",
    Kind.CLAWBACK: "酬金扣回 / Clawback",
}
LINE_HEADER: list[object] = [
    "period", "province", "partner_code", "partner_name", "kind", "kind_name", "reference",
    "contract_id", "basis_fen", "amount_fen", "amount_yuan",
]  # fmt: skip
SUMMARY_HEADER: list[object] = [
    "period", "province", "partner_code", "partner_name", "activation_fen", "recharge_fen",
    "revenue_share_fen", "clawback_fen", "total_fen", "total_yuan",
]  # fmt: skip


def statement_dir(data_dir: Path, province: str, period: str) -> Path:
    return data_dir / "settlement" / "commissions" / province / period


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_statements(
    directory: Path,
    province: str,
    period: str,
    partners: Mapping[str, PartnerView],
    lines: Sequence[tuple[Line, str]],
) -> str:
    """Write every partner's statement and the summary; returns their SHA-256 digest."""
    directory.mkdir(parents=True, exist_ok=True)
    by_partner: dict[str, list[tuple[Line, str]]] = {}
    for line, contract_id in lines:
        by_partner.setdefault(line.partner_id, []).append((line, contract_id))
    digest = hashlib.sha256()
    ordered = sorted(by_partner, key=lambda p: (partners[p].code, p))
    for partner_id in ordered:
        partner = partners[partner_id]
        rows: list[list[object]] = [LINE_HEADER]
        rows += [
            [
                period,
                province,
                partner.code,
                partner.name,
                line.kind,
                KIND_NAMES[line.kind],
                line.reference,
                contract_id,
                line.basis_fen,
                line.amount_fen,
                fen_to_yuan(line.amount_fen),
            ]
            for line, contract_id in by_partner[partner_id]
        ]
        content = _csv(rows)
        _write_atomically(directory / f"{partner.code}.csv", content)
        digest.update(partner.code.encode() + b"\0" + content)
    sums = totals([line for line, _ in lines])
    summary: list[list[object]] = [SUMMARY_HEADER]
    for partner_id in ordered:
        partner, kinds = partners[partner_id], sums[partner_id]
        summary.append(
            [
                period,
                province,
                partner.code,
                partner.name,
                kinds.get(Kind.ACTIVATION, 0),
                kinds.get(Kind.RECHARGE, 0),
                kinds.get(Kind.REVENUE_SHARE, 0),
                kinds.get(Kind.CLAWBACK, 0),
                kinds["total"],
                fen_to_yuan(kinds["total"]),
            ]
        )
    content = _csv(summary)
    _write_atomically(directory / "summary.csv", content)
    # A partner with no line this time (data corrected since a killed attempt) keeps no file.
    written = {f"{partners[p].code}.csv" for p in ordered} | {"summary.csv"}
    for stale in directory.glob("*.csv"):
        if stale.name not in written:
            stale.unlink()
    digest.update(b"summary\0" + content)
    return digest.hexdigest()
