"""Detection from plain hub data, without a network: weight formats, parameter estimates against the published
counts, quantization, capabilities, GGUF headers, error mapping, and the OME model spec checked with the
project's CRD validator."""
from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import httpx2
import pytest
import yaml
from huggingface_hub import ModelInfo
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import hf_raise_for_status

from ome_gateway.devcluster.validation import SchemaValidator
from ome_gateway.hf import analysis, gguf, params
from ome_gateway.hf import detect as hub
from ome_gateway.hf.hub import Hub

CRDS = Path(hub.__file__).resolve().parents[1] / "devcluster" / "crds" / "ome.io.yaml"
LLAMA3_8B = {"architectures": ["LlamaForCausalLM"], "attention_bias": False, "hidden_act": "silu", "hidden_size": 4096,
             "intermediate_size": 14336, "max_position_embeddings": 8192, "model_type": "llama",
             "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rope_theta": 500000.0,
             "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0",
             "vocab_size": 128256}
QWEN2_7B = {"architectures": ["Qwen2ForCausalLM"], "hidden_act": "silu", "hidden_size": 3584,
            "intermediate_size": 18944, "max_position_embeddings": 131072, "model_type": "qwen2", "num_attention_heads": 28,
            "num_hidden_layers": 28, "num_key_value_heads": 4, "tie_word_embeddings": False,
            "torch_dtype": "bfloat16", "transformers_version": "4.37.2", "vocab_size": 152064}
QWEN25_05B = {**QWEN2_7B, "hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14,
              "num_hidden_layers": 24, "num_key_value_heads": 2, "tie_word_embeddings": True, "vocab_size": 151936}
MIXTRAL = {"architectures": ["MixtralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
           "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32,
           "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8,
           "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 32000}
BERT_BASE = {"architectures": ["BertForMaskedLM"], "hidden_size": 768, "intermediate_size": 3072,
             "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
             "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 30522}
GPT2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12,
        "n_positions": 1024, "vocab_size": 50257}
LLAVA = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "torch_dtype": "float16",
         "text_config": {**LLAMA3_8B, "intermediate_size": 11008, "num_key_value_heads": 32, "vocab_size": 32064,
                         "max_position_embeddings": 4096},
         "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "image_size": 336,
                           "intermediate_size": 4096, "num_hidden_layers": 24, "patch_size": 14}}
FP8_DYNAMIC = {**LLAMA3_8B, "quantization_config": {"quant_method": "compressed-tensors", "config_groups": {
    "group_0": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "float", "strategy": "channel"}}}}}


@pytest.mark.parametrize("config, published", [
    (LLAMA3_8B, 8.03e9), (QWEN2_7B, 7.62e9), (QWEN25_05B, 0.494e9), (MIXTRAL, 46.7e9), (BERT_BASE, 110e6),
    (GPT2, 124.4e6), (LLAVA, 7.06e9)],
    ids=["llama3-8b", "qwen2-7b", "qwen2.5-0.5b", "mixtral", "bert", "gpt2", "llava"])
def test_parameter_estimates_are_within_a_few_percent(config, published):
    assert params.estimate(config) == pytest.approx(published, rel=0.03)


def test_estimates_need_the_sizes():
    sparse_llava = {**LLAVA, "text_config": {"model_type": "llama", "vocab_size": 32064}}
    assert params.estimate(sparse_llava) is None
    assert params.estimate({"model_type": "llama", "hidden_size": 4096}) is None
    assert params.estimate({}) is None


def test_weight_formats_in_order_of_preference():
    assert analysis.weight_files(["model.onnx", "model-00002-of-00002.safetensors", "config.json",
                                  "model-00001-of-00002.safetensors"]) == (
        "safetensors", ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
    assert analysis.weight_files(["a.Q8_0.gguf", "onnx/model.onnx"]) == ("gguf", ["a.Q8_0.gguf"])
    assert analysis.weight_files(["onnx/model.onnx", "pytorch_model.bin"]) == ("onnx", ["onnx/model.onnx"])
    assert analysis.weight_files(["pytorch_model.bin", "training_args.bin"]) == ("pytorch", ["pytorch_model.bin"])
    assert analysis.weight_files(["training_args.bin", "README.md"]) == (None, [])


@pytest.mark.parametrize("quantization_config, expected", [
    ({"quant_method": "awq", "bits": 4, "group_size": 128}, ("awq", 4, "int4")),
    ({"quant_method": "gptq", "bits": 4, "desc_act": False}, ("gptq", 4, "int4")),
    ({"quant_method": "gptq", "bits": 8}, ("gptq", 8, None)),
    ({"quant_method": "fp8", "activation_scheme": "dynamic"}, ("fp8", 8, "fp8")),
    ({"quant_method": "fbgemm_fp8"}, ("fbgemm_fp8", 8, "fbgemm_fp8")),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True}, ("bitsandbytes", 4, None)),
    (FP8_DYNAMIC["quantization_config"], ("compressed-tensors", 8, "fp8")),
    (None, (None, None, None))])
def test_quantization_from_config(quantization_config, expected):
    assert analysis.quantization({**LLAMA3_8B, "quantization_config": quantization_config}) == expected


def test_capabilities_from_task_library_or_architecture():
    assert analysis.capabilities("text-generation", "transformers", LLAMA3_8B) == ("TEXT_TO_TEXT",)
    assert analysis.capabilities("image-text-to-text", "transformers", LLAVA) == ("IMAGE_TEXT_TO_TEXT",)
    assert analysis.capabilities("feature-extraction", None, None) == ("TEXT_TO_EMBEDDING",)
    assert analysis.capabilities("text-ranking", None, None) == ("RERANK",)
    assert analysis.capabilities(None, "transformers", LLAVA) == ("IMAGE_TEXT_TO_TEXT",)
    assert analysis.capabilities(None, None, MIXTRAL) == ("TEXT_TO_TEXT",)
    assert analysis.capabilities(None, None, {"architectures": ["BertModel"]}) == ("TEXT_TO_EMBEDDING",)
    assert analysis.capabilities(None, "sentence-transformers", BERT_BASE) == ("TEXT_TO_EMBEDDING",)
    assert analysis.capabilities("fill-mask", None, BERT_BASE) == ()


def test_context_and_dtype():
    assert analysis.max_tokens(QWEN2_7B) == 131072
    assert analysis.max_tokens(LLAVA) == 4096  # from the text model
    assert analysis.max_tokens(GPT2) == 1024
    assert analysis.max_tokens({"max_position_embeddings": 2**40}) is None  # does not fit OME's int32
    assert analysis.dtype(LLAMA3_8B, None) == "bfloat16"
    assert analysis.dtype({}, {"F16": 10, "I32": 2}) == "float16"
    assert analysis.dtype({}, None) is None


def _gguf_string(text: str) -> bytes:
    return struct.pack("<Q", len(text.encode())) + text.encode()


def _gguf_value(value) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", 7, value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _gguf_string(value)
    if isinstance(value, float):
        return struct.pack("<If", 6, value)
    if isinstance(value, list) and isinstance(value[0], str):
        return struct.pack("<IIQ", 9, 8, len(value)) + b"".join(_gguf_string(v) for v in value)
    if isinstance(value, list):
        return struct.pack("<IIQ", 9, 5, len(value)) + struct.pack(f"<{len(value)}i", *value)
    return struct.pack("<II", 4, value)


def gguf_file(metadata: dict, version: int = 3) -> bytes:
    """A GGUF file's header as llama.cpp writes it (the tensor infos and data left out)."""
    head = b"GGUF" + struct.pack("<IQQ", version, 291, len(metadata))
    return head + b"".join(_gguf_string(k) + _gguf_value(v) for k, v in metadata.items())


LLAMA3_GGUF = {"general.architecture": "llama", "general.name": "Meta Llama 3 8B Instruct", "general.file_type": 15,
               "llama.block_count": 32, "llama.context_length": 8192, "llama.embedding_length": 4096,
               "llama.feed_forward_length": 14336, "llama.attention.head_count": 32,
               "llama.attention.head_count_kv": 8, "llama.rope.freq_base": 500000.0, "tokenizer.ggml.model": "gpt2",
               "tokenizer.ggml.tokens": [f"token{i}" for i in range(128256)],
               "tokenizer.ggml.token_type": [1] * 128256, "tokenizer.ggml.add_bos_token": True}


def test_gguf_header_from_the_first_64_kib():
    data = gguf_file(LLAMA3_GGUF)
    assert len(data) > gguf.HEADER_BYTES
    header = gguf.read_header(data[:gguf.HEADER_BYTES])
    assert (header.version, header.tensor_count, header.complete) == (3, 291, False)
    assert header.metadata["general.name"] == "Meta Llama 3 8B Instruct"
    assert header.metadata["llama.rope.freq_base"] == 500000.0
    assert "tokenizer.ggml.tokens" not in header.metadata and "tokenizer.ggml.token_type" not in header.metadata
    assert header.array_lengths == {"tokenizer.ggml.tokens": 128256}  # the count comes before the items
    config = gguf.as_config(header)
    assert config["architectures"] == ["LlamaForCausalLM"] and config["vocab_size"] == 128256
    assert params.estimate(config) == 8030261248  # Llama-3-8B's exact count
    assert gguf.quantization_of(header, "whatever.gguf") == "Q4_K_M"


def test_gguf_header_complete_and_invalid():
    small = gguf.read_header(gguf_file({"general.architecture": "qwen2", "tokenizer.ggml.token_type": [1] * 100,
                                        "tokenizer.ggml.tokens": ["a", "b"], "general.name": "Qwen2"}))
    assert small.complete and small.metadata["tokenizer.ggml.tokens"] == ["a", "b"]
    assert small.array_lengths["tokenizer.ggml.token_type"] == 100 and small.metadata["general.name"] == "Qwen2"
    assert "tokenizer.ggml.token_type" not in small.metadata
    moe = gguf.as_config(gguf.read_header(gguf_file({"general.architecture": "llama", "llama.expert_count": 8})))
    assert moe["architectures"] == ["MixtralForCausalLM"]
    for bad in (b"", b"GGUF\x03\x00", b"PK\x03\x04" + bytes(20), gguf_file({}, version=1)):
        with pytest.raises(ValueError):
            gguf.read_header(bad)


@pytest.mark.parametrize("name, expected", [
    ("Meta-Llama-3-8B-Instruct-Q4_K_M.gguf", "Q4_K_M"), ("llama-2-7b.Q5_K_S.gguf", "Q5_K_S"),
    ("models/qwen2-7b-instruct-q8_0.gguf", "Q8_0"), ("Phi-3-mini-IQ3_XS.gguf", "IQ3_XS"),
    ("gemma-2b-f16.gguf", "F16"), ("model-00001-of-00002.gguf", None), ("model.gguf", None)])
def test_gguf_quantization_from_the_file_name(name, expected):
    assert gguf.quantization_of(None, name) == expected


def model_info(repo_id: str, files: dict[str, int], **data) -> ModelInfo:
    """Model info as the hub's JSON gives it (files_metadata=True)."""
    siblings = [{"rfilename": name, "size": size} for name, size in files.items()]
    return ModelInfo(id=repo_id, sha="c0ffee" * 6 + "abcd", siblings=siblings, **data)


LLAMA_FILES = {"config.json": 654, "model-00001-of-00002.safetensors": 4976698672,
               "model-00002-of-00002.safetensors": 3084351480, "tokenizer.json": 9085657, "README.md": 3000}


def test_detection_of_a_safetensors_repository():
    info = model_info("meta-llama/Meta-Llama-3-8B-Instruct", LLAMA_FILES, pipeline_tag="text-generation",
                      library_name="transformers", gated="manual", cardData={"license": "llama3"},
                      safetensors={"parameters": {"BF16": 8030261248}, "total": 8030261248})
    found = hub.detection_of(info, LLAMA3_8B, None, "main", requests=2)
    assert (found.format, found.format_version, found.framework, found.framework_version) == (
        "safetensors", "1.0.0", "transformers", "4.40.0.dev0")
    assert (found.architecture, found.model_type, found.dtype, found.max_tokens) == (
        "LlamaForCausalLM", "llama", "bfloat16", 8192)
    assert (found.parameter_count, found.parameter_size, found.parameters_estimated) == (8030261248, "8B", False)
    assert found.total_size_bytes == 4976698672 + 3084351480
    assert (found.capabilities, found.gated, found.license, found.hub_requests) == (
        ("TEXT_TO_TEXT",), True, "llama3", 2)
    assert (found.quantization, found.ome_quantization, found.revision) == (None, None, info.sha)


def test_packed_int4_weights_are_counted_from_the_config():
    awq = {**LLAMA3_8B, "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}}
    info = model_info("acme/llama-awq", {"config.json": 900, "model.safetensors": 5700000000},
                      safetensors={"parameters": {"I32": 879230976, "F16": 1105465344}, "total": 1984696320})
    found = hub.detection_of(info, awq, None)
    assert (found.parameter_size, found.parameters_estimated) == ("8B", True)
    assert (found.quantization, found.quantization_bits, found.ome_quantization) == ("awq", 4, "int4")
    fp8 = hub.detection_of(model_info("acme/llama-fp8", {"config.json": 1, "model.safetensors": 9}), FP8_DYNAMIC, None)
    assert (fp8.quantization, fp8.ome_quantization, fp8.parameters_estimated) == ("compressed-tensors", "fp8", True)


def test_detection_of_gguf_repositories():
    files = {"llama-3-8b.Q8_0.gguf": 8540770880, "llama-3-8b.Q4_K_M.gguf": 4920734272, "README.md": 100}
    header = gguf.read_header(gguf_file(LLAMA3_GGUF)[:gguf.HEADER_BYTES])
    found = hub.detection_of(model_info("acme/llama-gguf", files), None, header)
    assert (found.format, found.framework, found.architecture, found.model_type) == (
        "gguf", None, "LlamaForCausalLM", "llama")
    assert (found.quantization, found.parameter_size, found.parameters_estimated, found.max_tokens) == (
        "Q4_K_M", "8B", True, 8192)
    assert found.total_size_bytes == 8540770880 + 4920734272
    summary = {"total": 8030261312, "architecture": "llama", "context_length": 8192}
    hubbed = hub.detection_of(model_info("acme/llama-gguf", files, gguf=summary, pipeline_tag="text-generation"),
                              None, None)
    assert (hubbed.architecture, hubbed.parameter_count, hubbed.parameters_estimated, hubbed.max_tokens) == (
        "LlamaForCausalLM", 8030261312, False, 8192)
    assert (hubbed.quantization, hubbed.capabilities) == ("Q4_K_M", ("TEXT_TO_TEXT",))
    assert hub.gguf_file(["m-Q2_K.gguf", "m-Q8_0.gguf"]) == "m-Q2_K.gguf"


def test_detection_of_a_repository_without_config():
    found = hub.detection_of(model_info("acme/pickle", {"pytorch_model.bin": 8, "README.md": 1}), None, None)
    assert (found.format, found.framework, found.architecture, found.parameter_count) == ("pytorch", None, None, None)
    assert found.capabilities == () and hub.model_spec(found)["modelFormat"] == {"name": "pytorch", "version": "1.0.0"}


def test_detection_survives_the_cache_round_trip():
    found = hub.detection_of(model_info("acme/llava", {"config.json": 1, "model.safetensors": 2},
                                        pipeline_tag="image-text-to-text"), LLAVA, None, "v2", 2)
    data = json.loads(json.dumps(dataclasses.asdict(found)))
    assert hub.Detection(**{**data, "capabilities": tuple(data["capabilities"])}) == found


@pytest.fixture(scope="module")
def validators() -> dict[str, SchemaValidator]:
    crds = [d for d in yaml.safe_load_all(CRDS.read_text()) if d and d.get("kind") == "CustomResourceDefinition"]
    return {c["spec"]["names"]["kind"]: SchemaValidator(v["schema"]["openAPIV3Schema"])
            for c in crds if c["spec"]["names"]["kind"] in ("BaseModel", "ClusterBaseModel")
            for v in c["spec"]["versions"] if v["name"] == "v1beta1"}


def _kept(sent, stored) -> bool:
    """Whether everything sent survived pruning (defaults may have been added)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(k in stored and _kept(v, stored[k]) for k, v in sent.items())
    return sent == stored


@pytest.mark.parametrize("kind", ["BaseModel", "ClusterBaseModel"])
def test_model_specs_validate_against_the_crd(validators, kind):
    quantized = {**FP8_DYNAMIC, "max_position_embeddings": 131072}
    cases = [(LLAMA_FILES, LLAMA3_8B, {"pipeline_tag": "text-generation", "cardData": {"license": "llama3"}}),
             ({"config.json": 1, "model.safetensors": 2}, quantized, {}),
             ({"config.json": 1, "model.safetensors": 2}, LLAVA, {"pipeline_tag": "image-text-to-text"}),
             ({"m.Q4_K_M.gguf": 3}, None, {"gguf": {"total": 8030261312, "architecture": "llama"}}),
             ({"README.md": 1}, None, {})]
    for files, config, data in cases:
        found = hub.detection_of(model_info("acme/model", files, **data), config, None, "v1")
        spec = hub.model_spec(found, key="hf-token", path="/raid/models/acme/model")
        obj = {"apiVersion": "ome.io/v1beta1", "kind": kind, "metadata": {"name": "model"}, "spec": spec}
        stored = json.loads(json.dumps(obj))
        assert validators[kind].apply(stored) == [], spec
        assert _kept(obj, stored), spec
    assert spec["storage"] == {"storageUri": "hf://acme/model@v1", "key": "hf-token", "path": "/raid/models/acme/model"}


def test_model_spec_fields():
    info = model_info("acme-quant/llama-3-8b-fp8", {"config.json": 1, "model.safetensors": 2},
                      pipeline_tag="text-generation")
    spec = hub.model_spec(hub.detection_of(info, {**LLAMA3_8B, "quantization_config": {"quant_method": "fp8"}}, None))
    assert spec["storage"] == {"storageUri": "hf://acme-quant/llama-3-8b-fp8"}
    assert spec["modelFormat"] == {"name": "safetensors", "version": "1.0.0"}
    assert spec["modelFramework"] == {"name": "transformers", "version": "4.40.0.dev0"}
    assert (spec["modelArchitecture"], spec["modelType"], spec["modelParameterSize"], spec["quantization"]) == (
        "LlamaForCausalLM", "llama", "8B", "fp8")
    assert (spec["maxTokens"], spec["modelCapabilities"], spec["vendor"]) == (8192, ["TEXT_TO_TEXT"], "acme-quant")
    assert spec["modelConfiguration"]["context_length"] == 8192 and not spec["modelConfiguration"]["has_vision"]
    found = hub.detection_of(info, LLAMA3_8B, None, "main")
    assert hub.model_spec(found, storage_uri="hf://mirror/llama")["storage"] == {"storageUri": "hf://mirror/llama"}
    assert hub.model_spec(found)["storage"] == {"storageUri": "hf://acme-quant/llama-3-8b-fp8"}


def http_error(status: int, url: str, **headers) -> HfHubHTTPError:
    """The error huggingface_hub raises for a hub response."""
    response = httpx2.Response(status, headers=headers, json={"error": "x"}, request=httpx2.Request("GET", url))
    with pytest.raises(HfHubHTTPError) as caught:
        hf_raise_for_status(response)
    return caught.value


@pytest.mark.parametrize("status, headers, token, code", [
    (404, {"X-Error-Code": "RepoNotFound"}, None, "NOT_FOUND"),
    (404, {"X-Error-Code": "RevisionNotFound"}, None, "NOT_FOUND"),
    (401, {"X-Error-Code": "GatedRepo"}, None, "FORBIDDEN"),
    (403, {"X-Error-Code": "GatedRepo"}, "hf_x", "FORBIDDEN"),
    (401, {"X-Error-Message": "Invalid credentials in Authorization header"}, "hf_x", "FORBIDDEN"),
    (400, {}, None, "INVALID_INPUT"),
    (503, {}, None, "UPSTREAM_UNAVAILABLE"),
    (429, {"Retry-After": "1"}, None, "UPSTREAM_UNAVAILABLE")])
def test_hub_errors_map_to_codes(status, headers, token, code):
    error = http_error(status, "https://hub.test/api/models/acme/model/revision/v9", **headers)
    mapped = Hub("acme/model", token, "https://hub.test", "v9").error(error, 3)
    assert mapped.code == code and mapped.message
    assert (mapped.hint is not None) == (code == "FORBIDDEN" or (status, token) == (404, None) and
                                         "RepoNotFound" in headers.values())


def test_invalid_repository_ids():
    with pytest.raises(hub.HubError) as caught:
        hub.detect("not//valid")
    assert caught.value.code == "INVALID_INPUT"
