"""What the runtime role may do with each table, and which SQL is a declaration."""

from __future__ import annotations

from infra.dbroles import is_declaration, privileges_for, tables_declared, user_of, with_user


def test_event_and_audit_tables_are_append_only_for_the_runtime_role():
    for table in ("intakeapplication_events", "routingapplication_events"):
        assert "UPDATE" not in privileges_for(table) and "DELETE" not in privileges_for(table)
        assert {"SELECT", "INSERT"} <= set(privileges_for(table))
    for table in ("intakeapplication_audit", "audit_checkpoints", "audit_witness", "quarantine"):
        assert privileges_for(table) == ("SELECT", "INSERT")


def test_tracking_may_update_but_not_delete_while_rebuilt_read_models_may_both():
    for table in ("intakeapplication_tracking", "inbox_chain", "handling_view", "users"):
        assert privileges_for(table) == ("SELECT", "INSERT", "UPDATE")
    # Stats' read models (and their tracking) are derived data that a rebuild replaces.
    for table in ("tracking", "case_fact", "month_cube", "subtree_cube", "routing_history"):
        assert privileges_for(table) == ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    assert "DELETE" in privileges_for("relay_chain")
    assert privileges_for("access_log") == ("SELECT", "INSERT")
    assert privileges_for("some_new_table") == ("SELECT", "INSERT")


def test_declarations_are_told_from_data_access():
    assert is_declaration("\nCREATE TABLE IF NOT EXISTS x (a int);")
    assert is_declaration("create unique index if not exists i on x (a)")
    assert is_declaration('CREATE SCHEMA IF NOT EXISTS "s"')
    assert is_declaration("ALTER TABLE x ADD COLUMN IF NOT EXISTS b text")
    assert is_declaration("CREATE OR REPLACE VIEW v AS SELECT 1")
    assert not is_declaration("INSERT INTO x VALUES (1)")
    assert not is_declaration("UPDATE x SET a = 1")
    assert not is_declaration("SELECT 'CREATE TABLE'")
    assert not is_declaration(b"CREATE TABLE x (a int)")
    assert tables_declared(
        ['CREATE TABLE IF NOT EXISTS a (x int); CREATE TABLE IF NOT EXISTS s."b" (y int)']
    ) == ["a", "b"]
    assert tables_declared(["create table raw (id bigserial)"]) == ["raw"]
    assert tables_declared([object()]) is None


def test_urls_change_user_and_keep_the_rest():
    url = "postgresql://postgres@127.0.0.1:5433/baton"
    assert with_user(url, "baton_runtime") == "postgresql://baton_runtime@127.0.0.1:5433/baton"
    assert with_user(url, "o", "p w").startswith("postgresql://o:p w@127.0.0.1:5433")
    assert user_of("postgresql://baton_owner:x@h/db") == "baton_owner"
