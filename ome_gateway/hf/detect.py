"""Detection: what a Hugging Face repository holds, read with at most three hub requests and no weight download
(the model info with file sizes, config.json, and the first 64 KiB of a GGUF file when the hub has no GGUF
summary), and the OME model spec an import of it creates. Blocking: callers run it in a thread."""
from __future__ import annotations

import dataclasses

from huggingface_hub import ModelInfo, hf_hub_url

from . import analysis, gguf, params
from .hub import SORTS, Hub, HubError, gated
from ..ome.sizes import format_size

__all__ = ["Detection", "HubError", "detect", "detection_of", "model_spec", "search"]


@dataclasses.dataclass(frozen=True)
class Detection:
    """Plain JSON-able values only: the metadata cache stores it with dataclasses.asdict."""
    repo_id: str
    ref: str | None  # the branch, tag or commit asked for; None for the default branch
    revision: str | None  # the commit read
    format: str | None
    format_version: str | None
    framework: str | None
    framework_version: str | None
    architecture: str | None
    model_type: str | None
    parameter_count: int | None
    parameter_size: str | None
    parameters_estimated: bool  # computed from config.json (see params.py), not counted by the hub
    quantization: str | None  # as found: "awq", "gptq", "fp8", "compressed-tensors", "Q4_K_M"...
    quantization_bits: int | None
    ome_quantization: str | None  # OME's name for the scheme: "fp8", "fbgemm_fp8", "int4"...
    dtype: str | None
    total_size_bytes: int | None  # of the weight files of `format`
    max_tokens: int | None
    capabilities: tuple[str, ...]
    pipeline_tag: str | None
    library: str | None
    gated: bool
    license: str | None
    hub_requests: int


def detect(repo_id: str, revision: str | None = None, token: str | None = None,
           endpoint: str | None = None) -> Detection:
    """Detect what `repo_id` at `revision` holds; raises HubError. Without a token a gated repository is
    FORBIDDEN (the hub would refuse its files), and no locally saved token is ever used."""
    hub = Hub(repo_id, token, endpoint, revision)
    info = hub.call(hub.api.model_info, repo_id, revision=revision, files_metadata=True, timeout=hub.timeout,
                    token=token or False)
    if info.gated and token is None:
        raise gated(repo_id, token)
    files = {s.rfilename for s in info.siblings or ()}
    fmt, weights = analysis.weight_files(files)
    config = hub.call(hub.json, hf_hub_url(repo_id, "config.json", revision=info.sha, endpoint=hub.endpoint)) \
        if "config.json" in files else None
    header = None
    if fmt == "gguf" and not info.gguf:
        url = hf_hub_url(repo_id, gguf_file(weights), revision=info.sha, endpoint=hub.endpoint)
        header = hub.call(hub.gguf_header, url)
    return detection_of(info, config if isinstance(config, dict) else None, header, revision, hub.requests)


def gguf_file(weights: list[str]) -> str:
    """The GGUF file detection reads: a Q4_K_M one when there is one (the usual default), else the first by name
    (for split files, the first part, which holds the header)."""
    return next((w for w in weights if gguf.quantization_of(None, w) == "Q4_K_M"), weights[0])


def detection_of(info: ModelInfo, config: dict | None, header: gguf.Header | None, ref: str | None = None,
                 requests: int = 0) -> Detection:
    """The detection from what the hub returned: model info, config.json (if any), the GGUF header (if read)."""
    sizes = {s.rfilename: s.size for s in info.siblings or ()}
    fmt, weights = analysis.weight_files(sizes)
    excerpt = info.config if isinstance(info.config, dict) else {}
    config = config if config is not None else gguf.as_config(header) if header else excerpt
    summary = info.safetensors.parameters if info.safetensors else None
    count, estimated = _parameter_count(info, config, summary)
    method, bits, scheme = analysis.quantization(config if "quantization_config" in config else excerpt)
    if fmt == "gguf":
        method = gguf.quantization_of(header, gguf_file(weights))
    framework = "transformers" if fmt in ("safetensors", "pytorch") and "config.json" in sizes else None
    known = [sizes[w] for w in weights if isinstance(sizes[w], int)]
    context = analysis.max_tokens(config) or (info.gguf or {}).get("context_length")
    card = info.card_data.to_dict() if info.card_data else {}
    return Detection(
        repo_id=info.id, ref=ref, revision=info.sha, format=fmt,
        format_version="1.0.0" if fmt in ("safetensors", "pytorch") else None,
        framework=framework, framework_version=config.get("transformers_version") if framework else None,
        architecture=analysis.architecture(config) or analysis.architecture(excerpt) or gguf.ARCHITECTURES.get(
            (info.gguf or {}).get("architecture")),
        model_type=config.get("model_type") or excerpt.get("model_type") or (info.gguf or {}).get("architecture"),
        parameter_count=count, parameter_size=format_size(count) if count else None, parameters_estimated=estimated,
        quantization=method, quantization_bits=bits, ome_quantization=scheme,
        dtype=analysis.dtype(config, summary), total_size_bytes=sum(known) if known else None,
        max_tokens=context if isinstance(context, int) and 0 < context <= analysis.INT32_MAX else None,
        capabilities=analysis.capabilities(info.pipeline_tag, info.library_name, config),
        pipeline_tag=info.pipeline_tag, library=info.library_name, gated=bool(info.gated),
        license=card.get("license") if isinstance(card.get("license"), str) else None, hub_requests=requests)


def _parameter_count(info: ModelInfo, config: dict, summary: dict | None) -> tuple[int | None, bool]:
    """The hub's count (safetensors, else GGUF) unless it counts packed integers; else the config's estimate."""
    if summary and not analysis.packed(summary):
        return info.safetensors.total, False
    total = (info.gguf or {}).get("total")
    if isinstance(total, int) and total > 0:
        return total, False
    guess = params.estimate(config)
    if guess:
        return guess, True
    return (info.safetensors.total, False) if summary else (None, False)


def model_spec(found: Detection, storage_uri: str | None = None, key: str | None = None,
               path: str | None = None) -> dict:
    """The BaseModel/ClusterBaseModel spec an import creates: storage `hf://owner/name[@ref]` (the Secret `key`
    holds the hub token, `path` is where nodes keep the files) and what detection found, in OME's field names."""
    uri = storage_uri or f"hf://{found.repo_id}" + (f"@{found.ref}" if found.ref and found.ref != "main" else "")
    storage = {"storageUri": uri, "key": key, "path": path}
    vision = any(c.startswith(("IMAGE", "VIDEO")) for c in found.capabilities)
    configuration = {"model_type": found.model_type, "architecture": found.architecture,
                     "context_length": found.max_tokens, "parameter_count": found.parameter_size,
                     "has_vision": vision, "transformers_version": found.framework_version,
                     "torch_dtype": found.dtype, "model_size_bytes": found.total_size_bytes,
                     "quantization": found.quantization, "quantization_bits": found.quantization_bits}
    spec = {"vendor": found.repo_id.split("/")[0] if "/" in found.repo_id else None,
            "displayName": found.repo_id.replace("/", "."), "modelType": found.model_type,
            "modelArchitecture": found.architecture,
            "modelFormat": found.format and _named(found.format, found.format_version),
            "modelFramework": found.framework and _named(found.framework, found.framework_version),
            "modelParameterSize": found.parameter_size, "maxTokens": found.max_tokens,
            "quantization": found.ome_quantization, "modelCapabilities": list(found.capabilities),
            "modelConfiguration": _present(configuration), "storage": _present(storage)}
    return _present(spec)


def _named(name: str, version: str | None) -> dict:
    return _present({"name": name, "version": version})


def _present(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def search(query: str | None = None, author: str | None = None, task: str | None = None,
           library: str | None = None, sort: str = "downloads", limit: int = 20, token: str | None = None,
           endpoint: str | None = None) -> list[dict]:
    """Hub models matching the filters, as plain dicts (id, author, downloads, likes, pipeline_tag, library, tags,
    gated, last_modified); raises HubError."""
    if sort not in SORTS:
        raise HubError("INVALID_INPUT", f"sort must be one of {', '.join(SORTS)}")
    hub = Hub(None, token, endpoint)
    return [_result(m) for m in hub.call(hub.list_models, query, author, task, library, sort, limit)]


def _result(model: ModelInfo) -> dict:
    modified = model.last_modified.isoformat() if model.last_modified else None
    return {"id": model.id, "author": model.author or (model.id.split("/")[0] if "/" in model.id else None),
            "downloads": model.downloads, "likes": model.likes, "pipeline_tag": model.pipeline_tag,
            "library": model.library_name, "tags": list(model.tags or []), "gated": bool(model.gated),
            "last_modified": modified}
