"""The organ codes every test suite uses (unit, integration, e2e), named by their place.

The codes are those of the demo org tree (`deploy/data/orgs.yaml`) where it has them, so a
unit story and a browser story speak of the same organs; `SMALL_TREE` is the tree unit
tests build in memory, with a second county's township and stationed unit added.
"""

from __future__ import annotations

from typing import Any

PROVINCE = "62"
CITY = "6201"
COUNTY = "620102"
OTHER_COUNTY = "620103"
TOWNSHIP_A = "620102001"
TOWNSHIP_B = "620102002"
TOWNSHIP_C = "620103001"
STATIONED = "620102Z01"
OTHER_STATIONED = "620103Z01"

SMALL_TREE: list[dict[str, Any]] = [
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

SHENGZHOU = "330683"  # 嵊州市: the evaluation panel's county in the articles
OTHER_PROVINCE = "33"
