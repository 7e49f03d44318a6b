"""The China Telecom master catalog of the mid-2000s (docs/domain/tariffs.md), as TMF620 bodies.

The prices are built from the 2005 price list in :mod:`openbss.refdata.ct2005`, the table
rating builds its tariffs from too, so the catalog and rating cannot disagree on a number.
The bodies stay here rather than in refdata because they are the catalog's own vocabulary
(TMF620 price types, usage events, time bands, references between entries); refdata holds
the numbers and no TMF.

Amounts are written as decimal strings ("0.07") so that they are exact from the source on;
the price service turns them into integer li (usage) or fen (charges). References between
entries use codes (``"ref": "CT-PS-FIXED-VOICE"``), resolved to ids by seed.py. Names are
Chinese (zh-CN), descriptions English.

Where the price list marks a price a plausible default (PHS SMS) or illustrative (ADSL,
rentals, installation, the bundle, the PHS monthly cap) the description says so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openbss.kit.tmf import format_datetime
from openbss.refdata import ct2005 as prices
from openbss.refdata.ct2005 import FlatCharge, Source, UsageRate

# Tariffs in force from 1 January 2005, Beijing time (UTC+8).
TARIFF_START = format_datetime(prices.EFFECTIVE_FROM)
VALID = {"startDateTime": TARIFF_START}

SPECIFICATIONS: list[dict[str, Any]] = [
    {
        "code": "CT-PS-FIXED-VOICE",
        "name": "固定电话",
        "description": "Fixed-line voice telephone (PSTN), local network number 0XX-XXXXXXXX",
        "serviceType": "fixedVoice",
        "productSpecCharacteristic": [
            {"name": "phoneNumber", "valueType": "string", "configurable": True},
            {"name": "areaCode", "valueType": "string", "configurable": True},
        ],
    },
    {
        "code": "CT-PS-ADSL",
        "name": "ADSL 宽带上网",
        "description": "ADSL broadband internet access over the telephone line",
        "serviceType": "broadband",
        "productSpecCharacteristic": [
            {
                "name": "downstreamBandwidth",
                "valueType": "integer",
                "productSpecCharacteristicValue": [
                    {"valueType": "integer", "value": 2048, "unitOfMeasure": "kbit/s"}
                ],
            },
            {"name": "accessType", "valueType": "string"},
        ],
    },
    {
        "code": "CT-PS-PHS",
        "name": "小灵通",
        "description": "PHS (Personal Handy-phone System): wireless access to the fixed network",
        "serviceType": "phs",
        "productSpecCharacteristic": [
            {"name": "phoneNumber", "valueType": "string", "configurable": True},
            {"name": "areaCode", "valueType": "string", "configurable": True},
        ],
    },
    {
        "code": "CT-PS-SMS",
        "name": "短信",
        "description": "Short message service (value-added service)",
        "serviceType": "vas",
    },
    {
        "code": "CT-PS-MOBILE",
        "name": "移动电话",
        "description": "Mobile telephony (CDMA / 3G, China Telecom from October 2008)",
        "serviceType": "mobile",
        "productSpecCharacteristic": [
            {"name": "msisdn", "valueType": "string", "configurable": True},
            {"name": "imsi", "valueType": "string"},
        ],
    },
]

CATEGORIES: list[dict[str, Any]] = [
    {"code": "CT-CAT-FIXED", "name": "固网语音", "description": "Fixed-line voice", "isRoot": True},
    {"code": "CT-CAT-BROADBAND", "name": "宽带", "description": "Broadband", "isRoot": True},
    {"code": "CT-CAT-PHS", "name": "小灵通", "description": "PHS", "isRoot": True},
    {"code": "CT-CAT-VAS", "name": "增值业务", "description": "Value-added", "isRoot": True},
    {"code": "CT-CAT-BUNDLE", "name": "套餐", "description": "Bundles", "isRoot": True},
]

CATALOGS: list[dict[str, Any]] = [
    {
        "code": "CT-CATALOG-GROUP",
        "name": "中国电信集团产品目录",
        "description": "China Telecom group master product catalog, published to provinces",
        "catalogType": "productCatalog",
        "categoryRefs": [c["code"] for c in CATEGORIES],
    }
]


def _yuan(amount: Decimal) -> str:
    """How a description writes an amount: "0.07", but "25" rather than "25.00"."""
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount)


# How a description owns up to a price that is not a published one.
_HEDGES = {Source.PLAUSIBLE_DEFAULT: "unverified", Source.ILLUSTRATIVE: "illustrative"}


def _hedged(description: str, source: Source) -> str:
    hedge = _HEDGES.get(source)
    return description if hedge is None else f"{description} ({hedge})"


def _usage(
    code: str,
    name: str,
    description: str,
    rate: UsageRate,
    event: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": _hedged(description, rate.source),
        "priceType": "usage",
        "price": {"unit": "CNY", "value": str(rate.yuan)},
        "unitOfMeasure": {"amount": rate.per, "units": rate.unit},
        "usageEvent": event,
        "validFor": VALID,
        **extra,
    }


def _recurring(code: str, name: str, description: str, charge: FlatCharge) -> dict[str, Any]:
    if charge.period is None:
        raise ValueError(f"{code}: a one-time charge is not recurring")
    return {
        "code": code,
        "name": name,
        "description": _hedged(description, charge.source),
        "priceType": "recurring",
        "price": {"unit": "CNY", "value": str(charge.yuan)},
        "recurringChargePeriodType": charge.period,
        "recurringChargePeriodLength": 1,
        "validFor": VALID,
    }


def _one_time(code: str, name: str, description: str, charge: FlatCharge) -> dict[str, Any]:
    if charge.period is not None:
        raise ValueError(f"{code}: a recurring charge is not one-time")
    return {
        "code": code,
        "name": name,
        "description": _hedged(description, charge.source),
        "priceType": "oneTime",
        "price": {"unit": "CNY", "value": str(charge.yuan)},
        "validFor": VALID,
    }


_LOCAL_BLOCK_MIN = prices.LOCAL_FIRST_BLOCK.per
_NIGHT = f"{prices.NIGHT_FROM:%H:%M}-{prices.NIGHT_TO:%H:%M}"

PRICES: list[dict[str, Any]] = [
    _recurring(
        "CT-POP-FIXED-RENTAL",
        "固话月租",
        f"Fixed line monthly rental: {_yuan(prices.FIXED_RENTAL.yuan)} yuan",
        prices.FIXED_RENTAL,
    ),
    _one_time(
        "CT-POP-FIXED-INSTALL",
        "固话安装调试费",
        f"Fixed line installation (工料费): {_yuan(prices.FIXED_INSTALLATION.yuan)} yuan once",
        prices.FIXED_INSTALLATION,
    ),
    _one_time(
        "CT-POP-ADSL-INSTALL",
        "宽带安装调试费",
        f"ADSL installation and modem set-up: {_yuan(prices.ADSL_INSTALLATION.yuan)} yuan once",
        prices.ADSL_INSTALLATION,
    ),
    _usage(
        "CT-POP-LOCAL-FIRST3",
        "市话 前3分钟",
        f"Local call, first {_LOCAL_BLOCK_MIN} minutes: {prices.LOCAL_FIRST_BLOCK.yuan} yuan",
        prices.LOCAL_FIRST_BLOCK,
        "localCall",
        usageTier={"from": 0, "to": _LOCAL_BLOCK_MIN},
    ),
    _usage(
        "CT-POP-LOCAL-NEXT",
        "市话 3分钟后每分钟",
        f"Local call after {_LOCAL_BLOCK_MIN} minutes: "
        f"{prices.LOCAL_NEXT_MINUTE.yuan} yuan per started minute",
        prices.LOCAL_NEXT_MINUTE,
        "localCall",
        usageTier={"from": _LOCAL_BLOCK_MIN},
    ),
    _usage(
        "CT-POP-DDD",
        "国内长途 每6秒",
        f"Domestic long distance: {prices.DDD_DAY.yuan} yuan per {prices.DDD_DAY.per} s",
        prices.DDD_DAY,
        "dddCall",
    ),
    _usage(
        "CT-POP-DDD-NIGHT",
        "国内长途 夜间 每6秒",
        f"Domestic long distance {_NIGHT} ({prices.DDD_NIGHT_PERCENT} %): "
        f"{prices.DDD_NIGHT.yuan} yuan per {prices.DDD_NIGHT.per} s",
        prices.DDD_NIGHT,
        "dddCall",
        timeBand={"from": f"{prices.NIGHT_FROM:%H:%M}", "to": f"{prices.NIGHT_TO:%H:%M}"},
    ),
    _usage(
        "CT-POP-INTL",
        "国际长途 每6秒",
        f"International: {prices.INTERNATIONAL.yuan} yuan per {prices.INTERNATIONAL.per} s",
        prices.INTERNATIONAL,
        "internationalCall",
    ),
    _usage(
        "CT-POP-HMT",
        "港澳台 每6秒",
        f"Hong Kong, Macao, Taiwan: {prices.HK_MO_TW.yuan} yuan per {prices.HK_MO_TW.per} s",
        prices.HK_MO_TW,
        "hmtCall",
    ),
    _usage(
        "CT-POP-IP17909",
        "IP长途17909 每分钟",
        f"IP long distance {prices.IP_ACCESS_CODE}, domestic: "
        f"{prices.IP_LONG_DISTANCE.yuan} yuan per minute",
        prices.IP_LONG_DISTANCE,
        "ipCall",
    ),
    _recurring(
        "CT-POP-PHS-RENTAL",
        "小灵通 日租",
        f"PHS rental: {_yuan(prices.PHS_RENTAL.yuan)} yuan per day",
        prices.PHS_RENTAL,
    ),
    _usage(
        "CT-POP-PHS-LOCAL-FIRST3",
        "小灵通市话 前3分钟",
        f"PHS local call, first {_LOCAL_BLOCK_MIN} minutes: {prices.LOCAL_FIRST_BLOCK.yuan} yuan",
        prices.LOCAL_FIRST_BLOCK,
        "localCall",
        usageTier={"from": 0, "to": _LOCAL_BLOCK_MIN},
    ),
    _usage(
        "CT-POP-PHS-LOCAL-NEXT",
        "小灵通市话 3分钟后每分钟",
        f"PHS local call after {_LOCAL_BLOCK_MIN} minutes: "
        f"{prices.LOCAL_NEXT_MINUTE.yuan} yuan per minute",
        prices.LOCAL_NEXT_MINUTE,
        "localCall",
        usageTier={"from": _LOCAL_BLOCK_MIN},
    ),
    _usage(
        "CT-POP-PHS-INTERAREA",
        "小灵通区间通话 每分钟",
        f"PHS call between local areas: {prices.PHS_BETWEEN_AREAS.yuan} yuan per minute",
        prices.PHS_BETWEEN_AREAS,
        "interAreaCall",
    ),
    _usage(
        "CT-POP-PHS-INCOMING",
        "小灵通 接听免费",
        "PHS incoming calls are free",
        prices.INCOMING,
        "incomingCall",
    ),
    _usage(
        "CT-POP-PHS-SMS",
        "小灵通短信 每条",
        f"PHS SMS: {prices.SMS.yuan} yuan per message",
        prices.SMS,
        "sms",
    ),
    _recurring(
        "CT-POP-ADSL-2M-MONTHLY",
        "ADSL 2M 包月",
        f"ADSL 2 Mbit/s flat fee: {_yuan(prices.ADSL_2M_MONTHLY.yuan)} yuan per month",
        prices.ADSL_2M_MONTHLY,
    ),
    {
        **_recurring(
            "CT-POP-BUNDLE-FIXED-ADSL",
            "固话+宽带套餐 月费",
            "Fixed line + ADSL 2M bundle: "
            f"{_yuan(prices.BUNDLE_FIXED_ADSL_MONTHLY.yuan)} yuan per month, "
            f"{prices.BUNDLE_DISCOUNT_PERCENT} % off",
            prices.BUNDLE_FIXED_ADSL_MONTHLY,
        ),
        "priceAlteration": [
            {
                "name": "套餐九折",
                "description": f"Bundle discount {prices.BUNDLE_DISCOUNT_PERCENT} %",
                "priceType": "recurring",
                "percentage": prices.BUNDLE_DISCOUNT_PERCENT,
            }
        ],
    },
    {
        "code": "CT-POP-PHS-CAP",
        "name": "小灵通 月封顶",
        "description": _hedged(
            f"PHS monthly cap: rental and calls billed at most "
            f"{_yuan(prices.PHS_MONTHLY_CAP.yuan)} yuan a month",
            prices.PHS_MONTHLY_CAP.source,
        ),
        "priceType": "cap",
        "price": {"unit": "CNY", "value": str(prices.PHS_MONTHLY_CAP.yuan)},
        "recurringChargePeriodType": "month",
        "chargeType": ["recurring", "usage"],
        "validFor": VALID,
    },
]


def _offering(
    code: str, name: str, description: str, spec: str, prices: list[str], category: str
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "isBundle": False,
        "isSellable": True,
        "specRef": spec,
        "priceRefs": prices,
        "categoryRefs": [category],
        "validFor": VALID,
    }


OFFERINGS: list[dict[str, Any]] = [
    _offering(
        "CT-PO-FIXED-LOCAL",
        "固话本地通话",
        "Fixed line with local calls",
        "CT-PS-FIXED-VOICE",
        [
            "CT-POP-FIXED-RENTAL",
            "CT-POP-FIXED-INSTALL",
            "CT-POP-LOCAL-FIRST3",
            "CT-POP-LOCAL-NEXT",
        ],
        "CT-CAT-FIXED",
    ),
    _offering(
        "CT-PO-DDD",
        "国内长途直拨",
        "Domestic direct dial (DDD)",
        "CT-PS-FIXED-VOICE",
        ["CT-POP-DDD", "CT-POP-DDD-NIGHT"],
        "CT-CAT-FIXED",
    ),
    _offering(
        "CT-PO-INTL",
        "国际及港澳台直拨",
        "International and HK/Macao/Taiwan direct dial",
        "CT-PS-FIXED-VOICE",
        ["CT-POP-INTL", "CT-POP-HMT"],
        "CT-CAT-FIXED",
    ),
    _offering(
        "CT-PO-IP17909",
        "IP长途 17909",
        "IP long distance with access code 17909",
        "CT-PS-FIXED-VOICE",
        ["CT-POP-IP17909"],
        "CT-CAT-FIXED",
    ),
    _offering(
        "CT-PO-PHS",
        "小灵通基本套餐",
        "PHS basic plan: daily rental, incoming free",
        "CT-PS-PHS",
        [
            "CT-POP-PHS-RENTAL",
            "CT-POP-PHS-LOCAL-FIRST3",
            "CT-POP-PHS-LOCAL-NEXT",
            "CT-POP-PHS-INTERAREA",
            "CT-POP-PHS-INCOMING",
        ],
        "CT-CAT-PHS",
    ),
    _offering(
        "CT-PO-PHS-CAPPED",
        "小灵通封顶套餐",
        "PHS capped plan: the basic plan, rental and calls capped each month (illustrative)",
        "CT-PS-PHS",
        [
            "CT-POP-PHS-RENTAL",
            "CT-POP-PHS-LOCAL-FIRST3",
            "CT-POP-PHS-LOCAL-NEXT",
            "CT-POP-PHS-INTERAREA",
            "CT-POP-PHS-INCOMING",
            "CT-POP-PHS-CAP",
        ],
        "CT-CAT-PHS",
    ),
    _offering(
        "CT-PO-ADSL-2M",
        "ADSL 2M 包月",
        "ADSL 2 Mbit/s monthly flat rate",
        "CT-PS-ADSL",
        ["CT-POP-ADSL-2M-MONTHLY", "CT-POP-ADSL-INSTALL"],
        "CT-CAT-BROADBAND",
    ),
    _offering(
        "CT-PO-PHS-SMS",
        "小灵通短信",
        "PHS short messages",
        "CT-PS-SMS",
        ["CT-POP-PHS-SMS"],
        "CT-CAT-VAS",
    ),
    {
        **_offering(
            "CT-PO-PHS-PREPAID",
            "小灵通如意通预付费",
            "PHS prepaid (如意通 style): no rental, calls and SMS charged online from the balance "
            "at the PHS tariff; each top-up extends the validity (illustrative)",
            "CT-PS-PHS",
            [
                "CT-POP-PHS-LOCAL-FIRST3",
                "CT-POP-PHS-LOCAL-NEXT",
                "CT-POP-PHS-INTERAREA",
                "CT-POP-PHS-INCOMING",
                "CT-POP-PHS-SMS",
            ],
            "CT-CAT-PHS",
        ),
        # Extension attributes: charged online from a prepaid balance (openbss.charging);
        # a top-up keeps the line valid this many days past the top-up, at least.
        "paymentMode": "prepaid",
        "topUpValidityDays": 180,
    },
]

BUNDLES: list[dict[str, Any]] = [
    {
        "code": "CT-PO-BUNDLE-FIXED-ADSL",
        "name": "固话+宽带套餐",
        "description": "Bundle: fixed line with local calls + ADSL 2M, one monthly fee",
        "isBundle": True,
        "isSellable": True,
        "bundleRefs": ["CT-PO-FIXED-LOCAL", "CT-PO-ADSL-2M"],
        "priceRefs": ["CT-POP-BUNDLE-FIXED-ADSL"],
        "categoryRefs": ["CT-CAT-BUNDLE"],
        "validFor": VALID,
    }
]
