"""Detection and search over HTTP against the offline Hub (`ome-gateway hub` in a subprocess): the fields found,
the requests made (its /_hub/requests counts), error codes, retries, and the GGUF Range read."""
from __future__ import annotations


import httpx
import pytest
from huggingface_hub import hf_hub_url

from ome_gateway.hf import detect as hub
from ome_gateway.hf.cache import HubMetadata
from ome_gateway.hf.hub import Hub

LLAMA = "acme-llm/llama-3-8b-instruct"
GGUF = "acme-gguf/llama-3-8b-gguf"
GATED = "acme-gated/llama-3-70b-gated"


@pytest.fixture
def url(hub_url):
    httpx.put(f"{hub_url}/_hub/faults", json={"error_rate": 0, "throttle_next": 0, "fail_next": 0})
    httpx.delete(f"{hub_url}/_hub/requests")
    return hub_url


def counts(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/_hub/requests").json()["counts"]


def test_safetensors_repository_in_two_requests(url):
    found = hub.detect(LLAMA, endpoint=url)
    assert counts(url) == {"GET info": 1, "GET resolve": 1} and found.hub_requests == 2
    assert (found.format, found.framework, found.framework_version, found.architecture) == (
        "safetensors", "transformers", "4.44.0", "LlamaForCausalLM")
    assert (found.parameter_count, found.parameter_size, found.max_tokens, found.dtype) == (
        8030261248, "8B", 8192, "bfloat16")
    assert (found.capabilities, found.license, found.gated, found.ref) == (("TEXT_TO_TEXT",), "llama3", False, None)
    assert hub.model_spec(found)["storage"] == {"storageUri": f"hf://{LLAMA}"}


def test_revisions(url):
    v1 = hub.detect(LLAMA, "v1", endpoint=url)
    assert v1.max_tokens == 4096 and v1.ref == "v1"
    assert v1.revision != hub.detect(LLAMA, endpoint=url).revision
    assert hub.model_spec(v1)["storage"] == {"storageUri": f"hf://{LLAMA}@v1"}
    with pytest.raises(hub.HubError) as caught:
        hub.detect(LLAMA, "v9", endpoint=url)
    assert caught.value.code == "NOT_FOUND" and "v9" in caught.value.message


def test_gguf_repository_from_the_hub_summary(url):
    found = hub.detect(GGUF, endpoint=url)
    assert counts(url) == {"GET info": 1}
    assert (found.format, found.architecture, found.quantization, found.parameter_size, found.max_tokens) == (
        "gguf", "LlamaForCausalLM", "Q4_K_M", "8B", 8192)


def test_gguf_header_with_a_range_request(url):
    reader = Hub(GGUF, None, url)
    header = reader.call(reader.gguf_header, hf_hub_url(GGUF, "llama-3-8b.Q8_0.gguf", endpoint=url))
    assert counts(url) == {"GET resolve": 1} and header.complete
    assert header.metadata["general.architecture"] == "llama" and header.metadata["llama.context_length"] == 8192
    assert hub.gguf.quantization_of(header, "llama-3-8b.Q8_0.gguf") == "Q8_0"


def test_gated_repository_needs_a_granted_token(url):
    with pytest.raises(hub.HubError) as caught:
        hub.detect(GATED, endpoint=url)
    assert caught.value.code == "FORBIDDEN" and "tokenSecret" in caught.value.hint
    assert counts(url) == {"GET info": 1}
    for token in ("hf_denied_token", "hf_unknown_token"):
        with pytest.raises(hub.HubError) as caught:
            hub.detect(GATED, token=token, endpoint=url)
        assert caught.value.code == "FORBIDDEN" and caught.value.hint
    found = hub.detect(GATED, token="hf_granted_token", endpoint=url)
    assert (found.gated, found.parameter_size, found.hub_requests) == (True, "70.6B", 2)


def test_unknown_repository(url):
    with pytest.raises(hub.HubError) as caught:
        hub.detect("acme-llm/nothing-here", endpoint=url)
    assert caught.value.code == "NOT_FOUND" and caught.value.hint


def test_throttling_and_failures_are_retried(url):
    httpx.put(f"{url}/_hub/faults", json={"throttle_next": 2})
    found = hub.detect(LLAMA, endpoint=url)
    assert found.hub_requests == 4 and sum(counts(url).values()) == 4
    httpx.put(f"{url}/_hub/faults", json={"fail_next": 3})
    with pytest.raises(hub.HubError) as caught:
        hub.detect(LLAMA, endpoint=url)
    assert caught.value.code == "UPSTREAM_UNAVAILABLE" and "503" in caught.value.message


def test_unreachable_hub():
    with pytest.raises(hub.HubError) as caught:
        hub.detect(LLAMA, endpoint="http://127.0.0.1:9")
    assert caught.value.code == "UPSTREAM_UNAVAILABLE"


def test_search(url):
    results = hub.search(query="llama-3", sort="likes", limit=2, endpoint=url)
    assert [r["id"] for r in results] == [GATED, LLAMA] and counts(url) == {"GET list": 1}
    assert results[0] | {"tags": []} == {"id": GATED, "author": "acme-gated", "downloads": 700000, "likes": 5000,
                                         "pipeline_tag": "text-generation", "library": "transformers", "tags": [],
                                         "gated": True, "last_modified": results[0]["last_modified"]}
    assert results[0]["last_modified"].startswith("2024-04-17T09:40:00")
    assert [r["id"] for r in hub.search(library="gguf", endpoint=url)] == [GGUF]
    assert {r["id"] for r in hub.search(task="feature-extraction", endpoint=url)} == {
        "acme-embed/bert-base-embed", "acme-misc/onnx-bert"}
    with pytest.raises(hub.HubError) as caught:
        hub.search(sort="stars", endpoint=url)
    assert caught.value.code == "INVALID_INPUT"


async def test_through_the_metadata_cache(url):
    cache = HubMetadata(url, ttl=60)
    first, cached = await cache.detect(LLAMA)
    again, cached_again = await cache.detect(LLAMA)
    assert (cached, cached_again, again) == (False, True, first) and sum(counts(url).values()) == 2
    results = await cache.search(query="qwen", author=None, task=None, library=None, sort="downloads", limit=5)
    assert [r["id"] for r in results] == ["acme-llm/qwen2-7b-instruct", "acme-quant/qwen2-7b-gptq"]
