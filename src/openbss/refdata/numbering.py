"""Chinese numbering: local networks, mobile blocks, service numbers and the prefix table.

Local networks (本地网): which area code (区号) serves a city. Every prefecture-level city of
Guangdong has its own local network, so the 21 cities are all here, plus the major cities
docs/domain/numbering.md names. Sales uses this to turn an installation address into the area
code of the
fixed or PHS number it needs. Names are matched loosely: Chinese with or without 市, pinyin in
any case, with or without spaces, apostrophes or "City". Guangdong's area codes, the default
province of rating, are read from the same table.

The destination prefixes (``destination_prefixes``) are generated from ``phonenumbers`` data
as plain records; rating turns them into its ``Destination`` contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LocalNetwork:
    area_code: str
    city_zh: str  # without 市
    city_en: str  # pinyin as used in English
    province_zh: str


def _gd(area_code: str, city_zh: str, city_en: str) -> LocalNetwork:
    return LocalNetwork(area_code, city_zh, city_en, "广东")


GUANGDONG: tuple[LocalNetwork, ...] = (
    _gd("020", "广州", "Guangzhou"),
    _gd("0755", "深圳", "Shenzhen"),
    _gd("0756", "珠海", "Zhuhai"),
    _gd("0754", "汕头", "Shantou"),
    _gd("0757", "佛山", "Foshan"),
    _gd("0751", "韶关", "Shaoguan"),
    _gd("0759", "湛江", "Zhanjiang"),
    _gd("0758", "肇庆", "Zhaoqing"),
    _gd("0750", "江门", "Jiangmen"),
    _gd("0668", "茂名", "Maoming"),
    _gd("0752", "惠州", "Huizhou"),
    _gd("0753", "梅州", "Meizhou"),
    _gd("0660", "汕尾", "Shanwei"),
    _gd("0762", "河源", "Heyuan"),
    _gd("0662", "阳江", "Yangjiang"),
    _gd("0763", "清远", "Qingyuan"),
    _gd("0769", "东莞", "Dongguan"),
    _gd("0760", "中山", "Zhongshan"),
    _gd("0768", "潮州", "Chaozhou"),
    _gd("0663", "揭阳", "Jieyang"),
    _gd("0766", "云浮", "Yunfu"),
)

MAJOR_CITIES: tuple[LocalNetwork, ...] = (
    LocalNetwork("010", "北京", "Beijing", "北京"),
    LocalNetwork("021", "上海", "Shanghai", "上海"),
    LocalNetwork("022", "天津", "Tianjin", "天津"),
    LocalNetwork("023", "重庆", "Chongqing", "重庆"),
    LocalNetwork("024", "沈阳", "Shenyang", "辽宁"),
    LocalNetwork("025", "南京", "Nanjing", "江苏"),
    LocalNetwork("027", "武汉", "Wuhan", "湖北"),
    LocalNetwork("028", "成都", "Chengdu", "四川"),
    LocalNetwork("029", "西安", "Xi'an", "陕西"),
    LocalNetwork("0571", "杭州", "Hangzhou", "浙江"),
)

LOCAL_NETWORKS: tuple[LocalNetwork, ...] = GUANGDONG + MAJOR_CITIES


def _key(name: str) -> str:
    text = name.strip().lower()
    for noise in (" ", "'", "’", "-"):
        text = text.replace(noise, "")
    return text.removesuffix("市").removesuffix("city")


_BY_NAME: dict[str, LocalNetwork] = {
    key: network
    for network in LOCAL_NETWORKS
    for key in (_key(network.city_zh), _key(network.city_en))
}
_BY_CODE: dict[str, LocalNetwork] = {network.area_code: network for network in LOCAL_NETWORKS}


def area_code_for_city(city: str) -> str | None:
    """``"广州"``, ``"广州市"``, ``"Guangzhou"``, ``"xian"`` → the area code; None if unknown."""
    network = _BY_NAME.get(_key(city))
    return network.area_code if network is not None else None


def local_network(area_code: str) -> LocalNetwork | None:
    """The city an area code serves, when it is one of the networks listed here."""
    return _BY_CODE.get(area_code)


# Province codes (as API keys and rows carry them) of the provinces named above.
PROVINCE_NAMES: Mapping[str, str] = {
    "GD": "广东", "BJ": "北京", "SH": "上海", "TJ": "天津", "CQ": "重庆", "LN": "辽宁",
    "JS": "江苏", "HB": "湖北", "SC": "四川", "SN": "陕西", "ZJ": "浙江",
}  # fmt: skip
# Provinces whose every local network is listed: any other area code is not theirs.
COMPLETE_PROVINCES: frozenset[str] = frozenset({"广东"})


def area_code_outside_province(area_code: str, province: str) -> str | None:
    """The province an area code belongs to when that is not ``province`` (a province code),
    or None when it is that province's, or when the table cannot tell."""
    name = PROVINCE_NAMES.get(province)
    network = _BY_CODE.get(area_code)
    if network is not None:
        return network.province_zh if name is not None and network.province_zh != name else None
    if name in COMPLETE_PROVINCES:
        return "another province"
    return None


# The 21 local networks of Guangdong, the default province.
GUANGDONG_AREA_CODES: frozenset[str] = frozenset(network.area_code for network in GUANGDONG)

# Number blocks of Chinese mobile networks (docs/domain/numbering.md).
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "149",
    "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176",
    "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "190",
    "191", "193", "198", "199",
)  # fmt: skip

# Short service numbers, rated as zone ``special``.
SERVICE_CODES: Mapping[str, str] = {
    "110": "Police",
    "112": "Line fault reports",
    "114": "Directory enquiries",
    "119": "Fire",
    "120": "Ambulance",
    "122": "Traffic accidents",
    "10000": "China Telecom customer service",
    "10010": "China Unicom customer service",
    "10086": "China Mobile customer service",
    "12315": "Consumer complaints",
}

HK_MO_TW_CODES: Mapping[str, str] = {"852": "Hong Kong", "853": "Macao", "886": "Taiwan"}

# The zones a prefix carries when it has no area code; the values of rating's ``Zone``.
ZONE_HK_MO_TW = "hkMoTw"
ZONE_INTERNATIONAL = "international"
ZONE_SPECIAL = "special"


@dataclass(frozen=True, slots=True)
class DestinationPrefix:
    """One prefix of the destination table: an area code (trunk 0 included) or a zone."""

    prefix: str
    name: str
    zone: str | None = None
    area_code: str | None = None


_PROVINCE_PREFIX = re.compile(r"^(.*?(?:省|自治区))?(.*)$")


def _area_code_of(prefix: str) -> str:
    """'8620…' → '020', '86755…' → '0755': 2-digit codes start with 1 or 2, others 3 digits."""
    national = prefix[2:]
    return "0" + (national[:2] if national[0] in "12" else national[:3])


def destination_prefixes(mobile_zone: str) -> tuple[DestinationPrefix, ...]:
    """The destination table, generated deterministically from ``phonenumbers`` data.

    - every Chinese fixed-line prefix the geocoder knows (area codes and their sub-prefixes),
      carrying its area code;
    - each mobile number block (e.g. '86133') with ``mobile_zone`` (a tariff's choice), and
      every block segment (e.g. '861330200') whose home city maps to an area code, carrying
      that area code;
    - Hong Kong, Macao, Taiwan (``hkMoTw``), every other country code (``international``);
    - short service numbers (``special``).

    Sorted by prefix; prefixes are unique.
    """
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
    from phonenumbers.geodata import GEOCODE_DATA

    table: dict[str, DestinationPrefix] = {}
    city_area: dict[str, str] = {}
    for prefix in sorted(GEOCODE_DATA):
        if not prefix.startswith("86") or (prefix.startswith("861") and prefix[:4] != "8610"):
            continue
        names = GEOCODE_DATA[prefix]
        area = _area_code_of(prefix)
        table[prefix] = DestinationPrefix(prefix, names.get("en", area), area_code=area)
        if len(prefix) <= 5:  # an area code itself: learn its city names
            match = _PROVINCE_PREFIX.match(names.get("zh", ""))
            province, cities = (match.group(1) or "", match.group(2)) if match else ("", "")
            for city in cities.split("、"):
                city_area.setdefault(province + city, area)
    mobile_blocks = {"86" + p for p in MOBILE_PREFIXES}
    for block in sorted(mobile_blocks):
        table[block] = DestinationPrefix(block, f"Mobile {block[2:]}", zone=mobile_zone)
    for prefix in sorted(GEOCODE_DATA):
        if prefix[:5] in mobile_blocks and len(prefix) > 5:
            area_or_none = city_area.get(GEOCODE_DATA[prefix].get("zh", ""))
            if area_or_none is not None:
                name = GEOCODE_DATA[prefix].get("en", area_or_none)
                table[prefix] = DestinationPrefix(prefix, f"Mobile {name}", area_code=area_or_none)
    for country_code, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        cc = str(country_code)
        if cc == "86":
            continue
        if cc in HK_MO_TW_CODES:
            table[cc] = DestinationPrefix(cc, HK_MO_TW_CODES[cc], zone=ZONE_HK_MO_TW)
        else:
            table[cc] = DestinationPrefix(cc, "/".join(regions), zone=ZONE_INTERNATIONAL)
    for short_code, service_name in SERVICE_CODES.items():
        prefix = "86" + short_code
        table[prefix] = DestinationPrefix(prefix, service_name, zone=ZONE_SPECIAL)
    return tuple(table[p] for p in sorted(table))
