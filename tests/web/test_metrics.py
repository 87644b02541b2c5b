"""/metrics: operations, upstream requests, the cache, watches, subscribers, limits and rate limits."""
from __future__ import annotations

import contextlib

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clients import TRANSPORTS, take
from ome_gateway.config import ConfigError, Settings
from ome_gateway.web.app import create_app
from support import OME, Gateway, wait_for

OPS = "ome_gateway_graphql_operations_total"
UPSTREAM = "ome_gateway_upstream_requests_total"


class Scrape:
    """One scrape of a gateway's /metrics, read by sample name and labels (absent samples read as 0)."""

    def __init__(self, gateway) -> None:
        resp = gateway.http.get("/metrics")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain"), resp.text
        self.samples = [s for family in text_string_to_metric_families(resp.text) for s in family.samples]

    def __call__(self, metric: str, /, **labels) -> float:
        return sum(s.value for s in self.samples if s.name == metric and s.labels == labels)

    def by(self, name: str, label: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for s in self.samples:
            if s.name == name:
                found[s.labels[label]] = found.get(s.labels[label], 0) + s.value
        return found


def test_operations_are_counted_by_name_type_and_outcome(gateway):
    before = Scrape(gateway)
    for _ in range(2):
        assert gateway.data("query Summary { clusterSummary { services } }")["clusterSummary"]["services"] > 0
    failed = gateway.query("query BadPage { inferenceServices(first: 100000) { totalCount } }")
    assert failed["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    gateway.data("{ __typename }")
    gateway.data(f"query {'L' * 65} {{ __typename }}")  # too long a name for a label
    assert gateway.data("mutation Ping { __typename }") == {"__typename": "Mutation"}
    broken = gateway.query("query Broken { noSuchField }")
    assert broken["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    tokens = gateway.query("query Many { " + "__typename " * 11_000 + "}")
    assert tokens["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"
    after = Scrape(gateway)

    def delta(metric, /, **labels):
        return after(metric, **labels) - before(metric, **labels)

    assert delta(OPS, name="Summary", type="query", outcome="ok") == 2
    assert delta(OPS, name="BadPage", type="query", outcome="INVALID_INPUT") == 1
    assert delta(OPS, name="anonymous", type="query", outcome="ok") == 2
    assert delta(OPS, name="Ping", type="mutation", outcome="ok") == 1
    assert delta(OPS, name="Broken", type="query", outcome="GRAPHQL_VALIDATION_FAILED") == 1
    assert delta(OPS, name="anonymous", type="unknown", outcome="TOO_MANY_TOKENS") == 1  # refused before parsing
    assert delta("ome_gateway_limit_rejections_total", reason="TOO_MANY_TOKENS") == 1
    assert sum(after.by(OPS, "outcome").values()) - sum(before.by(OPS, "outcome").values()) == 8
    seconds = "ome_gateway_graphql_operation_duration_seconds_count"
    assert delta(seconds, type="query") == 6 and delta(seconds, type="mutation") == 1


@pytest.mark.parametrize("query, code", [
    ("{ inferenceServices { edges { node { model { inferenceServices { edges { node { model { inferenceServices { "
     "edges { node { model { inferenceServices { edges { node { name } } } } } } } } } } } } } } } }",
     "QUERY_TOO_DEEP"),
    ("{ " + " ".join(f"a{i}: clusterSummary {{ services }}" for i in range(40)) + " }", "TOO_MANY_ALIASES"),
])
def test_query_limit_rejections_are_counted_by_reason(gateway, query, code):
    before = Scrape(gateway)
    assert gateway.query(query)["errors"][0]["extensions"]["code"] == code
    after = Scrape(gateway)
    assert after("ome_gateway_limit_rejections_total", reason=code) - \
        before("ome_gateway_limit_rejections_total", reason=code) == 1
    assert after(OPS, name="anonymous", type="query", outcome=code) - \
        before(OPS, name="anonymous", type="query", outcome=code) == 1


def test_oversized_bodies_are_counted(gateway):
    before = Scrape(gateway)
    resp = gateway.http.post("/graphql", content=b'{"query": "' + b" " * 2_000_000 + b'{ __typename }"}',
                             headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    after = Scrape(gateway)
    reason = {"reason": "PAYLOAD_TOO_LARGE"}
    assert after("ome_gateway_limit_rejections_total", **reason) - \
        before("ome_gateway_limit_rejections_total", **reason) == 1


def test_upstream_requests_are_counted_by_verb_kind_and_status(uncached_gateway, devcluster):
    labels = {"verb": "list", "kind": "inferenceservices"}
    before = Scrape(uncached_gateway)
    assert uncached_gateway.data("{ inferenceServices { totalCount } }")["inferenceServices"]["totalCount"] >= 0
    middle = Scrape(uncached_gateway)
    devcluster.faults(throttle_next=2)  # answered 429 twice, then the third attempt succeeds
    uncached_gateway.data("{ inferenceServices { totalCount } }")
    after = Scrape(uncached_gateway)
    assert middle(UPSTREAM, code="2xx", **labels) - before(UPSTREAM, code="2xx", **labels) == 1
    assert after(UPSTREAM, code="2xx", **labels) - middle(UPSTREAM, code="2xx", **labels) == 1
    assert after(UPSTREAM, code="4xx", **labels) - middle(UPSTREAM, code="4xx", **labels) == 2
    seconds = "ome_gateway_upstream_request_duration_seconds_count"
    assert after(seconds, verb="list") - before(seconds, verb="list") == 4
    assert not Scrape(uncached_gateway).by("ome_gateway_cache_objects", "kind")  # no cache, no cache gauges


def test_cache_gauges_match_the_cluster(gateway, devcluster):
    def matches():
        held = len(devcluster.http.get(f"{OME}/acceleratorclasses").json()["items"])
        return held if Scrape(gateway)("ome_gateway_cache_objects", kind="acceleratorclasses") == held else None

    assert wait_for(matches) > 0
    synced = Scrape(gateway).by("ome_gateway_cache_synced", "kind")
    assert len(synced) == 9 and set(synced.values()) == {1.0}
    assert Scrape(gateway).by(UPSTREAM, "verb")["watch"] >= 9  # one watch per cached kind at least


def test_dropped_watches_count_as_restarts(gateway, devcluster):
    before = Scrape(gateway).by("ome_gateway_watch_restarts_total", "kind")
    assert devcluster.http.delete("/_devcluster/watches").json()["dropped"] > 0

    def restarted():
        now = Scrape(gateway).by("ome_gateway_watch_restarts_total", "kind")
        return len(now) == 9 and all(now[kind] > before.get(kind, 0) for kind in now)

    wait_for(restarted)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_subscribers_are_gauged_while_subscribed(gateway, transport):
    def subscribers():
        return Scrape(gateway)("ome_gateway_subscribers", transport=transport)

    def ended():
        return Scrape(gateway)(OPS, name="Totals", type="subscription", outcome="ok")

    before, ended_before = subscribers(), ended()
    stream = TRANSPORTS[transport](gateway.url, "subscription Totals { clusterSummary { services } }")
    async with contextlib.aclosing(stream):
        assert (await take(stream, 1))[0]["clusterSummary"]["services"] > 0
        assert subscribers() == before + 1
    wait_for(lambda: subscribers() == before)
    wait_for(lambda: ended() == ended_before + 1)  # the shared execution ends with its last subscriber


def test_rate_limit_rejections_are_counted(devcluster):
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_RATE_LIMIT": "3"})
    try:
        statuses = [gw.http.post("/graphql", json={"query": "{ __typename }"}).status_code for _ in range(8)]
        assert 429 in statuses  # 8 requests in at most two minute windows: one of them has more than 3
        assert Scrape(gw)("ome_gateway_rate_limit_rejections_total") == statuses.count(429)
    finally:
        gw.stop()


def test_metrics_setting():
    assert Settings.from_env({}).metrics is True
    off = Settings.from_env({"OME_GATEWAY_METRICS": "off"})
    assert "/metrics" not in {route.path for route in create_app(off).routes}
    assert "/metrics" in {route.path for route in create_app(Settings.from_env({})).routes}
    with pytest.raises(ConfigError, match="OME_GATEWAY_METRICS"):
        Settings.from_env({"OME_GATEWAY_METRICS": "maybe"})
