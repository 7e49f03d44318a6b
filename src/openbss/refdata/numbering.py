"""Local networks (本地网): which area code (区号) serves a city.

Every prefecture-level city of Guangdong has its own local network, so the 21 cities are all
here, plus the major cities DOMAIN.md names. Sales uses this to turn an installation address
into the area code of the fixed or PHS number it needs. Names are matched loosely: Chinese
with or without 市, pinyin in any case, with or without spaces, apostrophes or "City".
"""

from __future__ import annotations

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
