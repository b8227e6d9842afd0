"""A small org tree for routing tests: one province, two cities' worth of levels."""

from __future__ import annotations

from domain.handling import Actor
from domain.hierarchy import OrgTree
from domain.vocabulary import Office, Role
from tests.actors import staff

PROVINCE = "62"
CITY = "6201"
COUNTY = "620102"
OTHER_COUNTY = "620103"
TOWNSHIP_A = "620102001"
TOWNSHIP_B = "620102002"
TOWNSHIP_C = "620103001"
STATIONED = "620102Z01"
OTHER_STATIONED = "620103Z01"

RECORDS = [
    {"code": PROVINCE, "name": "甘肃省纪委监委", "level": "province", "parent": None},
    {"code": CITY, "name": "兰州市纪委监委", "level": "city", "parent": PROVINCE},
    {"code": COUNTY, "name": "城关区纪委监委", "level": "county", "parent": CITY},
    {"code": OTHER_COUNTY, "name": "七里河区纪委监委", "level": "county", "parent": CITY},
    {"code": TOWNSHIP_A, "name": "甲街道纪工委", "level": "township", "parent": COUNTY},
    {"code": TOWNSHIP_B, "name": "乙街道纪工委", "level": "township", "parent": COUNTY},
    {"code": TOWNSHIP_C, "name": "丙镇纪委", "level": "township", "parent": OTHER_COUNTY},
    {
        "code": STATIONED,
        "name": "城关区纪委监委派驻区法院纪检监察组",
        "level": "county",
        "kind": "stationed_unit",
        "parent": COUNTY,
        "supervises": ["城关区人民法院"],
    },
    {
        "code": OTHER_STATIONED,
        "name": "七里河区纪委监委派驻区教育局纪检监察组",
        "level": "county",
        "kind": "stationed_unit",
        "parent": OTHER_COUNTY,
        "supervises": ["七里河区教育局"],
    },
]

ORGANS = [r["code"] for r in RECORDS]


def org_tree() -> OrgTree:
    return OrgTree.from_records(RECORDS)


def clerk(organ: str, name: str = "王信访") -> Actor:
    return staff(name, organ, Office.PETITION.value, Role.PETITION_CLERK.value)


def handler(organ: str, office: str = Office.SUPERVISION.value, name: str = "李承办") -> Actor:
    return staff(name, organ, office, Role.HANDLER.value)


def leader(organ: str, name: str = "张书记") -> Actor:
    return staff(name, organ, Office.PETITION.value, Role.LEADER.value)
