"""Runtime compatibility in the graph: ranked verdicts with reasons, the recommended runtime, the reverse link,
and the full report, all answered from the cache."""
from __future__ import annotations

COMPATIBLE = """{ model(name: "bge-m3") { recommendedRuntime { runtime { name } score autoSelect }
  compatibleRuntimes { runtime { name } compatible autoSelect score reasons warnings } } }"""


def test_ranked_runtimes_for_a_model(gateway):
    model = gateway.data(COMPATIBLE)["model"]
    ranked = model["compatibleRuntimes"]
    assert model["recommendedRuntime"] == {"runtime": {"name": "srt-embedding"}, "score": 2, "autoSelect": True}
    assert ranked[0]["runtime"]["name"] == "srt-embedding" and ranked[0]["reasons"] == []
    groups = [0 if m["autoSelect"] else 1 if m["compatible"] else 2 for m in ranked]
    assert groups == sorted(groups) and groups[-1] == 2  # auto-selectable, then compatible, then the rest
    assert all(m["reasons"] for m in ranked if not m["compatible"])
    assert any("architecture mismatch: model has XLMRobertaModel" in r for m in ranked for r in m["reasons"])


def test_accelerator_class_narrows_the_choice(gateway):
    query = """{ model(name: "llama-3-1-8b-instruct") { recommendedRuntime(acceleratorClass: "%s") { runtime { name
      acceleratorClassNames } } } }"""
    for accelerator in ("l4", "h100-80gb"):
        chosen = gateway.data(query % accelerator)["model"]["recommendedRuntime"]
        assert chosen and accelerator in chosen["runtime"]["acceleratorClassNames"]
    assert gateway.data(query % "no-such-class")["model"]["recommendedRuntime"] is None


def test_compatible_models_is_the_reverse_link(gateway):
    data = gateway.data("""{ runtime(name: "srt-embedding") { compatibleModels { name } }
      runtimeCompatibility(model: "bge-m3", runtime: "srt-embedding") { compatible model { name } runtime { name } }
      mismatch: runtimeCompatibility(model: "bge-m3", runtime: "srt-llama-small") { compatible reasons } }""")
    assert {"name": "bge-m3"} in data["runtime"]["compatibleModels"]
    assert data["runtimeCompatibility"] == {"compatible": True, "model": {"name": "bge-m3"},
                                            "runtime": {"name": "srt-embedding"}}
    assert not data["mismatch"]["compatible"] and data["mismatch"]["reasons"]


def test_unknown_names_are_not_found(gateway):
    answer = gateway.query('{ runtimeCompatibility(model: "nope", runtime: "srt-embedding") { compatible } }')
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answer["errors"][0]["extensions"]["fields"] == [{"field": "model", "message": "not found"}]
    answer = gateway.query('{ runtimeCompatibility(model: "bge-m3", runtime: "Bad Name") { compatible } }')
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_the_whole_matrix_costs_no_upstream_request(gateway, devcluster):
    gateway.data("{ models { totalCount } }")
    devcluster.reset_requests()
    data = gateway.data("""{ models(first: 100) { edges { node { name compatibleRuntimes { compatible } } } }
      runtimes(first: 100) { edges { node { compatibleModels { name } } } } }""")
    assert sum(len(e["node"]["compatibleRuntimes"]) for e in data["models"]["edges"]) >= 100
    assert devcluster.requests()["total"] == 0
