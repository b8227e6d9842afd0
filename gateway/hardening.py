"""GraphQL hardening: size, depth and alias limits, coded refusals, masked failures.

Every refusal the GraphQL layer makes by itself (a document too large, too deep, with too
many aliases, invalid, or introspection in production) comes back with a stable code and
Chinese and English messages like every other error, and is logged as one line, not a
traceback. Errors without a code (a bug) are masked as `internal_error` and logged in
full. graphql-core and strawberry report their limits only as English text; the mapping
from their messages to codes lives here once and its tests pin it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from domain.errors import DomainError
from infra.web import DATABASE_FAULTS, DATABASE_UNAVAILABLE

log = logging.getLogger("gateway.graphql")


@dataclass(frozen=True)
class Limits:
    """How much one GraphQL request may ask for."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_source_length: int = 200_000
    max_body_bytes: int = 1024 * 1024


# (code, zh, en) for each refusal the GraphQL layer makes by itself, by what its message
# contains; the first match wins (a token limit is also a "Syntax Error").
_REFUSALS: tuple[tuple[str, str, str, str], ...] = (
    ("Document contains more than", "query_too_large", "查询语句过大", "The query is too large"),
    ("Source contains more than", "query_too_large", "查询语句过大", "The query is too large"),
    ("exceeds maximum operation depth", "query_too_deep",
     "查询嵌套层数过多", "The query is nested too deeply"),
    ("GraphQL introspection has been disabled", "introspection_disabled",
     "生产环境不提供结构查询", "Introspection is disabled in production"),
    # A value of the wrong kind, in the document or in a variable.
    ("does not exist in 'StatisticsDimension' enum", "statistics_dimension_unknown",
     "不支持的统计维度", "Unknown statistics dimension"),
    ("cannot represent a Date", "date_invalid",
     "日期或时间格式不正确(应为 YYYY-MM-DD)", "Not a valid date or time (YYYY-MM-DD)"),
    ("got invalid value", "variable_invalid",
     "变量的值不符合接口定义", "A variable's value does not match the schema"),
)  # fmt: skip
_SYNTAX = ("query_invalid", "查询语句有语法错误", "The query has a syntax error")
_ALIASES = ("query_too_many_aliases", "查询中的别名过多", "The query uses too many aliases")
_INVALID = ("query_invalid", "查询语句不符合接口定义", "The query does not match the schema")
INTERNAL = ("internal_error", "服务器内部错误，请稍后再试", "Internal error; try again later")


def coded(error: GraphQLError, code: str, zh: str, en: str) -> GraphQLError:
    """The error with a stable code and bilingual messages, at the same place."""
    return GraphQLError(
        en,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code, "message_zh": zh, "message_en": en},
    )


def code_of(error: GraphQLError) -> str | None:
    """The stable code an error already carries, if any."""
    return (error.extensions or {}).get("code")


def classify(error: GraphQLError) -> GraphQLError:
    """A refusal of the GraphQL layer itself, with its code; other errors unchanged."""
    message = error.message
    # A variable's value that cannot be coerced carries the coercion's own error.
    coercion = message.startswith("Variable '$")
    if code_of(error) or (error.original_error is not None and not coercion):
        return error
    if " aliases found. Allowed: " in message:
        return coded(error, *_ALIASES)
    for marker, code, zh, en in _REFUSALS:
        if marker in message:
            return coded(error, code, zh, en)
    if isinstance(error, GraphQLSyntaxError) or message.startswith("Syntax Error"):
        return coded(error, *_SYNTAX)
    return coded(error, *_INVALID)


class ParseLimits(SchemaExtension):
    """Stops the parser early on an oversized document (it runs before validation)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        # graphql-core's parse() takes these; strawberry's TypedDict lists only max_tokens.
        options: dict[str, Any] = self.execution_context.parse_options  # type: ignore[assignment]
        options["max_lexical_tokens"] = self.limits.max_tokens
        options["max_source_length"] = self.limits.max_source_length
        options["max_comments"] = self.limits.max_tokens
        yield


class CachedParse(ParserCache):
    """Parses each distinct document once (a shared LRU cache); a refusal keeps its code
    (raised from here it bypasses `CodedErrors`)."""

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLError as error:
            raise classify(error) from error


class CodedErrors(SchemaExtension):
    """Gives every error of the result a stable code; masks uncoded failures."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [_coded_or_masked(e) for e in errors]


def _coded_or_masked(error: GraphQLError) -> GraphQLError:
    error = classify(error)
    if code_of(error):
        return error
    original = error.original_error
    if isinstance(original, DomainError):
        # A refusal raised by a nested field's resolver keeps its own code and messages.
        return coded(error, original.code, original.message_zh, original.message_en)
    if isinstance(original, DATABASE_FAULTS):
        # The gateway's own store (sessions, users) gone for a moment, as while PostgreSQL
        # restarts: the services' code and messages for it; the client may try again.
        return coded(error, *DATABASE_UNAVAILABLE)
    return coded(error, *INTERNAL)


def extensions(production: bool, limits: Limits | None = None) -> list[Any]:
    """The schema extensions: limits always, introspection off in production."""
    limits = limits or Limits()
    # Factories, so that each request gets fresh extension instances.
    # The limiters' rule classes are made once: the validation cache is keyed by them, so
    # fresh classes per request would never hit it.
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        *(DisableIntrospection().validation_rules if production else ()),
    ]
    # The web front end sends the same few documents over and over: parse and validate
    # each once (a new document still goes through every limit).
    chosen: list[Any] = [
        lambda: ParseLimits(limits),
        lambda: CachedParse(maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
    ]
    chosen.append(CodedErrors)
    return chosen


class HardenedSchema(strawberry.Schema):
    """A schema that logs a refusal as one line and only real failures in full."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        operation = execution_context.operation_name if execution_context else None
        for error in errors:
            original = error.original_error
            code = code_of(error) or getattr(original, "code", None) or code_of(classify(error))
            if isinstance(original, DATABASE_FAULTS):
                log.warning(
                    "graphql operation=%s: database unavailable (%s)",
                    operation or "-",
                    type(original).__name__,
                )
                continue
            if original is not None and not code:
                log.error("graphql failed operation=%s", operation or "-", exc_info=original)
                continue
            log.info(
                "graphql refused operation=%s code=%s path=%s",
                operation or "-",
                code,
                ".".join(str(p) for p in error.path or ()) or "-",
            )


def schema_config(production: bool) -> StrawberryConfig:
    """Field suggestions ("did you mean ...") reveal the schema: off in production."""
    return StrawberryConfig(disable_field_suggestions=production)
