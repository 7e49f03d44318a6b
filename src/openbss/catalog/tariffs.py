"""The China Telecom master catalog of the mid-2000s (DOMAIN.md, "Tariffs"), as TMF620 bodies.

Amounts are written as decimal strings ("0.07") so that they are exact from the source on;
the price service turns them into integer li (usage) or fen (charges). References between
entries use codes (``"ref": "CT-PS-FIXED-VOICE"``), resolved to ids by seed.py. Names are
Chinese (zh-CN), descriptions English.

Where DOMAIN.md marks a tariff *unverified* (PHS SMS, ADSL) it is a plausible default; the
bundle discount is illustrative.
"""

from __future__ import annotations

from typing import Any

# Tariffs in force from 1 January 2005, Beijing time (UTC+8).
TARIFF_START = "2004-12-31T16:00:00.000Z"
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


def _usage(
    code: str,
    name: str,
    description: str,
    value: str,
    per: tuple[int, str],
    event: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "priceType": "usage",
        "price": {"unit": "CNY", "value": value},
        "unitOfMeasure": {"amount": per[0], "units": per[1]},
        "usageEvent": event,
        "validFor": VALID,
        **extra,
    }


def _recurring(code: str, name: str, description: str, value: str, period: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "priceType": "recurring",
        "price": {"unit": "CNY", "value": value},
        "recurringChargePeriodType": period,
        "recurringChargePeriodLength": 1,
        "validFor": VALID,
    }


def _one_time(code: str, name: str, description: str, value: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "priceType": "oneTime",
        "price": {"unit": "CNY", "value": value},
        "validFor": VALID,
    }


PRICES: list[dict[str, Any]] = [
    _recurring(
        "CT-POP-FIXED-RENTAL",
        "固话月租",
        "Fixed line monthly rental: 25 yuan (illustrative)",
        "25.00",
        "month",
    ),
    _one_time(
        "CT-POP-FIXED-INSTALL",
        "固话安装调试费",
        "Fixed line installation (工料费): 100 yuan once (illustrative)",
        "100.00",
    ),
    _one_time(
        "CT-POP-ADSL-INSTALL",
        "宽带安装调试费",
        "ADSL installation and modem set-up: 100 yuan once (illustrative)",
        "100.00",
    ),
    _usage(
        "CT-POP-LOCAL-FIRST3",
        "市话 前3分钟",
        "Local call, first 3 minutes: 0.22 yuan",
        "0.22",
        (3, "min"),
        "localCall",
        usageTier={"from": 0, "to": 3},
    ),
    _usage(
        "CT-POP-LOCAL-NEXT",
        "市话 3分钟后每分钟",
        "Local call after 3 minutes: 0.11 yuan per started minute",
        "0.11",
        (1, "min"),
        "localCall",
        usageTier={"from": 3},
    ),
    _usage(
        "CT-POP-DDD",
        "国内长途 每6秒",
        "Domestic long distance: 0.07 yuan per 6 s",
        "0.07",
        (6, "s"),
        "dddCall",
    ),
    _usage(
        "CT-POP-DDD-NIGHT",
        "国内长途 夜间 每6秒",
        "Domestic long distance 00:00-07:00 (60 %): 0.04 yuan per 6 s",
        "0.04",
        (6, "s"),
        "dddCall",
        timeBand={"from": "00:00", "to": "07:00"},
    ),
    _usage(
        "CT-POP-INTL",
        "国际长途 每6秒",
        "International: 0.80 yuan per 6 s",
        "0.80",
        (6, "s"),
        "internationalCall",
    ),
    _usage(
        "CT-POP-HMT",
        "港澳台 每6秒",
        "Hong Kong, Macao, Taiwan: 0.20 yuan per 6 s",
        "0.20",
        (6, "s"),
        "hmtCall",
    ),
    _usage(
        "CT-POP-IP17909",
        "IP长途17909 每分钟",
        "IP long distance 17909, domestic: 0.30 yuan per minute",
        "0.30",
        (1, "min"),
        "ipCall",
    ),
    _recurring("CT-POP-PHS-RENTAL", "小灵通 日租", "PHS rental: 0.18 yuan per day", "0.18", "day"),
    _usage(
        "CT-POP-PHS-LOCAL-FIRST3",
        "小灵通市话 前3分钟",
        "PHS local call, first 3 minutes: 0.22 yuan",
        "0.22",
        (3, "min"),
        "localCall",
        usageTier={"from": 0, "to": 3},
    ),
    _usage(
        "CT-POP-PHS-LOCAL-NEXT",
        "小灵通市话 3分钟后每分钟",
        "PHS local call after 3 minutes: 0.11 yuan per minute",
        "0.11",
        (1, "min"),
        "localCall",
        usageTier={"from": 3},
    ),
    _usage(
        "CT-POP-PHS-INTERAREA",
        "小灵通区间通话 每分钟",
        "PHS call between local areas: 0.30 yuan per minute",
        "0.30",
        (1, "min"),
        "interAreaCall",
    ),
    _usage(
        "CT-POP-PHS-INCOMING",
        "小灵通 接听免费",
        "PHS incoming calls are free",
        "0.00",
        (1, "min"),
        "incomingCall",
    ),
    _usage(
        "CT-POP-PHS-SMS",
        "小灵通短信 每条",
        "PHS SMS: 0.10 yuan per message (unverified)",
        "0.10",
        (1, "message"),
        "sms",
    ),
    _recurring(
        "CT-POP-ADSL-2M-MONTHLY",
        "ADSL 2M 包月",
        "ADSL 2 Mbit/s flat fee: 120 yuan per month (illustrative)",
        "120.00",
        "month",
    ),
    {
        **_recurring(
            "CT-POP-BUNDLE-FIXED-ADSL",
            "固话+宽带套餐 月费",
            "Fixed line + ADSL 2M bundle: 120 yuan per month, 10 % off (illustrative)",
            "120.00",
            "month",
        ),
        "priceAlteration": [
            {
                "name": "套餐九折",
                "description": "Bundle discount 10 %",
                "priceType": "recurring",
                "percentage": 10,
            }
        ],
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
