"""The offline Hub as the real huggingface_hub client sees it, over HTTP from a `ome-gateway hub` subprocess."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError,
                                    RevisionNotFoundError)

LLAMA = "acme-llm/llama-3-8b-instruct"
GATED = "acme-gated/llama-3-70b-gated"
GGUF = "acme-gguf/llama-3-8b-gguf"
SHARD = "model-00001-of-00002.safetensors"


@pytest.fixture
def api(hub_url):
    assert not constants.HF_HUB_OFFLINE  # the client really goes over HTTP
    httpx.delete(f"{hub_url}/_hub/requests")
    httpx.put(f"{hub_url}/_hub/faults", json={"error_rate": 0, "throttle_next": 0, "fail_next": 0})
    return HfApi(endpoint=hub_url, token=False)


def ids(models) -> list[str]:
    return [m.id for m in models]


def test_list_models_search_author_filter_sort_limit(api):
    assert sorted(ids(api.list_models(search="llama-3"))) == sorted(
        [LLAMA, GATED, GGUF, "acme-quant/llama-3-8b-awq", "acme-quant/llama-3-8b-fp8"])
    assert sorted(ids(api.list_models(author="acme-quant"))) == [
        "acme-quant/llama-3-8b-awq", "acme-quant/llama-3-8b-fp8", "acme-quant/qwen2-7b-gptq"]
    assert ids(api.list_models(filter="gguf")) == [GGUF]
    assert ids(api.list_models(filter=["text-generation", "awq"])) == ["acme-quant/llama-3-8b-awq"]
    assert sorted(ids(api.list_models(pipeline_tag="feature-extraction"))) == [
        "acme-embed/bert-base-embed", "acme-misc/onnx-bert"]
    assert sorted(ids(api.list_models(num_parameters="min:40B"))) == [GATED, "acme-llm/mixtral-8x7b"]
    top = list(api.list_models(sort="downloads", limit=3))
    assert ids(top) == ["acme-embed/bert-base-embed", LLAMA, "acme-llm/qwen2-7b-instruct"]
    assert top[0].downloads > top[1].downloads > top[2].downloads and top[0].sha is None
    assert ids(api.list_models(sort="likes", limit=1)) == [GATED]
    assert ids(api.list_models(sort="created_at", limit=1)) == ["acme-llm/qwen2-7b-instruct"]
    full = {m.id: m for m in api.list_models(author="acme-quant", full=True, fetch_config=True)}
    assert full["acme-quant/qwen2-7b-gptq"].config["quantization_config"]["quant_method"] == "gptq"
    assert full["acme-quant/llama-3-8b-awq"].sha and full["acme-quant/llama-3-8b-awq"].siblings
    assert list(api.list_models(search="no-such-model")) == []


def test_model_info_reports_files_parameters_and_gating(api):
    info = api.model_info(LLAMA, files_metadata=True)
    assert len(info.sha) == 40 and info.pipeline_tag == "text-generation" and info.library_name == "transformers"
    assert {"text-generation", "transformers", "safetensors", "llama"} <= set(info.tags)
    assert info.config["architectures"] == ["LlamaForCausalLM"] and info.gated is False
    assert info.safetensors.parameters == {"BF16": 8030261248} and info.safetensors.total == 8030261248
    files = {s.rfilename: s for s in info.siblings}
    assert {"config.json", SHARD, "model-00002-of-00002.safetensors", "model.safetensors.index.json",
            "tokenizer.json", "generation_config.json", "README.md"} <= set(files)
    assert files[SHARD].lfs.size == files[SHARD].size > 8 and len(files[SHARD].lfs.sha256) == 64
    assert files["config.json"].lfs is None and files["config.json"].size > 0 and files["config.json"].blob_id
    assert all(s.size is None for s in api.model_info(LLAMA).siblings)
    awq = api.model_info("acme-quant/llama-3-8b-awq")
    assert awq.config["quantization_config"] == {"quant_method": "awq", "bits": 4, "group_size": 128,
                                                 "zero_point": True, "version": "gemm"}
    assert api.model_info("acme-llm/mixtral-8x7b").safetensors.total == 46702792704
    assert api.model_info("acme-vision/llava-1.5-7b").pipeline_tag == "image-text-to-text"
    gguf = api.model_info(GGUF)
    assert gguf.gguf["architecture"] == "llama" and gguf.gguf["context_length"] == 8192 and gguf.safetensors is None
    assert "gguf" in gguf.tags and not any(s.rfilename == "config.json" for s in gguf.siblings)
    assert api.model_info(GATED).gated == "manual"  # without a token, like huggingface.co
    only = api.model_info(LLAMA, expand=["safetensors", "sha"])
    assert only.sha == info.sha and only.safetensors.total == 8030261248 and only.tags is None


def test_download_and_revisions(api, hub_url, tmp_path):
    main_sha, v1 = api.model_info(LLAMA).sha, api.model_info(LLAMA, revision="v1")
    assert len(v1.sha) == 40 and v1.sha != main_sha
    path = Path(hf_hub_download(LLAMA, "config.json", cache_dir=tmp_path, endpoint=hub_url, token=False))
    assert path.parent.name == main_sha and path.is_relative_to(tmp_path)
    config = json.loads(path.read_text())
    assert config["model_type"] == "llama" and config["num_key_value_heads"] == 8
    assert config["max_position_embeddings"] == 8192 and config["vocab_size"] == 128256
    old = Path(hf_hub_download(LLAMA, "config.json", revision="v1", cache_dir=tmp_path, endpoint=hub_url, token=False))
    assert old.parent.name == v1.sha and json.loads(old.read_text())["max_position_embeddings"] == 4096
    by_sha = hf_hub_download(LLAMA, "config.json", revision=v1.sha, cache_dir=tmp_path, endpoint=hub_url, token=False)
    assert json.loads(Path(by_sha).read_text())["max_position_embeddings"] == 4096
    assert {b.name: b.target_commit for b in api.list_repo_refs(LLAMA).branches} == {"main": main_sha, "v1": v1.sha}
    nested = hf_hub_download("acme-embed/bert-base-embed", "1_Pooling/config.json", cache_dir=tmp_path,
                             endpoint=hub_url, token=False)
    assert json.loads(Path(nested).read_text())["pooling_mode_mean_tokens"] is True


def test_tree_and_paths_info(api):
    assert "1_Pooling/config.json" in api.list_repo_files("acme-embed/bert-base-embed")
    top = {e.path: type(e).__name__ for e in api.list_repo_tree("acme-embed/bert-base-embed")}
    assert top["1_Pooling"] == "RepoFolder" and top["config.json"] == "RepoFile" and "1_Pooling/config.json" not in top
    inner = [e.path for e in api.list_repo_tree("acme-embed/bert-base-embed", path_in_repo="1_Pooling")]
    assert inner == ["1_Pooling/config.json"]
    shard = next(e for e in api.list_repo_tree(LLAMA, expand=True) if e.path == SHARD)
    assert shard.lfs.size == shard.size and shard.last_commit.oid == api.model_info(LLAMA).sha
    found = api.get_paths_info(LLAMA, [SHARD, "config.json", "missing.txt"])
    assert sorted(e.path for e in found) == ["config.json", SHARD]


def test_head_metadata_and_byte_ranges(api, hub_url):
    info = api.model_info(LLAMA, files_metadata=True)
    sibling = next(s for s in info.siblings if s.rfilename == SHARD)
    url = hf_hub_url(LLAMA, SHARD, endpoint=hub_url)
    meta = get_hf_file_metadata(url, token=False)
    assert (meta.commit_hash, meta.etag, meta.size) == (info.sha, sibling.lfs.sha256, sibling.size)
    head = httpx.head(url)
    assert head.headers["x-linked-size"] == str(sibling.size) and head.headers["accept-ranges"] == "bytes"
    first = httpx.get(url, headers={"Range": "bytes=0-7"})
    assert first.status_code == 206 and first.headers["content-range"] == f"bytes 0-7/{sibling.size}"
    (length,) = struct.unpack("<Q", first.content)
    header = httpx.get(url, headers={"Range": f"bytes=8-{length + 7}"})
    assert header.status_code == 206 and len(header.content) == length
    tensors = json.loads(header.content)
    assert tensors.pop("__metadata__") == {"format": "pt"}
    assert 8 + length + max(t["data_offsets"][1] for t in tensors.values()) == sibling.size
    parsed = api.parse_safetensors_file_metadata(LLAMA, SHARD).tensors
    assert {k: [t.dtype, t.shape, list(t.data_offsets)] for k, t in parsed.items()} == {
        k: [t["dtype"], t["shape"], t["data_offsets"]] for k, t in tensors.items()} != {}
    whole = httpx.get(url).content
    assert len(whole) == sibling.size and httpx.get(url, headers={"Range": "bytes=-5"}).content == whole[-5:]
    assert httpx.get(url, headers={"Range": f"bytes={length}-"}).content == whole[length:]
    refused = httpx.get(url, headers={"Range": f"bytes={sibling.size}-"})
    assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{sibling.size}"
    config = httpx.head(hf_hub_url(LLAMA, "config.json", endpoint=hub_url))
    assert "x-linked-etag" not in config.headers and config.headers["etag"].strip('"') == next(
        s.blob_id for s in info.siblings if s.rfilename == "config.json")


def read_gguf(data: bytes) -> tuple[dict, dict, int]:
    """Metadata, tensor infos (dims, type, offset) and data start of a GGUF v3 file, checking its structure."""
    assert data[:4] == b"GGUF"
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    assert version == 3
    pos = 24
    scalars = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string():
        nonlocal pos
        size = take("<Q")
        pos += size
        return data[pos - size:pos].decode()

    def value(kind):
        if kind == 8:
            return string()
        if kind == 9:
            item_kind, count = take("<IQ")
            return [value(item_kind) for _ in range(count)]
        return take(scalars[kind])

    metadata = {}
    for _ in range(n_kv):
        key = string()
        metadata[key] = value(take("<I"))
    tensors = {}
    for _ in range(n_tensors):
        name = string()
        dims = take(f"<{take('<I')}Q")
        tensors[name] = ((dims,) if isinstance(dims, int) else dims, *take("<IQ"))
    alignment = metadata.get("general.alignment", 32)
    return metadata, tensors, pos + -pos % alignment


def test_gguf_file_is_well_formed(api, hub_url, tmp_path):
    path = hf_hub_download(GGUF, "llama-3-8b.Q4_K_M.gguf", cache_dir=tmp_path, endpoint=hub_url, token=False)
    data = Path(path).read_bytes()
    metadata, tensors, start = read_gguf(data)
    summary = api.model_info(GGUF).gguf
    assert metadata["general.architecture"] == summary["architecture"] == "llama"
    assert metadata["llama.context_length"] == summary["context_length"] == 8192
    assert metadata["general.file_type"] == 15 and metadata["llama.attention.head_count_kv"] == 8
    assert metadata["tokenizer.ggml.tokens"][:2] == ["<|begin_of_text|>", "<|eot_id|>"]
    assert tensors == {"token_embd.weight": ((4, 3), 0, 0), "output_norm.weight": ((4,), 0, 64)}
    assert start % 32 == 0 and len(data) == start + 64 + 32  # F32 data, each tensor padded to the alignment


def test_missing_repo_revision_and_file_raise_client_errors(api, hub_url, tmp_path):
    with pytest.raises(RepositoryNotFoundError) as missing:
        api.model_info("acme-llm/no-such-model")
    assert type(missing.value) is RepositoryNotFoundError and missing.value.response.status_code == 404
    with pytest.raises(RevisionNotFoundError):
        api.model_info(LLAMA, revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(LLAMA, "config.json", revision="v9", cache_dir=tmp_path, endpoint=hub_url, token=False)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(LLAMA, "nope.json", cache_dir=tmp_path, endpoint=hub_url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "config.json", cache_dir=tmp_path, endpoint=hub_url, token=False)
    raw = httpx.get(f"{hub_url}/api/models/nobody/nothing")
    assert raw.status_code == 404 and raw.headers["x-error-code"] == "RepoNotFound"
    assert raw.json() == {"error": "Repository not found"}
    bad = httpx.get(f"{hub_url}/api/models/{LLAMA}", headers={"Authorization": "Bearer hf_bogus"})
    assert bad.status_code == 401 and "x-error-code" not in bad.headers
    assert bad.json() == {"error": "Invalid credentials in Authorization header"}
    with pytest.raises(HfHubHTTPError) as invalid:
        api.model_info(LLAMA, token="hf_bogus")
    assert not isinstance(invalid.value, RepositoryNotFoundError) and invalid.value.response.status_code == 401


def test_gated_repo_needs_a_granted_token(api, hub_url, tmp_path):
    def download(token):
        return hf_hub_download(GATED, "config.json", cache_dir=tmp_path, endpoint=hub_url, token=token)

    with pytest.raises(GatedRepoError) as anonymous:
        download(False)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as denied:
        download("hf_denied_token")
    assert denied.value.response.status_code == 403
    assert json.loads(Path(download("hf_granted_token")).read_text())["hidden_size"] == 8192
    assert api.model_info(GATED, token="hf_denied_token").gated == "manual"
    assert api.whoami(token="hf_granted_token")["name"] == "granted-user"
    assert api.whoami(token="hf_denied_token")["name"] == "denied-user"


def test_fault_knobs_throttle_and_fail(api, hub_url):
    httpx.put(f"{hub_url}/_hub/faults", json={"throttle_next": 1})
    assert ids(api.list_models(author="acme-embed")) == ["acme-embed/bert-base-embed"]  # retried after Retry-After
    counts = httpx.get(f"{hub_url}/_hub/requests").json()
    assert counts["counts"] == {"GET list": 2} and counts["total"] == 2
    httpx.put(f"{hub_url}/_hub/faults", json={"throttle_next": 1})
    throttled = httpx.get(f"{hub_url}/api/models/{LLAMA}")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    httpx.put(f"{hub_url}/_hub/faults", json={"fail_next": 1})
    with pytest.raises(HfHubHTTPError) as failed:
        api.model_info(LLAMA)
    assert failed.value.response.status_code == 503
    assert api.model_info(LLAMA).id == LLAMA
    httpx.put(f"{hub_url}/_hub/faults", json={"error_rate": 1})
    assert httpx.get(f"{hub_url}/api/models/{LLAMA}").status_code == 503
    assert httpx.put(f"{hub_url}/_hub/faults", json={"error_rate": 0}).json()["error_rate"] == 0
    assert httpx.delete(f"{hub_url}/_hub/requests").json() == {"counts": {}, "total": 0}
