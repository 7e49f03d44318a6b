"""Normalisation and validation of raw usage rows, as Polars expressions (no per-record Python).

Numbers become E.164 by the Chinese numbering plan (docs/domain/numbering.md):
``00`` + country code is
international, ``0`` + area code + subscriber is national fixed, ``1[3-9]`` + 9 digits is
mobile, a bare 7–8 digit subscriber number is local to the record's area code, and an IP
long-distance access code (17909 …) dialled in front is split off into ``ip_access_code``.
Short service numbers (10000, 114, 110 …) are kept as dialled. Anything else is not a number.

Every row gets at most one reason code; the first rule that fails wins, in the order of
:data:`REASONS`. Rows without a reason go on to duplicate detection and guiding.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from openbss.mediation.records import Direction, ServiceKind

# Reason codes, in the order they are checked. RECYCLABLE ones may pass after the cause is
# fixed (a subscriber registered late); the others are final.
REASONS: dict[str, str] = {
    "DECODE_ERROR": "the record could not be decoded",
    "MISSING_TIME": "no readable event time",
    "FUTURE_TIME": "event time is in the future",
    "NEGATIVE_DURATION": "negative duration",
    "DURATION_TOO_LONG": "duration longer than the maximum",
    "NEGATIVE_VOLUME": "negative volume",
    "UNKNOWN_SERVICE": "unknown service type",
    "INVALID_NUMBER": "calling or called number is not a valid number",
    "MISSING_ACCOUNT": "a broadband session without an account name",
    "UNKNOWN_SUBSCRIBER": "no product in service for the charging party at the event time",
}
RECYCLABLE = frozenset({"UNKNOWN_SUBSCRIBER"})
IP_ACCESS_CODES = ("17909", "17900", "17901", "17908", "17911", "17951", "12593")
MAX_DURATION_S = 2 * 24 * 3600
FUTURE_TOLERANCE = timedelta(hours=1)
SERVICES = [s.value for s in ServiceKind]
VOICE_LIKE = [ServiceKind.VOICE.value, ServiceKind.SMS.value]


def _clean(numbers: pl.Series) -> pl.Series:
    # Almost every number a switch writes is digits already (or E.164 with its '+'): the
    # separators are removed only when some number of the batch has other characters.
    plain = numbers.cast(pl.UInt64, strict=False).is_not_null() | numbers.is_null()
    if plain.all():
        return numbers
    return numbers.str.replace_all(r"[\s\-()]", "")


def _digits(column: str) -> pl.Expr:
    """The number without blanks, dashes and brackets."""
    return pl.col(column).map_batches(_clean, return_dtype=pl.String, is_elementwise=True)


# The numbering plan's rules, first match wins: (pattern, needs a valid area code, what is
# put in front, how many leading characters of the number are dropped, area code in front).
_E164_RULES: list[tuple[str, bool, str, int, bool]] = [
    (r"^\+[1-9]\d{6,14}$", False, "", 0, False),  # E.164 already
    (r"^00[1-9]\d{6,14}$", False, "+", 2, False),  # 00 + country code
    (r"^86(1[3-9]\d{9})$", False, "+", 0, False),  # a mobile with the country code
    (r"^0[1-9]\d{8,10}$", False, "+86", 1, False),  # 0 + area code + subscriber
    (r"^1[3-9]\d{9}$", False, "+86", 0, False),  # a mobile
    (r"^[2-8]\d{6,7}$", True, "+86", 0, True),  # a local subscriber number
    (r"^1\d{2,5}$", False, "", 0, False),  # a service short code: 110, 114, 10000, 12315
]
_AREA_DIGITS = r"^[1-9]\d{1,3}$"


def _national_area(area_code: pl.Expr) -> pl.Expr:
    return area_code.str.strip_prefix("0")


def e164_rule(number: pl.Expr, area_ok: pl.Expr) -> pl.Expr:
    """The position in :data:`_E164_RULES` of the first rule a number matches, else null.

    With :func:`e164_from_rule`: E.164 of a dialled number, the short code itself, or null
    when it is not a number. The rule is computed once as a column and the number built by
    one concatenation, fewer string passes than an expression per rule."""
    expression: pl.Expr = pl.lit(None, dtype=pl.UInt8)
    for position, (pattern, needs_area, *_) in reversed(list(enumerate(_E164_RULES))):
        matches = number.str.contains(pattern)
        expression = (
            pl.when(matches & area_ok if needs_area else matches)
            .then(pl.lit(position, dtype=pl.UInt8))
            .otherwise(expression)
        )
    return expression


def e164_from_rule(number: pl.Expr, rule: pl.Expr, area: pl.Expr) -> pl.Expr:
    """E.164 from the number's rule (a column, so it is computed once): one concatenation of
    the rule's prefix, the area code where the rule takes it, and the rest of the number."""
    positions = list(range(len(_E164_RULES)))
    prefix = rule.replace_strict(positions, [r[2] for r in _E164_RULES], return_dtype=pl.String)
    drop = rule.replace_strict(positions, [r[3] for r in _E164_RULES], return_dtype=pl.Int64)
    local = [p for p, r in enumerate(_E164_RULES) if r[4]]
    middle = pl.when(rule.is_in(local)).then(area).otherwise(pl.lit(""))
    return pl.concat_str([prefix, middle, number.str.slice(drop)])


def fixed_area_code(number: pl.Expr) -> pl.Expr:
    """The area code ('020', '0755') of a Chinese fixed-line number in E.164, else null.

    Two-digit codes are 10 and 2X; the others have three digits. Mobile numbers carry no
    area code (their home network is known only to the HLR).
    """
    return (
        pl.when(number.str.contains(r"^\+86(10|2\d)\d{7,8}$"))
        .then(pl.lit("0") + number.str.slice(3, 2))
        .when(number.str.contains(r"^\+86[3-9]\d{2}\d{7,8}$"))
        .then(pl.lit("0") + number.str.slice(3, 3))
        .otherwise(None)
    )


def normalise(raw: pl.LazyFrame, *, default_area: str | None = None) -> pl.LazyFrame:
    """Numbers in E.164, the IP access code split off, the charging party chosen."""
    area = pl.col("area_code").fill_null(pl.lit(default_area, dtype=pl.String))
    frame = raw.with_columns(
        calling_raw=_digits("calling"),
        called_raw=_digits("called"),
    )
    called = pl.col("called_raw")
    # An IP long-distance access code in front of a national number (17909 0755…).
    ip_dialled = called.str.contains(f"^(?:{'|'.join(IP_ACCESS_CODES)})0")
    frame = frame.with_columns(_ip_dialled=ip_dialled).with_columns(
        ip_access_code=pl.when(pl.col("_ip_dialled")).then(called.str.slice(0, 5)),
        called_raw=called.str.slice(pl.when(pl.col("_ip_dialled")).then(5).otherwise(0)),
    )
    # Each number's rule first, as columns, then one concatenation per number.
    frame = frame.with_columns(_area=_national_area(area)).with_columns(
        _area_ok=pl.col("_area").str.contains(_AREA_DIGITS)
    )
    frame = frame.with_columns(
        _calling_rule=e164_rule(pl.col("calling_raw"), pl.col("_area_ok")),
        _called_rule=e164_rule(pl.col("called_raw"), pl.col("_area_ok")),
    )
    frame = frame.with_columns(
        calling_e164=e164_from_rule(
            pl.col("calling_raw"), pl.col("_calling_rule"), pl.col("_area")
        ),
        called_e164=e164_from_rule(pl.col("called_raw"), pl.col("_called_rule"), pl.col("_area")),
    ).drop("_ip_dialled", "_area", "_area_ok", "_calling_rule", "_called_rule")
    charging = (
        pl.when(pl.col("service") == ServiceKind.BROADBAND.value)
        .then(pl.col("account_name"))
        .when(pl.col("direction") == Direction.TERMINATING.value)
        .then(pl.col("called_e164"))
        .otherwise(pl.col("calling_e164"))
    )
    frame = frame.with_columns(charging_party=charging)
    if default_area is not None:  # every record has an area code, its own or the default
        return frame.with_columns(area_code=area)
    # A record without the switch's area code (pushed usage, some platforms) takes the
    # local network of its fixed-line charging party: rating derives zones from it.
    return frame.with_columns(
        area_code=pl.coalesce(area, fixed_area_code(pl.col("charging_party")))
    )


def reason_code(now: datetime) -> pl.Expr:
    """The first failed validation rule of a normalised row, or null."""
    is_voice = pl.col("service").is_in(VOICE_LIKE)
    bad_calling = pl.col("calling_raw").is_not_null() & pl.col("calling_e164").is_null()
    bad_called = pl.col("called_raw").is_not_null() & pl.col("called_e164").is_null()
    # The called number is always needed; the caller may be withheld (CLIR) on a call
    # charged to the called party.
    missing_number = pl.col("called_e164").is_null() | (
        pl.col("calling_e164").is_null() & (pl.col("direction") != Direction.TERMINATING.value)
    )
    rules: list[tuple[str, pl.Expr]] = [
        ("DECODE_ERROR", pl.col("decode_error").is_not_null()),
        ("MISSING_TIME", pl.col("event_time").is_null()),
        ("FUTURE_TIME", pl.col("event_time") > pl.lit(now + FUTURE_TOLERANCE)),
        ("NEGATIVE_DURATION", pl.col("duration_s").fill_null(0) < 0),
        ("DURATION_TOO_LONG", pl.col("duration_s").fill_null(0) > MAX_DURATION_S),
        (
            "NEGATIVE_VOLUME",
            (pl.col("volume_up").fill_null(0) < 0) | (pl.col("volume_down").fill_null(0) < 0),
        ),
        ("UNKNOWN_SERVICE", ~pl.col("service").is_in(SERVICES).fill_null(False)),
        ("INVALID_NUMBER", bad_calling | bad_called | (is_voice & missing_number)),
        (
            "MISSING_ACCOUNT",
            (pl.col("service") == ServiceKind.BROADBAND.value) & pl.col("account_name").is_null(),
        ),
    ]
    expression: pl.Expr = pl.lit(None, dtype=pl.String)
    for code, failed in reversed(rules):
        expression = pl.when(failed.fill_null(False)).then(pl.lit(code)).otherwise(expression)
    return expression


def reason_text() -> pl.Expr:
    """A readable reason: the decoder's own message for decode errors, else the code's text."""
    texts = pl.col("reason_code").replace_strict(REASONS, default=None, return_dtype=pl.String)
    return (
        pl.when(pl.col("reason_code") == "DECODE_ERROR")
        .then(pl.col("decode_error"))
        .otherwise(texts)
    )


# Fields a duplicate-detection key may be made of (normalised names).
KEY_FIELDS = frozenset(
    {
        "switch_id", "call_reference", "event_time", "duration_s", "calling_e164",
        "called_e164", "service", "account_name", "imsi", "volume_up", "volume_down",
    }
)  # fmt: skip


def _key_part(name: str) -> pl.Expr:
    column = pl.col(name)
    return column.cast(pl.Int64) if name == "event_time" else column.cast(pl.String)


def dedup_key(fields: tuple[str, ...] | None = None) -> pl.Expr:
    """What makes two records the same call. By default: the element, its call reference
    and the start; without a call reference, the parties, start, duration and service. A
    source may name its own fields instead (see :data:`KEY_FIELDS`)."""
    if fields:
        unknown = sorted(set(fields) - KEY_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown duplicate-key field(s) {', '.join(unknown)}; "
                f"choose from {', '.join(sorted(KEY_FIELDS))}"
            )
        return pl.concat_str([_key_part(f) for f in fields], separator="|", ignore_nulls=True)
    with_reference = pl.concat_str(
        [_key_part(f) for f in ("switch_id", "call_reference", "event_time")],
        separator="|",
        ignore_nulls=True,
    )
    without = pl.concat_str(
        [
            _key_part(f)
            for f in ("calling_e164", "called_e164", "event_time", "duration_s", "service")
        ]
        + [_key_part("account_name")],
        separator="|",
        ignore_nulls=True,
    )
    return pl.when(pl.col("call_reference").is_not_null()).then(with_reference).otherwise(without)
