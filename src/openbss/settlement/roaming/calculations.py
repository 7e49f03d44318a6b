"""Roaming maths and names, pure: charged units, SDR conversion, TAP digit strings, file names.

Amounts: li (0.001 CNY) from the tariff, micro-SDR (10^-6 SDR) in TAP files we write (TAP
decimal places 6), fen in settlement totals. Exchange rates are CNY per SDR times 10^6. Every
conversion rounds half-up, once, here.
"""

from __future__ import annotations

MICRO = 10**6
TAP_DECIMAL_PLACES = 6
MAX_SEQUENCE = 99_999
LI_PER_YUAN = 1000
FEN_PER_YUAN = 100


def _div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


def charged_units(quantity: int, increment: int) -> int:
    """Started units: 61 s in 60 s units is 2; 0 is 0."""
    if increment <= 0:
        raise ValueError("a tariff increment must be positive")
    if quantity <= 0:
        return 0
    return -(-quantity // increment)


def li_to_sdr_micro(li: int, rate_micros: int) -> int:
    """li (CNY/1000) to micro-SDR at ``rate_micros`` CNY per SDR (x10^6)."""
    # li/1000 CNY  /  (rate/10^6 CNY per SDR)  * 10^6 micro  = li * 10^9 / rate
    return _div_half_up(li * 10**9, rate_micros)


def sdr_micro_to_fen(sdr_micro: int, rate_micros: int) -> int:
    """micro-SDR to fen at ``rate_micros`` CNY per SDR (x10^6)."""
    # sdr/10^6 * rate/10^6 CNY * 100 fen = sdr * rate / 10^10
    return _div_half_up(sdr_micro * rate_micros, 10**10)


def to_micro(charge: int, decimal_places: int) -> int:
    """A TAP charge with ``decimal_places`` (TAP allows 0..6) in micro-SDR."""
    if not 0 <= decimal_places <= TAP_DECIMAL_PLACES:
        raise ValueError(f"tapDecimalPlaces {decimal_places} outside 0..6")
    scale: int = 10 ** (TAP_DECIMAL_PLACES - decimal_places)
    return charge * scale


def next_sequence(last: int) -> int:
    """TD.57 file sequence numbers run 00001..99999, then start again at 00001."""
    return 1 if last >= MAX_SEQUENCE else last + 1


def tap_file_name(sender: str, recipient: str, sequence: int) -> str:
    """``CD`` + sender TADIG + recipient TADIG + five-digit sequence (TD.57)."""
    return f"CD{sender}{recipient}{sequence:05d}"


def rap_file_name(sender: str, recipient: str, sequence: int) -> str:
    """``RC`` + sender + recipient + five-digit RAP sequence (TD.32)."""
    return f"RC{sender}{recipient}{sequence:05d}"


def ack_file_name(sender: str, recipient: str, rap_sequence: int) -> str:
    """An acknowledgement of RAP file ``rap_sequence``: ``AK`` + sender + recipient + it."""
    return f"AK{sender}{recipient}{rap_sequence:05d}"


def tbcd(digits: str) -> bytes:
    """TAP BCD digits: two an octet, high nibble first, 0xF filler (inverse of mediation's
    ``digits``). "+" and spaces are not digits and are dropped."""
    clean = digits.lstrip("+")
    if not clean or not clean.isdigit():
        raise ValueError(f"not a digit string: {digits!r}")
    if len(clean) % 2:
        clean += "F"
    return bytes.fromhex(clean)


def imsi_network(imsi: str | None, prefixes: dict[str, str]) -> str | None:
    """The TADIG of the longest prefix of ``imsi`` in ``prefixes``, else None."""
    if not imsi:
        return None
    for length in range(min(len(imsi), 15), 0, -1):
        found = prefixes.get(imsi[:length])
        if found is not None:
            return found
    return None
