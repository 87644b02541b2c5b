"""The generated clients in clients/: they match schema.graphql and the shared documents, and they work.

Both generators run into a temporary directory and their output is compared with the committed one, so
this fails whenever the SDL, clients/documents/*.graphql and the generated code drift apart (see
clients/README.md for the commands that regenerate them). The Python client then runs a query, a
mutation and a subscription against a live gateway.
"""
from __future__ import annotations

import asyncio
import contextlib
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
TS = CLIENTS / "typescript"
PY = CLIENTS / "python"
CODEGEN_VENV = PY / ".codegen-venv"  # git-ignored, reused between runs like TS/node_modules

# Output of npm or pip that means the registry could not be reached (rather than a broken lock file).
OFFLINE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network request|"
                     r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|"
                     r"No matching distribution found", re.I)


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def _sha(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _assert_same(committed: dict[str, str], fresh: dict[str, str], how: str) -> None:
    """Fail with a readable diff when the committed generated files differ from a fresh generation."""
    problems = []
    for name in sorted(committed.keys() | fresh.keys()):
        if name not in fresh:
            problems.append(f"{name}: committed but no longer generated")
        elif name not in committed:
            problems.append(f"{name}: generated but not committed")
        elif committed[name] != fresh[name]:
            diff = difflib.unified_diff(committed[name].splitlines(), fresh[name].splitlines(),
                                        f"committed/{name}", f"generated/{name}", lineterm="", n=1)
            problems.append("\n".join(list(diff)[:60]))
    if problems:
        pytest.fail(f"the generated client is out of date; regenerate it with `{how}` (clients/README.md)\n\n"
                    + "\n\n".join(problems)[:8000], pytrace=False)


# --- TypeScript ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def node_bin() -> Path:
    """clients/typescript/node_modules/.bin, installed with `npm ci` once and reused while the lock is unchanged."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for the TypeScript client")
    stamp = TS / "node_modules" / ".ome-gateway-lock.sha256"
    lock = _sha(TS / "package.json", TS / "package-lock.json")
    if not stamp.is_file() or stamp.read_text() != lock:
        proc = _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], TS, timeout=600)
        if proc.returncode:
            if OFFLINE.search(proc.stdout + proc.stderr):
                pytest.skip(f"the npm registry is unreachable: {proc.stderr.strip()[-300:]}")
            pytest.fail(f"npm ci failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
        stamp.write_text(lock)
    return TS / "node_modules" / ".bin"


def test_typescript_client_is_generated_from_the_schema(node_bin, tmp_path):
    proc = _run([str(node_bin / "graphql-codegen"), "--config", "codegen.ts"], TS,
                env={"CODEGEN_OUT_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    committed = _tree(TS / "src" / "generated")
    _assert_same(committed, _tree(tmp_path), "cd clients/typescript && npm ci && npx graphql-codegen")


def test_typescript_example_compiles_strictly(node_bin):
    proc = _run([str(node_bin / "tsc"), "--noEmit", "-p", str(TS)], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- Python ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ariadne_codegen() -> Path:
    """ariadne-codegen in a venv of its own (it needs graphql-core<3.3, the gateway >=3.3), made once and reused."""
    requirements = PY / "requirements-codegen.txt"
    stamp = CODEGEN_VENV / ".requirements.sha256"
    exe = CODEGEN_VENV / "bin" / "ariadne-codegen"
    want = _sha(requirements)
    if not exe.is_file() or not stamp.is_file() or stamp.read_text() != want:
        shutil.rmtree(CODEGEN_VENV, ignore_errors=True)
        proc = _run([sys.executable, "-m", "venv", str(CODEGEN_VENV)], PY)
        assert proc.returncode == 0, proc.stderr
        proc = _run([str(CODEGEN_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                     "--disable-pip-version-check", "-r", str(requirements)], PY, timeout=600)
        if proc.returncode:
            shutil.rmtree(CODEGEN_VENV, ignore_errors=True)
            if OFFLINE.search(proc.stdout + proc.stderr):
                pytest.skip(f"PyPI is unreachable: {proc.stderr.strip()[-300:]}")
            pytest.fail(f"installing ariadne-codegen failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
        stamp.write_text(want)
    return exe


def _toml(table: dict) -> str:
    """A flat [tool.ariadne-codegen] table as TOML (JSON strings and booleans are valid TOML values)."""
    return "[tool.ariadne-codegen]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())


def test_python_client_is_generated_from_the_schema(ariadne_codegen, tmp_path):
    settings = tomllib.loads((PY / "pyproject.toml").read_text())["tool"]["ariadne-codegen"]
    out = tmp_path / "out"
    out.mkdir()
    config = tmp_path / "codegen.toml"
    # The committed settings, with the package written elsewhere; relative paths resolve against the
    # working directory, so it runs from clients/python exactly as the documented command does.
    config.write_text(_toml({**settings, "target_package_path": str(out)}))
    proc = _run([str(ariadne_codegen), "--config", str(config)], PY)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    name = settings["target_package_name"]
    _assert_same(_tree(PY / name), _tree(out / name), "cd clients/python && ariadne-codegen")


# --- The Python client against a live gateway -----------------------------------------------------------

@pytest.fixture(scope="module")
def client_module():
    sys.path.insert(0, str(PY))
    try:
        import ome_gateway_client
    finally:
        sys.path.remove(str(PY))
    return ome_gateway_client


@pytest.fixture
async def client(client_module, gateway, devcluster):
    ws_url = gateway.url.replace("http", "ws", 1) + "/graphql"
    async with client_module.Client(url=f"{gateway.url}/graphql", ws_url=ws_url) as c:
        yield c


async def test_query_dashboard(client, gateway):
    result = await client.dashboard()
    total = gateway.data("{ inferenceServices { totalCount } }")["inferenceServices"]["totalCount"]
    services = result.inference_services
    assert services.total_count == total > 0
    nodes = {(e.node.namespace, e.node.name): e.node for e in services.edges}
    chat = nodes[("team-nlp", "chat-llama-8b")]
    assert chat.model.name == "llama-3-1-8b-instruct"
    assert chat.components and chat.components[0].kind.value == "ENGINE"
    assert result.cluster_summary.services == total


async def test_query_service_detail_and_compatible_runtimes(client):
    detail = await client.service_detail(namespace="team-nlp", name="chat-llama-8b", event_limit=5)
    service = detail.inference_service
    assert service is not None and service.name == "chat-llama-8b"
    assert {c.type_ for c in service.conditions} >= {"Ready"}
    assert len(service.events) <= 5

    runtimes = await client.compatible_runtimes(model="llama-3-1-8b-instruct")
    assert runtimes.model is not None and runtimes.model.compatible_runtimes
    assert any(m.compatible for m in runtimes.model.compatible_runtimes)


async def test_mutation_deploy_dry_run(client, client_module, gateway):
    name = f"client-dry-{uuid.uuid4().hex[:6]}"
    result = await client.deploy(client_module.DeployInferenceServiceInput(
        name=name, namespace="research", model="llama-3-1-8b-instruct", dry_run=True))
    deployed = result.deploy_inference_service
    assert deployed.dry_run is True
    assert (deployed.service.namespace, deployed.service.name) == ("research", name)
    assert deployed.runtime.runtime.name and deployed.auto_selected is True
    # a dry run creates nothing
    assert gateway.data("query($ns: String!, $n: String!) { inferenceService(namespace: $ns, name: $n) { name } }",
                        {"ns": "research", "n": name})["inferenceService"] is None


async def test_subscription_service_status(client):
    stream = client.service_status(namespace="team-nlp", name="chat-llama-8b")
    async with contextlib.aclosing(stream), asyncio.timeout(30):
        first = await anext(stream)
    status = first.inference_service_status
    assert (status.namespace, status.name) == ("team-nlp", "chat-llama-8b")
    assert isinstance(status.ready, bool) and status.components


# --- The examples: run as a user would run them ----------------------------------------------------------

EXAMPLES = ROOT / "examples"


def _ready_service(devcluster, namespace: str, name: str) -> bool:
    service = devcluster.http.get(f"/apis/ome.io/v1beta1/namespaces/{namespace}/inferenceservices/{name}").json()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in service["status"]["conditions"])


def test_python_example_deploys_and_waits_for_ready(gateway, devcluster, ns):
    name = f"py-example-{uuid.uuid4().hex[:6]}"
    env = {"PYTHONPATH": str(PY)}
    proc = _run([sys.executable, str(EXAMPLES / "deploy_and_wait.py"), "--url", gateway.url, "--namespace", ns,
                 "--name", name, "--model", "llama-3-1-8b-instruct", "--timeout", "60"], ROOT, env, timeout=90)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith(f"{ns}/{name} is Ready") and "dry run: runtime" in proc.stdout
    assert _ready_service(devcluster, ns, name)
    again = _run([sys.executable, str(EXAMPLES / "deploy_and_wait.py"), "--url", gateway.url, "--namespace", ns,
                  "--name", name, "--model", "llama-3-1-8b-instruct"], ROOT, env, timeout=60)
    assert again.returncode == 1 and again.stderr.startswith("ALREADY_EXISTS:"), again.stderr


def test_typescript_example_deploys_and_waits_for_ready(node_bin, gateway, devcluster, ns, tmp_path):
    proc = _run([str(node_bin / "tsc"), "--outDir", str(tmp_path), "--rootDir", str(ROOT), "--module", "esnext",
                 "--moduleResolution", "bundler", "--target", "es2022", "--lib", "es2022,dom", "--strict",
                 "--noUncheckedIndexedAccess", "--skipLibCheck", "--types", "node", "--typeRoots",
                 str(TS / "node_modules" / "@types"), str(EXAMPLES / "typescript" / "deploy-and-wait.ts")], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tmp_path / "package.json").write_text('{"type": "module"}')
    name = f"ts-example-{uuid.uuid4().hex[:6]}"
    script = tmp_path / "examples" / "typescript" / "deploy-and-wait.js"
    proc = _run(["node", str(script), gateway.url, ns, name, "llama-3-1-8b-instruct"], ROOT, timeout=90)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith(f"{ns}/{name} is Ready")
    assert _ready_service(devcluster, ns, name)
    refused = _run(["node", str(script), gateway.url, ns, "Bad_Name", "llama-3-1-8b-instruct"], ROOT, timeout=60)
    assert refused.returncode == 1 and refused.stderr.startswith("INVALID_INPUT:"), refused.stderr
