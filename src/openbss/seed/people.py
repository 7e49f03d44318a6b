"""Deterministic, realistic Chinese people and enterprises for the demo province.

Pure generation (no database): the same seed gives the same people, so seeding is
repeatable and idempotent (rows are recognised by their identity numbers).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers

from openbss.party.identity import make_resident_id, make_uscc

# Common surnames (by frequency) and given-name characters.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
    "桂英华建国志红文辉鹏飞玲婷雪梅晓东海燕浩宇欣怡子轩梓涵俊杰"
)

# Guangdong local networks: (区号 area code, city, district administrative code, district).
LOCAL_NETWORKS = (
    ("020", "广州市", "440103", "荔湾区"),
    ("020", "广州市", "440104", "越秀区"),
    ("020", "广州市", "440106", "天河区"),
    ("0755", "深圳市", "440303", "罗湖区"),
    ("0755", "深圳市", "440304", "福田区"),
    ("0755", "深圳市", "440305", "南山区"),
    ("0757", "佛山市", "440604", "禅城区"),
    ("0769", "东莞市", "441900", "南城街道"),
    ("0756", "珠海市", "440402", "香洲区"),
    ("0754", "汕头市", "440507", "龙湖区"),
)
STREETS = (
    "中山路",
    "解放路",
    "人民路",
    "建设路",
    "滨江路",
    "深南大道",
    "天河路",
    "环市东路",
    "东风路",
)
# China Telecom mobile prefixes (docs/domain/numbering.md).
CT_MOBILE_PREFIXES = ("133", "153", "173", "177", "180", "181", "189", "199")
INDUSTRIES = (
    "科技",
    "贸易",
    "物流",
    "电子",
    "建筑",
    "餐饮",
    "制造",
    "医药",
    "教育咨询",
    "文化传媒",
)
GOVERNMENT_BODIES = ("教育局", "卫生健康局", "税务局", "人力资源和社会保障局", "交通运输局")


@dataclass(frozen=True, slots=True)
class Person:
    family_name: str
    given_name: str
    gender: str
    birth_date: date
    resident_id: str
    mobile: str
    area_code: str
    city: str
    address: str


@dataclass(frozen=True, slots=True)
class Enterprise:
    trading_name: str
    credit_code: str
    area_code: str
    city: str
    address: str
    contact_phone: str
    government: bool


def _address(rng: random.Random, city: str, district: str) -> str:
    return f"广东省{city}{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号"


def people(count: int, seed: int = 2005) -> list[Person]:
    rng = random.Random(seed)
    result: list[Person] = []
    used: set[str] = set()
    while len(result) < count:
        area, city, region, district = rng.choice(LOCAL_NETWORKS)
        born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 65))
        sequence = rng.randint(0, 999)
        resident_id = make_resident_id(region, born, sequence)
        if resident_id in used:
            continue
        used.add(resident_id)
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        mobile = rng.choice(CT_MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        result.append(
            Person(
                family_name=rng.choice(SURNAMES),
                given_name=given,
                # The 17th digit of a 身份证 is odd for men and even for women.
                gender="male" if sequence % 2 else "female",
                birth_date=born,
                resident_id=resident_id,
                mobile=mobile,
                area_code=area,
                city=city,
                address=_address(rng, city, district),
            )
        )
    return result


_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _valid_fixed(number: str) -> bool:
    return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")))


def enterprises(count: int, seed: int = 2005) -> list[Enterprise]:
    rng = random.Random(seed + 1)
    result: list[Enterprise] = []
    used: set[str] = set()
    while len(result) < count:
        area, city, region, district = rng.choice(LOCAL_NETWORKS)
        government = rng.random() < 0.08
        # Registration authority 9 (industry & commerce) type 1 (enterprise); 1/1 for organs.
        authority = "11" if government else "91"
        body = "".join(rng.choice(_USCC_BODY) for _ in range(9))
        code = make_uscc(authority, region, body)
        if code in used:
            continue
        used.add(code)
        if government:
            name = f"{city}{district}{rng.choice(GOVERNMENT_BODIES)}"
        else:
            brand = rng.choice(SURNAMES) + rng.choice(GIVEN)
            name = f"{city}{brand}{rng.choice(INDUSTRIES)}有限公司"
        local = f"{rng.randint(2, 8)}{rng.randint(0, 9_999_999):07d}"
        if not _valid_fixed(area + local):  # a few local networks still dial 7 digits
            local = local[:7]
        result.append(
            Enterprise(
                trading_name=name,
                credit_code=code,
                area_code=area,
                city=city,
                address=_address(rng, city, district),
                contact_phone=f"{area}{local}",
                government=government,
            )
        )
    return result
