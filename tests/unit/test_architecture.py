"""Architecture: domain/ stays pure, and the import contracts in pyproject.toml hold."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = REPO / "domain"
# Besides the standard library and domain's own modules, only these may be imported.
ALLOWED_THIRD_PARTY = ("eventsourcing.domain", "chinese_calendar")


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "domain":
        return True
    return any(
        module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED_THIRD_PARTY
    )


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module a file imports, with its line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "eventsourcing":
                # `from eventsourcing import domain` is the same as the allowed module.
                found.extend((node.lineno, f"eventsourcing.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, node.module))
    return found


DOMAIN_FILES = sorted(DOMAIN.rglob("*.py"))


def test_domain_has_files() -> None:
    assert {"hierarchy.py", "vocabulary.py", "calendar.py", "rules.py"} <= {
        p.name for p in DOMAIN_FILES
    }


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_imports_only_stdlib_eventsourcing_domain_and_chinese_calendar(path: Path) -> None:
    bad = [
        f"{path.name}:{line} imports {module}"
        for line, module in imported_modules(path)
        if not _allowed(module)
    ]
    assert not bad, "domain/ must stay pure:\n" + "\n".join(bad)


def test_the_checker_catches_forbidden_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport yaml\nfrom eventsourcing import persistence\n"
        "from eventsourcing.domain import Aggregate\nfrom infra.datafiles import load_yaml\n"
        "from chinese_calendar import constants\nfrom . import errors\n"
        "def f():\n    import opencc\n"
    )
    bad = [m for _, m in imported_modules(sample) if not _allowed(m)]
    assert bad == ["yaml", "eventsourcing.persistence", "infra.datafiles", "opencc"]


def _module_exists(module: str) -> bool:
    path = REPO.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _linter_config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]


def test_every_module_a_contract_names_exists() -> None:
    """A contract naming a missing module guards nothing: a rename must update it."""
    named = {
        module
        for contract in _linter_config()["contracts"]
        for value in contract.values()
        if isinstance(value, list)
        for module in value
    }
    missing = sorted(m for m in named if not _module_exists(m))
    assert not missing, f"import contracts name modules that do not exist: {missing}"


# What infra may import of domain (the integration contracts, the errors, and what the
# reference-data loaders build). Every other domain module must be forbidden to infra.
INFRA_MAY_IMPORT = {
    "contracts",
    "errors",
    "calendar",
    "hierarchy",
    "rules",
    "vocabulary",
    "labels",
    "key_fields",
}


def test_every_domain_module_is_classified_for_infra() -> None:
    forbidden = next(
        set(c["forbidden_modules"])
        for c in _linter_config()["contracts"]
        if c.get("source_modules") == ["infra"]
    )
    modules = {
        p.stem if p.suffix == ".py" else p.name
        for p in DOMAIN.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    unclassified = sorted(
        m for m in modules if m not in INFRA_MAY_IMPORT and f"domain.{m}" not in forbidden
    )
    assert not unclassified, (
        f"domain modules neither allowed nor forbidden to infra: {unclassified}; "
        "add them to the infra contract in pyproject.toml"
    )


def _contracts_config(tmp_path: Path) -> Path:
    """pyproject's contracts as an INI file for the lint-imports command."""
    linter = _linter_config()
    lines = ["[importlinter]", "root_packages =", *(f"    {p}" for p in linter["root_packages"])]
    for index, contract in enumerate(linter["contracts"]):
        lines += ["", f"[importlinter:contract:{index}]"]
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =")
                lines += [f"    {m}" for m in value]
            else:
                lines.append(f"{key} = {value}")
    path = tmp_path / "importlinter.ini"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_linter_contracts_hold(tmp_path: Path) -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), "import-linter is a dev dependency"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--config", str(_contracts_config(tmp_path))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " 0 broken" in result.stdout
    assert result.stdout.count("KEPT") == len(_linter_config()["contracts"])
