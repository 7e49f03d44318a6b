"""Which decoder reads a file: told explicitly, or recognised by its name and first bytes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openbss.kit.errors import Unprocessable

if TYPE_CHECKING:
    # The records module loads PyArrow; the command line reads FORMATS without it.
    from openbss.mediation.records import Decoded

FORMATS = ("huawei_csv", "zte_fixed", "3gpp", "tap", "radius", "kamailio")


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.startswith("radius-") and name.endswith(".jsonl"):
        return "radius"
    if "acc" in name and name.endswith(".log"):
        return "kamailio"
    if name.endswith(".csv"):
        return "huawei_csv"
    if name.endswith(".dat"):
        return "zte_fixed"
    with open(path, "rb") as handle:
        head = handle.read(4)
    size = path.stat().st_size
    # TS 32.297: a CDR file starts with its own length in four octets.
    if len(head) == 4 and int.from_bytes(head, "big") == size:
        return "3gpp"
    # TAP / RAP / notification: BER of an APPLICATION-tagged constructed value.
    if head[:1] in (b"\x61", b"\x62", b"\x7f"):
        return "tap"
    raise Unprocessable(
        f"cannot tell the format of {path.name!r}; name it (*.csv, *.dat, radius-*.jsonl, "
        "*acc*.log) or pass the format",
        code="UNKNOWN_FORMAT",
    )


def decode(path: Path, file_format: str) -> Decoded:
    """Decode with the named format's decoder (imported on use: each has its own libraries)."""
    if file_format in ("huawei_csv", "zte_fixed"):
        from openbss.mediation.decoders.switch_cdr import decode_switch_file
        from openbss.mediation.layouts import load_layout

        return decode_switch_file(path, load_layout(file_format))
    if file_format == "3gpp":
        from openbss.mediation.decoders.cdr_3gpp import decode_3gpp_file

        return decode_3gpp_file(path)
    if file_format == "tap":
        from openbss.mediation.decoders.tap3 import decode_tap_file

        return decode_tap_file(path)
    if file_format == "radius":
        from openbss.mediation.decoders.radius_acct import decode_radius_spool

        return decode_radius_spool(path)
    if file_format == "kamailio":
        from openbss.mediation.decoders.kamailio_acc import decode_kamailio_acc

        return decode_kamailio_acc(path)
    raise Unprocessable(
        f"unknown format {file_format!r}; expected one of {', '.join(FORMATS)}",
        code="UNKNOWN_FORMAT",
    )
