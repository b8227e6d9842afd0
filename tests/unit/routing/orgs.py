"""A small org tree for routing tests: one province, two cities' worth of levels."""

from __future__ import annotations

from domain.handling import Actor
from domain.hierarchy import OrgTree
from domain.vocabulary import Office, Role
from tests.actors import staff
from tests.org_codes import (  # noqa: F401 - re-exported for the routing tests
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_STATIONED,
    PROVINCE,
    SMALL_TREE,
    STATIONED,
    TOWNSHIP_A,
    TOWNSHIP_B,
    TOWNSHIP_C,
)

RECORDS = SMALL_TREE
ORGANS = [r["code"] for r in RECORDS]


def org_tree() -> OrgTree:
    return OrgTree.from_records(RECORDS)


def clerk(organ: str, name: str = "王信访") -> Actor:
    return staff(name, organ, Office.PETITION.value, Role.PETITION_CLERK.value)


def handler(organ: str, office: str = Office.SUPERVISION.value, name: str = "李承办") -> Actor:
    return staff(name, organ, office, Role.HANDLER.value)


def leader(organ: str, name: str = "张书记") -> Actor:
    return staff(name, organ, Office.PETITION.value, Role.LEADER.value)
