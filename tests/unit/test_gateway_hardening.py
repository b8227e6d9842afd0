"""GraphQL hardening on a small schema: limits, coded refusals, masked failures."""

from __future__ import annotations

import datetime as dt
import logging
from enum import Enum
from typing import Any

import psycopg
import pytest
import strawberry
from graphql import GraphQLError

from gateway.hardening import HardenedSchema, Limits, extensions, schema_config

CALLS: list[str] = []


@strawberry.type
class Node:
    name: str

    @strawberry.field
    def child(self) -> Node:
        return Node(name=self.name + ">")


@strawberry.enum(name="StatisticsDimension")
class Dimension(Enum):
    CHANNEL = "CHANNEL"


@strawberry.type
class Query:
    @strawberry.field
    def counted(self, day: dt.date, by: list[Dimension]) -> int:
        return len(by)

    @strawberry.field
    def node(self) -> Node:
        CALLS.append("node")
        return Node(name="root")

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("secret database detail")

    @strawberry.field
    def restarting(self) -> str:
        raise psycopg.OperationalError("terminating connection due to administrator command")

    @strawberry.field
    def refused(self) -> str:
        raise GraphQLError(
            "No",
            extensions={"code": "forbidden", "message_zh": "无权", "message_en": "No"},
        )


def schema(production: bool) -> HardenedSchema:
    return HardenedSchema(
        query=Query,
        extensions=extensions(production, Limits(max_depth=5, max_aliases=10, max_tokens=500)),
        config=schema_config(production),
    )


def codes(result: Any) -> list[str]:
    return [e.extensions["code"] for e in result.errors or []]


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def test_a_thousand_aliases_are_refused_before_any_resolver_runs() -> None:
    query = "{" + " ".join(f"a{i}: node {{ name }}" for i in range(1000)) + "}"
    result = schema(False).execute_sync(query)
    assert codes(result) == ["query_too_large"]  # the parser stops before validation
    assert CALLS == []
    few = "{" + " ".join(f"a{i}: node {{ name }}" for i in range(11)) + "}"
    assert codes(schema(False).execute_sync(few)) == ["query_too_many_aliases"]
    assert CALLS == []


def test_depth_size_and_syntax_refusals_have_codes_and_both_languages() -> None:
    deep = "{ node { child { child { child { child { child { name } } } } } } }"
    huge = "{ node { name } }" + " " * 10 + "# x\n" * 600
    big_string = '{ node(x: "' + "字" * 300_000 + '") { name } }'
    for query, code in [
        (deep, "query_too_deep"),
        (huge, "query_too_large"),
        (big_string, "query_too_large"),
        ("{ node { name }", "query_invalid"),
        ("{ nothing }", "query_invalid"),
    ]:
        result = schema(False).execute_sync(query)
        assert codes(result) == [code], query[:40]
        extensions_ = result.errors[0].extensions
        assert extensions_["message_zh"] and extensions_["message_en"]
    assert CALLS == []


def test_production_hides_introspection_and_suggestions() -> None:
    introspection = "{ __schema { types { name } } }"
    assert schema(False).execute_sync(introspection).errors is None
    assert set(codes(schema(True).execute_sync(introspection))) == {"introspection_disabled"}
    typo = schema(True).execute_sync("{ nod { name } }")
    assert codes(typo) == ["query_invalid"]
    assert "Did you mean" not in str(typo.errors[0].formatted)


def test_failures_are_masked_and_logged_once_refusals_are_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    failed = schema(True).execute_sync("{ broken }")
    assert codes(failed) == ["internal_error"]
    assert "secret" not in str(failed.errors[0].formatted)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)

    caplog.clear()
    refused = schema(True).execute_sync("{ refused }")
    assert codes(refused) == ["forbidden"]
    assert refused.errors[0].extensions["message_zh"] == "无权"
    lines = [r for r in caplog.records if r.name == "gateway.graphql"]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and not lines[0].exc_info
    assert "code=forbidden" in lines[0].getMessage()


@strawberry.type
class Folder:
    @strawberry.field
    def facts(self) -> str:
        from domain.errors import NotFound

        raise NotFound("case_unknown", "案件不存在", "No case has this id")


@strawberry.type
class FolderQuery:
    @strawberry.field
    def item(self) -> Folder:
        return Folder()


def test_a_domain_refusal_in_a_nested_resolver_keeps_its_code() -> None:
    hardened = HardenedSchema(
        query=FolderQuery, extensions=extensions(False), config=schema_config(False)
    )
    result = hardened.execute_sync("{ item { facts } }")
    assert codes(result) == ["case_unknown"]
    assert result.errors[0].extensions["message_zh"] == "案件不存在"


@pytest.mark.parametrize(
    ("day", "by", "code"),
    [
        ("2026-13-01", ["CHANNEL"], "date_invalid"),
        ("yesterday", ["CHANNEL"], "date_invalid"),
        ("2026-01-01", ["COLOUR"], "statistics_dimension_unknown"),
        ("2026-01-01", "CHANNEL", None),  # a single value coerces to a list
        ("2026-01-01", [7], "query_invalid"),  # graphql-core rejects it itself
    ],
)
def test_a_variable_that_cannot_be_coerced_gets_a_code_not_internal_error(day, by, code):
    result = schema(production=True).execute_sync(
        "query Q($d: Date!, $b: [StatisticsDimension!]!) { counted(day: $d, by: $b) }",
        variable_values={"d": day, "b": by},
    )
    if code is None:
        assert result.errors is None and result.data == {"counted": 1}
        return
    assert codes(result) == [code]
    extensions = result.errors[0].extensions
    assert extensions["message_zh"] and extensions["message_en"]


def test_literal_values_of_the_wrong_kind_are_coded_the_same_way():
    result = schema(production=True).execute_sync(
        '{ a: counted(day: "2026-02-30", by: [CHANNEL]) }'
    )
    assert codes(result) == ["date_invalid"]
    result = schema(production=True).execute_sync('{ counted(day: "2026-02-01", by: [COLOUR]) }')
    assert codes(result) == ["statistics_dimension_unknown"]


def test_a_database_gone_for_a_moment_is_coded_retryable_not_internal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL restarting under a request (the gateway's session store): the chaos run
    showed `internal_error`; it is the services' `database_unavailable`, logged as a line."""
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    result = schema(True).execute_sync("{ restarting }")
    assert codes(result) == ["database_unavailable"]
    extensions_ = result.errors[0].extensions
    assert extensions_["message_zh"] == "数据库暂时不可用，请稍后重试"
    assert "administrator" not in str(result.errors[0].formatted)
    assert not any(r.exc_info for r in caplog.records)
