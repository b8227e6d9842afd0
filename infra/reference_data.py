"""Reference data as domain objects: the org tree, the rules, the key-field catalogue and
the working calendar, each read from the shipped YAML (`infra.datafiles`) in one place.

Every service and the gateway load them through here, so a province's own configuration
(`BATON_DATA_FILES`) reaches all of them alike. The domain builds and validates the
objects; this module only finds the files and picks the defaults when one is absent.
"""

from __future__ import annotations

from domain.calendar import WorkingCalendar
from domain.hierarchy import OrgTree
from domain.key_fields import KeyFieldCatalogue
from domain.rules import Rules
from infra.datafiles import load_calendar_overrides, load_yaml

__all__ = ["load_calendar", "load_key_fields", "load_org_tree", "load_rules"]


def load_org_tree() -> OrgTree:
    """The org tree of `orgs.yaml` (required: there is no default organisation)."""
    return OrgTree.from_document(load_yaml("orgs.yaml"))


def load_rules() -> Rules:
    """The rules of `rules.yaml`, or the documented defaults when the file is absent."""
    try:
        return Rules.from_mapping(load_yaml("rules.yaml"))
    except FileNotFoundError:
        return Rules.default()


def load_key_fields() -> KeyFieldCatalogue:
    """The key-field catalogue 重点问题目录 of `key_fields.yaml`, or the default one."""
    try:
        data = load_yaml("key_fields.yaml")
    except FileNotFoundError:
        return KeyFieldCatalogue.default()
    return KeyFieldCatalogue.from_records(data["key_fields"] if isinstance(data, dict) else data)


def load_calendar() -> WorkingCalendar:
    """The working calendar with every published holiday override under `calendar/`."""
    return WorkingCalendar.default(load_calendar_overrides())
