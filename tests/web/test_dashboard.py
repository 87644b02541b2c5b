"""The dashboard at / in a real browser (Debian's chromium driven by playwright), against the session's gateway and
dev cluster: the overview, live changes, the service view, the scale control, the token and reconnection.

OME_GATEWAY_SCREENSHOTS=1 also writes docs/screenshots/overview.png and service.png."""
from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest

from support import OME, ROOT

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
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield page
    context.close()
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
    for module in ("main.js", "gql.js", "dom.js", "overview.js", "service.js", "scale.js"):
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
