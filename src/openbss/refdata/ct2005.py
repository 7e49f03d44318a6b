"""China Telecom's price list of 2005: every price the catalog sells and rating charges, once.

The master catalog (``catalog/ct2005.py``) publishes these prices as TMF620 bodies and rating
(``rating/ct2005.py``) builds its 2005 tariffs from them; neither writes a number of its own,
so a price is changed here or nowhere.

Sources, as docs/domain/tariffs.md records them:

- local calls, domestic long distance (DDD) with its night rate, international and
  Hong Kong / Macao / Taiwan calls, IP long distance 17909: China Telecom's published tariffs
  (中国电信市场[2001]26号, in force through 2005), local calls as the fixed-line and PHS tariff
  pages give them (regions varied, e.g. 0.20 + 0.10);
- PHS: the published PHS tariff (daily rental, local calls as fixed line, calls between local
  areas, incoming free), Chengdu's pages;
- values marked ``PLAUSIBLE_DEFAULT`` were not found published (PHS SMS) and
  ``ILLUSTRATIVE`` ones are examples of the kind of price, not a record of one (ADSL, data by
  volume, fixed-line rental and installation, the bundle).

Amounts are exact ``Decimal`` yuan, written as the price list writes them ("0.07"); usage
rates convert exactly to integer li, charges to integer fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from enum import StrEnum

from openbss.kit.money import FEN_PER_YUAN, LI_PER_YUAN

# 1 January 2005 00:00 Beijing time.
EFFECTIVE_FROM = datetime(2004, 12, 31, 16, 0, tzinfo=UTC)

# The discounted night of domestic long distance, local time: NIGHT_FROM <= t < NIGHT_TO.
NIGHT_FROM = time(0)
NIGHT_TO = time(7)

# The access code dialled before a domestic number for China Telecom's IP long distance.
IP_ACCESS_CODE = "17909"


class Source(StrEnum):
    """How sure a price is (see the module docstring)."""

    PUBLISHED = "published"
    PLAUSIBLE_DEFAULT = "plausible default"
    ILLUSTRATIVE = "illustrative"


_SECONDS = {"s": 1, "min": 60, "hour": 3600}
_BYTES = {"KB": 1024, "MB": 1024 * 1024, "GB": 1024 * 1024 * 1024}


def _exact(yuan: Decimal, per_yuan: int) -> int:
    minor = yuan * per_yuan
    if minor != minor.to_integral_value():
        raise ValueError(f"{yuan} yuan is finer than 1/{per_yuan} yuan")
    return int(minor)


@dataclass(frozen=True, slots=True)
class UsageRate:
    """``yuan`` for every started ``per`` ``unit`` ("s", "min", "hour", "message", "KB"…).

    ``per`` is the charging block: 0.07 yuan per 6 s, 0.22 yuan for the first 3 min.
    """

    yuan: Decimal
    per: int
    unit: str
    source: Source = Source.PUBLISHED

    @property
    def li(self) -> int:
        return _exact(self.yuan, LI_PER_YUAN)

    @property
    def seconds(self) -> int:
        """The block in seconds; only for a rate counted in time."""
        return self.per * _SECONDS[self.unit]

    @property
    def bytes(self) -> int:
        """The block in bytes; only for a rate counted in volume."""
        return self.per * _BYTES[self.unit]


@dataclass(frozen=True, slots=True)
class FlatCharge:
    """A charge of ``yuan`` each ``period`` ("day", "month"), or once when ``period`` is None."""

    yuan: Decimal
    period: str | None
    source: Source = Source.PUBLISHED

    @property
    def fen(self) -> int:
        return _exact(self.yuan, FEN_PER_YUAN)


def _rate(yuan: str, per: int, unit: str, source: Source = Source.PUBLISHED) -> UsageRate:
    return UsageRate(Decimal(yuan), per, unit, source)


def _charge(yuan: str, period: str | None, source: Source = Source.PUBLISHED) -> FlatCharge:
    return FlatCharge(Decimal(yuan), period, source)


# --- usage: fixed line and PHS -------------------------------------------------------------

LOCAL_FIRST_BLOCK = _rate("0.22", 3, "min")  # the first 3 minutes of a local call
LOCAL_NEXT_MINUTE = _rate("0.11", 1, "min")  # each started minute after them
DDD_DAY = _rate("0.07", 6, "s")
DDD_NIGHT = _rate("0.04", 6, "s")  # NIGHT_FROM–NIGHT_TO, as published
DDD_NIGHT_PERCENT = 60  # the published rule the night rate rounds (0.07 × 60 % ≈ 0.04)
INTERNATIONAL = _rate("0.80", 6, "s")
HK_MO_TW = _rate("0.20", 6, "s")
IP_LONG_DISTANCE = _rate("0.30", 1, "min")  # dialled with IP_ACCESS_CODE, domestic only
PHS_BETWEEN_AREAS = _rate("0.30", 1, "min")  # PHS calls to other local areas of the province
INCOMING = _rate("0.00", 1, "min")  # incoming calls are free
SMS = _rate("0.10", 1, "message", Source.PLAUSIBLE_DEFAULT)

# --- usage: data ---------------------------------------------------------------------------

ADSL_BY_TIME = _rate("0.02", 1, "min", Source.ILLUSTRATIVE)  # 1.2 yuan an hour, started minute
DATA_BY_VOLUME = _rate("1.00", 1, "MB", Source.ILLUSTRATIVE)

# --- rentals and one-time charges ----------------------------------------------------------

FIXED_RENTAL = _charge("25.00", "month", Source.ILLUSTRATIVE)
FIXED_INSTALLATION = _charge("100.00", None, Source.ILLUSTRATIVE)
PHS_RENTAL = _charge("0.18", "day")
ADSL_2M_MONTHLY = _charge("120.00", "month", Source.ILLUSTRATIVE)
ADSL_INSTALLATION = _charge("100.00", None, Source.ILLUSTRATIVE)
BUNDLE_FIXED_ADSL_MONTHLY = _charge("120.00", "month", Source.ILLUSTRATIVE)
BUNDLE_DISCOUNT_PERCENT = 10  # off the bundle's monthly fee (illustrative)
# 封顶: a PHS plan whose rental and calls are never billed above this in a month (illustrative).
PHS_MONTHLY_CAP = _charge("30.00", "month", Source.ILLUSTRATIVE)

# The whole price list, by name.
PRICE_LIST: Mapping[str, UsageRate | FlatCharge] = {
    "LOCAL_FIRST_BLOCK": LOCAL_FIRST_BLOCK,
    "LOCAL_NEXT_MINUTE": LOCAL_NEXT_MINUTE,
    "DDD_DAY": DDD_DAY,
    "DDD_NIGHT": DDD_NIGHT,
    "INTERNATIONAL": INTERNATIONAL,
    "HK_MO_TW": HK_MO_TW,
    "IP_LONG_DISTANCE": IP_LONG_DISTANCE,
    "PHS_BETWEEN_AREAS": PHS_BETWEEN_AREAS,
    "INCOMING": INCOMING,
    "SMS": SMS,
    "ADSL_BY_TIME": ADSL_BY_TIME,
    "DATA_BY_VOLUME": DATA_BY_VOLUME,
    "FIXED_RENTAL": FIXED_RENTAL,
    "FIXED_INSTALLATION": FIXED_INSTALLATION,
    "PHS_RENTAL": PHS_RENTAL,
    "ADSL_2M_MONTHLY": ADSL_2M_MONTHLY,
    "ADSL_INSTALLATION": ADSL_INSTALLATION,
    "BUNDLE_FIXED_ADSL_MONTHLY": BUNDLE_FIXED_ADSL_MONTHLY,
    "PHS_MONTHLY_CAP": PHS_MONTHLY_CAP,
}
