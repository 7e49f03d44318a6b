"""Provinces: the codes a deployment is cut by and the civil time zone each one keeps.

Codes are those of ISO 3166-2:CN (``GD`` Guangdong, ``BJ`` Beijing, …). The whole mainland
keeps Beijing time, so every mainland province is ``Asia/Shanghai`` — Xinjiang included,
whose official time is Beijing time too. Hong Kong, Macao and Taiwan keep their own zones
(the same UTC+08:00 today, different histories).
"""

from __future__ import annotations

from types import MappingProxyType
from zoneinfo import ZoneInfo

MAINLAND_ZONE = "Asia/Shanghai"

_MAINLAND = {
    "AH": "安徽",
    "BJ": "北京",
    "CQ": "重庆",
    "FJ": "福建",
    "GD": "广东",
    "GS": "甘肃",
    "GX": "广西",
    "GZ": "贵州",
    "HA": "河南",
    "HB": "湖北",
    "HE": "河北",
    "HI": "海南",
    "HL": "黑龙江",
    "HN": "湖南",
    "JL": "吉林",
    "JS": "江苏",
    "JX": "江西",
    "LN": "辽宁",
    "NM": "内蒙古",
    "NX": "宁夏",
    "QH": "青海",
    "SC": "四川",
    "SD": "山东",
    "SH": "上海",
    "SN": "陕西",
    "SX": "山西",
    "TJ": "天津",
    "XJ": "新疆",
    "XZ": "西藏",
    "YN": "云南",
    "ZJ": "浙江",
}
_OWN_ZONE = {"HK": "Asia/Hong_Kong", "MO": "Asia/Macau", "TW": "Asia/Taipei"}

# Province code → IANA time zone name.
PROVINCE_ZONES: MappingProxyType[str, str] = MappingProxyType(
    {**dict.fromkeys(_MAINLAND, MAINLAND_ZONE), **_OWN_ZONE}
)


def is_province(code: str) -> bool:
    return code in PROVINCE_ZONES


def zone_name(code: str | None, default: str = MAINLAND_ZONE) -> str:
    """The province's time zone; ``default`` for a group-level view (no province) or a code
    this table does not know."""
    if code is None:
        return default
    return PROVINCE_ZONES.get(code, default)


def province_zone(code: str | None, default: str = MAINLAND_ZONE) -> ZoneInfo:
    return ZoneInfo(zone_name(code, default))
