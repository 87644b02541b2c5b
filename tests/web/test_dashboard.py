"""The dashboard at / in a real browser (Debian's chromium driven by playwright), against the session's gateway and
dev cluster: the overview, live changes, the service view, the scale control, the token and reconnection, the deploy
form, and the import wizard (against a gateway with Redis and the offline hub).

OME_GATEWAY_SCREENSHOTS=1 also writes docs/screenshots/overview.png, service.png, deploy.png and import.png."""
from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest

from support import ADMIN_TOKEN, OME, ROOT, Gateway

try:
    from playwright import sync_api
    from playwright.sync_api import expect
except ImportError:  # the page is still checked without a browser
    sync_api = None

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LIVE = 15_000  # ms: how long to wait for a change made in the cluster to show (it normally takes well under 1 s)
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("OME_GATEWAY_SCREENSHOTS") == "1" else None


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    if sync_api is None:
        pytest.skip("browser tests need playwright (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def allowed_errors() -> list[str]:
    """Patterns of console errors a test expects (the 401 of a request made before the token was given, say)."""
    return []


@pytest.fixture
def page(browser, allowed_errors):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield page
    context.close()
    errors = [e for e in errors if not any(re.search(pattern, e) for pattern in allowed_errors)]
    assert not errors, errors


@pytest.fixture
def namespace(devcluster):
    """A fresh namespace in the dev cluster, deleted with its contents afterwards."""
    name = f"dash-{uuid.uuid4().hex[:8]}"
    with devcluster.client() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
        yield name
        http.delete(f"/api/v1/namespaces/{name}")


def create_service(devcluster, namespace: str, name: str, min_replicas: int = 1) -> None:
    """A service shaped like the demo's chat-llama-8b-staging: the dev cluster's controller makes it Ready."""
    body = {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": namespace, "labels": {"team": "dashboard-test"}},
            "spec": {"model": {"name": "llama-3-1-8b-instruct"}, "runtime": {"name": "vllm-llama"},
                     "acceleratorSelector": {"acceleratorClass": "l4"},
                     "engine": {"minReplicas": min_replicas, "maxReplicas": 2}}}
    with devcluster.client() as http:
        http.post(f"{OME}/namespaces/{namespace}/inferenceservices", json=body).raise_for_status()


def row(page, namespace: str, name: str):
    return page.locator(f'tr[data-service="{namespace}/{name}"]')


def open_overview(page, gateway):
    page.goto(gateway.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(page.locator("tr[data-service]").first).to_be_visible()


def test_the_page_and_its_modules_are_served_with_a_strict_policy(gateway):
    page = gateway.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="static/main.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for module in ("main.js", "gql.js", "dom.js", "overview.js", "service.js", "scale.js", "runtimes.js", "deploy.js",
                   "importer.js", "importjob.js"):
        served = gateway.http.get(f"/static/{module}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"], module
    assert gateway.http.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert gateway.http.get("/static/../dashboard.py").status_code == 404
    assert gateway.http.get("/static/%2e%2e/dashboard.py").status_code == 404


def test_the_overview_shows_the_catalog_and_the_cluster_totals(page, gateway):
    total = gateway.data("{ inferenceServices { totalCount } }")["inferenceServices"]["totalCount"]
    open_overview(page, gateway)
    expect(page.locator("tr[data-service]")).to_have_count(total)
    chat = row(page, "team-nlp", "chat-llama-8b")
    expect(chat).to_contain_text("llama-3-1-8b-instruct")
    expect(chat).to_contain_text("srt-llama-small")
    expect(chat).to_contain_text("h100-80gb")
    expect(chat.locator(".components")).to_contain_text(re.compile(r"engine\s*2/2.*router\s*1/1", re.S))
    expect(page.locator('tbody[data-namespace="team-nlp"] th[scope="rowgroup"]')).to_contain_text("team-nlp")

    summary = gateway.data("{ clusterSummary { services servicesReady gpusUsed gpusTotal } }")["clusterSummary"]
    totals = page.locator(".totals")
    expect(totals).to_contain_text(f"{summary['gpusUsed']} / {summary['gpusTotal']}")
    expect(totals).to_contain_text(f"{summary['servicesReady']} ready")
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)


def test_a_service_created_in_the_cluster_appears_and_becomes_ready(page, gateway, devcluster, namespace):
    open_overview(page, gateway)
    create_service(devcluster, namespace, "fresh")
    fresh = row(page, namespace, "fresh")
    expect(fresh).to_have_attribute("data-ready", "true", timeout=LIVE)
    expect(fresh.locator(".badge")).to_have_text("Ready")
    expect(fresh).to_contain_text("vllm-llama")
    total = gateway.data("{ inferenceServices { totalCount } }")["inferenceServices"]["totalCount"]
    expect(page.locator("tr[data-service]")).to_have_count(total, timeout=LIVE)


def test_the_service_view_shows_conditions_pods_and_events(page, gateway):
    open_overview(page, gateway)
    page.get_by_role("link", name="chat-llama-8b", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/ns/team-nlp/chat-llama-8b$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("chat-llama-8b")
    service = gateway.data('{ inferenceService(namespace: "team-nlp", name: "chat-llama-8b") '
                           '{ conditions { type } pods { name } } }')["inferenceService"]
    conditions = page.locator("#conditions tbody tr")
    expect(conditions).to_have_count(len(service["conditions"]))
    expect(conditions.filter(has_text=re.compile(r"^\s*Ready"))).to_contain_text("True")
    for pod in service["pods"]:
        expect(page.locator(f'#pods tr[data-pod="{pod["name"]}"]')).to_contain_text("Running")
    expect(page.locator("#events")).to_contain_text("InferenceServiceReady")
    if SCREENSHOTS:
        page.screenshot(path=SCREENSHOTS / "service.png", full_page=True)

    page.get_by_role("link", name="← Overview").click()  # and back: the overview mounts again
    expect(page.locator("tr[data-service]").first).to_be_visible()


def test_the_service_view_is_live_and_scales(page, gateway, devcluster, namespace):
    page.goto(f"{gateway.url}/#/ns/{namespace}/grows")  # linkable before the service even exists
    expect(page.get_by_role("alert")).to_contain_text("NOT_FOUND")
    create_service(devcluster, namespace, "grows")
    expect(page.locator(".title .badge")).to_have_text("Ready", timeout=LIVE)
    expect(page.locator("#pods tr[data-pod]")).to_have_count(1)

    form = page.get_by_role("form", name="Scale")
    form.get_by_label("Min replicas").fill("2")
    form.get_by_label("Max replicas").fill("3")
    form.get_by_role("button", name="Scale").click()
    expect(form.get_by_role("status")).to_contain_text("between 2 and 3")
    expect(page.locator("#pods tr[data-pod]")).to_have_count(2, timeout=LIVE)
    expect(page.locator("#components")).to_contain_text("(2–3)", timeout=LIVE)

    form.get_by_label("Min replicas").fill("5")  # above the maximum: refused, with the gateway's typed error
    form.get_by_role("button", name="Scale").click()
    expect(form.get_by_role("alert")).to_contain_text("INVALID_INPUT")


def test_text_from_the_cluster_is_shown_as_text(page, gateway, devcluster, namespace):
    create_service(devcluster, namespace, "marked")
    page.goto(f"{gateway.url}/#/ns/{namespace}/marked")
    expect(page.locator(".title .badge")).to_have_text("Ready", timeout=LIVE)
    markup = '<img src=x onerror="document.body.dataset.owned=1"><b>bold</b>'
    path = f"{OME}/namespaces/{namespace}/inferenceservices/marked/status"
    with devcluster.client() as http:
        status = http.get(path).json()["status"]
        status["conditions"].append({"type": "Injected", "status": "False", "reason": "Markup", "message": markup})
        http.patch(path, content=json.dumps({"status": status}),
                   headers={"Content-Type": "application/merge-patch+json"}).raise_for_status()
    expect(page.locator("#conditions")).to_contain_text(markup, timeout=LIVE)
    expect(page.locator("#conditions img, #conditions b")).to_have_count(0)
    assert page.evaluate("document.body.dataset.owned") is None


def test_the_token_goes_with_http_requests_and_the_websocket(page, gateway):
    inits = []

    def relay(ws):
        server = ws.connect_to_server()

        def from_page(message):
            if json.loads(message).get("type") == "connection_init":
                inits.append(json.loads(message)["payload"])
            server.send(message)
        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/graphql$"), relay)
    open_overview(page, gateway)
    assert inits == [{}]
    page.get_by_text("Access token").click()
    page.get_by_label("Bearer token").fill("t0ken")
    with page.expect_request(lambda r: r.url.endswith("/graphql") and r.method == "POST") as sent:
        page.get_by_role("button", name="Use").click()
    assert sent.value.headers["authorization"] == "Bearer t0ken"
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    assert inits[-1] == {"Authorization": "Bearer t0ken"}
    assert page.evaluate("sessionStorage.getItem('ome-gateway.token')") == "t0ken"

    page.reload()  # kept for the tab
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    assert inits[-1] == {"Authorization": "Bearer t0ken"}
    page.get_by_text("Access token").click()
    page.get_by_role("button", name="Forget").click()
    expect(page.locator("#token-state")).to_have_text("No token set.")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    assert inits[-1] == {}


def test_a_dropped_websocket_shows_reconnecting_then_catches_up(page, gateway, devcluster, namespace):
    sockets, up = [], [True]

    def relay(ws):
        if not up[0]:
            ws.close(code=1011, reason="gateway away")
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/graphql$"), relay)
    open_overview(page, gateway)
    up[0] = False
    for ws in sockets:
        ws.close(code=1012, reason="gateway restarting")
    connection = page.locator("#connection")
    expect(connection).to_have_attribute("data-state", "reconnecting")
    expect(connection).to_contain_text("Reconnecting")
    create_service(devcluster, namespace, "missed")  # a change the page cannot hear about while disconnected

    up[0] = True
    expect(connection).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(row(page, namespace, "missed")).to_be_visible(timeout=LIVE)


def test_the_deploy_form_ranks_runtimes_validates_and_deploys(page, gateway, devcluster, namespace):
    open_overview(page, gateway)
    page.get_by_role("navigation", name="Tools").get_by_role("link", name="Deploy").click()
    expect(page).to_have_url(re.compile(r"#/deploy$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Deploy a model")
    form = page.get_by_role("form", name="Deploy")
    form.get_by_label("Model", exact=True).select_option("llama-3-1-8b-instruct")
    form.get_by_label("Accelerator class (optional)").select_option("l4")
    form.get_by_label("Namespace", exact=True).fill(namespace)

    # the ranking as the gateway ranks it: compatible runtimes best first, then the others with their reasons
    ranked = gateway.data('query($ns: String) { model(name: "llama-3-1-8b-instruct") { compatibleRuntimes('
                          'acceleratorClass: "l4", namespace: $ns) { runtime { name } compatible score reasons } } }',
                          {"ns": namespace})["model"]["compatibleRuntimes"]
    best = [m for m in ranked if m["compatible"]]
    assert [m["runtime"]["name"] for m in best][:2] == ["srt-llama-small", "vllm-llama"]
    large = page.locator('#runtimes tr[data-runtime="srt-llama-large"]')  # refused on l4 only
    expect(large).to_contain_text("runtime does not support the required accelerator class")
    expect(large).to_contain_text("Not compatible")
    expect(page.locator("#runtimes tbody tr")).to_have_count(len(ranked))
    compatible = page.locator('#runtimes tr[data-compatible="true"]')
    expect(compatible.locator('td[data-label="Runtime"]')).to_have_text(
        [re.compile(rf"^{re.escape(m['runtime']['name'])}\b") for m in best])
    expect(compatible.first.locator('td[data-label="Score"]')).to_have_text(str(best[0]["score"]))
    expect(compatible.first.locator('td[data-label="Rank"]')).to_have_text("1")

    outcome = form.locator(".outcome")
    form.get_by_label("Name", exact=True).fill("Chat_L4")  # not a DNS label: refused, typed, with the field
    form.get_by_role("button", name="Validate (dry run)").click()
    expect(outcome.get_by_role("alert")).to_contain_text("INVALID_INPUT")
    expect(outcome.get_by_role("alert").locator("code")).to_contain_text(["INVALID_INPUT", "name"])

    form.get_by_label("Name", exact=True).fill("chat-l4")
    form.get_by_label("Max replicas").fill("2")
    form.get_by_role("button", name="Validate (dry run)").click()
    verdict = outcome.locator(".verdict")
    expect(verdict).to_have_attribute("data-auto-selected", "true")
    expect(verdict).to_contain_text("srt-llama-small")
    expect(verdict).to_contain_text("automatically")
    expect(verdict).to_contain_text("1–2")
    path = f"{OME}/namespaces/{namespace}/inferenceservices/chat-l4"
    assert devcluster.http.get(path).status_code == 404  # a dry run creates nothing
    if SCREENSHOTS:
        page.screenshot(path=SCREENSHOTS / "deploy.png", full_page=True)

    form.get_by_role("button", name="Deploy", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/ns/{namespace}/chat-l4$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("chat-l4")
    created = devcluster.http.get(path)
    assert created.status_code == 200, created.text
    spec = created.json()["spec"]
    assert spec["model"]["name"] == "llama-3-1-8b-instruct" and spec["runtime"]["name"] == "srt-llama-small"
    assert (spec["engine"]["minReplicas"], spec["engine"]["maxReplicas"]) == (1, 2)
    expect(page.locator(".title .badge")).to_have_text("Ready", timeout=LIVE)


QWEN = "acme-llm/qwen2-7b-instruct"
GATED = "acme-gated/llama-3-70b-gated"


@pytest.fixture(scope="module")
def import_gateway(devcluster, hub_server, redis_url):
    """A gateway that imports (Redis, a database of its own, and the offline hub) and asks callers for a token."""
    hub_server.reset()
    gw = Gateway(devcluster.kubeconfig, env={"REDIS_URL": f"{redis_url}/7", "HF_ENDPOINT": hub_server.url,
                                             "OME_GATEWAY_AUTH": "bearer", "OME_GATEWAY_RATE_LIMIT": "0"})
    yield gw
    gw.stop()


def open_import_wizard(page, gw: Gateway) -> None:
    """#/import on a gateway that wants a token: refused until the admin's token is given in the token field."""
    page.goto(gw.url + "/#/import")
    expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
    page.get_by_text("Access token").click()
    page.get_by_label("Bearer token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Use").click()  # the view asks again, with the token, and so does the socket
    page.get_by_text("Access token").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(page.locator("tr[data-repo]").first).to_be_visible()


def test_the_import_wizard_detects_imports_and_follows_the_job(page, import_gateway, devcluster, allowed_errors):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    detected = import_gateway.query('query($id: String!) { huggingFaceModel(id: $id) { format parameterSize } }',
                                    {"id": QWEN}, headers=admin)["data"]["huggingFaceModel"]
    found = import_gateway.query('{ huggingFaceModels(search: "qwen", limit: 20) { id } }',
                                 headers=admin)["data"]["huggingFaceModels"]

    allowed_errors.append(r"status of 401")  # the requests made before the token is given
    open_import_wizard(page, import_gateway)
    expect(page.locator(f'tr[data-repo="{GATED}"] .badge')).to_have_text("Gated")

    page.get_by_role("searchbox", name="Search").fill("qwen")
    expect(page.locator("tr[data-repo]")).to_have_count(len(found))
    expect(page.locator(f'tr[data-repo="{QWEN}"]')).to_contain_text("800,000")
    page.get_by_role("button", name=QWEN).click()
    facts = page.locator("#detected .facts")
    expect(facts).to_contain_text("Qwen2ForCausalLM")
    expect(facts).to_contain_text(detected["format"])
    expect(facts).to_contain_text(detected["parameterSize"])
    expect(facts).to_contain_text("TEXT_TO_TEXT")
    expect(page.locator('#detected tr[data-runtime="srt-qwen2"]')).to_contain_text("Compatible")

    target = f"dash-{uuid.uuid4().hex[:8]}"
    form = page.get_by_role("form", name="Import")
    expect(form.get_by_label("Name", exact=True)).to_have_value("qwen2-7b-instruct")  # the gateway's default
    form.get_by_label("Name", exact=True).fill(target)
    form.get_by_role("button", name="Import").click()
    try:
        job = page.locator("#job")
        expect(job).to_have_attribute("data-state", "COMPLETED", timeout=LIVE)
        expect(job.get_by_role("progressbar", name="Import progress")).to_have_attribute("value", "100")
        expect(job.locator(".percent")).to_have_text("100%")
        expect(job.locator(".job-state")).to_have_text("COMPLETED")
        expect(job.locator('li[data-step="detect"]')).to_contain_text("Qwen2ForCausalLM")
        expect(job.locator('li[data-step="completed"]')).to_have_count(1)
        expect(job.locator(".steps li").first).to_have_attribute("data-step", "queued")
        model = devcluster.http.get(f"{OME}/clusterbasemodels/{target}").json()
        assert model["status"]["state"] == "Ready", model
        assert model["metadata"]["annotations"]["ome-gateway.io/source"] == f"hf://{QWEN}"
        assert model["spec"]["modelArchitecture"] == "Qwen2ForCausalLM"
        if SCREENSHOTS:
            page.screenshot(path=SCREENSHOTS / "import.png", full_page=True)

        job.get_by_role("link", name=f"Deploy {target}").click()  # the model, chosen in the deploy form
        expect(page).to_have_url(re.compile(rf"#/deploy/{target}$"))
        expect(page.get_by_label("Model", exact=True)).to_have_value(target)
        expect(page.locator('#runtimes tr[data-compatible="true"]').first).to_contain_text("srt-qwen2")
    finally:
        devcluster.http.delete(f"{OME}/clusterbasemodels/{target}")


def test_the_import_wizard_shows_why_an_import_is_refused_or_fails(page, import_gateway, devcluster, allowed_errors):
    allowed_errors.append(r"status of 401")
    open_import_wizard(page, import_gateway)
    page.get_by_role("button", name=GATED).click()
    refused = page.locator("#detected").get_by_role("alert")  # detection needs a token the gateway does not have
    expect(refused).to_contain_text("FORBIDDEN")
    expect(refused.locator(".hint")).to_contain_text("tokenSecret")

    target = f"dash-{uuid.uuid4().hex[:8]}"
    form = page.get_by_role("form", name="Import")
    form.get_by_label("Name", exact=True).fill(target)
    form.get_by_label("Token secret (optional)").fill("hf")  # a cluster-wide model's secret needs a namespace
    form.get_by_role("button", name="Import").click()
    invalid = form.locator(".outcome").get_by_role("alert")
    expect(invalid).to_contain_text("INVALID_INPUT")
    expect(invalid.locator("code")).to_contain_text(["INVALID_INPUT", "tokenSecret.namespace"])

    form.get_by_label("Token secret (optional)").fill("")  # then no token at all: the job fails, typed, with a hint
    form.get_by_role("button", name="Import").click()
    job = page.locator("#job")
    expect(job).to_have_attribute("data-state", "FAILED", timeout=LIVE)
    expect(job.locator(".job-state")).to_have_text("FAILED")
    expect(job.locator('li[data-step="failed"]')).to_contain_text("gated")
    failure = job.locator(".outcome").get_by_role("alert")
    expect(failure).to_contain_text("FORBIDDEN")
    expect(failure.locator(".hint")).to_contain_text("tokenSecret")
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{target}").status_code == 404
