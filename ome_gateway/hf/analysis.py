"""What a repository's file names, config.json and hub tags say about its model, in OME's vocabulary: weight format,
quantization, capabilities, context length and dtype. Pure functions of plain data."""
from __future__ import annotations

FORMATS = (("safetensors", (".safetensors",)), ("gguf", (".gguf",)), ("onnx", (".onnx",)),
           ("pytorch", (".bin", ".pt", ".pth")))
SAFETENSORS_DTYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F8_E4M3": "float8_e4m3fn"}
FLOAT_BITS = {"fp8": 8, "fbgemm_fp8": 8, "nvfp4": 4, "mxfp4": 4}  # methods whose name is OME's scheme
PACKED_DTYPES = {"I32", "U8"}  # int4 weights packed 8 to an int32 (AWQ, GPTQ) or 2 to a byte (bitsandbytes)
PIPELINES = {"text-generation": "TEXT_TO_TEXT", "text2text-generation": "TEXT_TO_TEXT",
             "image-text-to-text": "IMAGE_TEXT_TO_TEXT", "visual-question-answering": "IMAGE_TEXT_TO_TEXT",
             "image-to-text": "IMAGE_TO_TEXT", "video-text-to-text": "VIDEO_TEXT_TO_TEXT",
             "audio-text-to-text": "AUDIO_TEXT_TO_TEXT", "feature-extraction": "TEXT_TO_EMBEDDING",
             "sentence-similarity": "TEXT_TO_EMBEDDING", "text-ranking": "RERANK", "text-to-image": "TEXT_TO_IMAGE",
             "automatic-speech-recognition": "SPEECH_TO_TEXT", "text-to-speech": "TEXT_TO_SPEECH"}
GENERATORS = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
INT32_MAX = 2**31 - 1


def weight_files(paths) -> tuple[str | None, list[str]]:
    """The weight format ("safetensors", "gguf", "onnx" or "pytorch", first found in that order) and its files."""
    for name, suffixes in FORMATS:
        found = sorted(p for p in paths if p.endswith(suffixes) and (
            not p.endswith(".bin") or p.rsplit("/", 1)[-1].startswith("pytorch_model")))
        if found:
            return name, found
    return None, []


def quantization(config: dict) -> tuple[str | None, int | None, str | None]:
    """From config.json's quantization_config: the method, its weight bits, and OME's name for the scheme
    ("fp8", "fbgemm_fp8", "int4", "nvfp4", "mxfp4"; None when OME has none)."""
    qc = config.get("quantization_config")
    if not isinstance(qc, dict) or not isinstance(qc.get("quant_method"), str):
        return None, None, None
    method = qc["quant_method"].lower()
    bits, kind = qc.get("bits") or qc.get("w_bit"), None
    if method == "bitsandbytes":
        bits = 4 if qc.get("load_in_4bit") else 8 if qc.get("load_in_8bit") else None
    if method == "compressed-tensors":
        weights = [g.get("weights") or {} for g in (qc.get("config_groups") or {}).values() if isinstance(g, dict)]
        bits, kind = (weights[0].get("num_bits"), weights[0].get("type")) if weights else (None, None)
    bits = bits if isinstance(bits, int) else FLOAT_BITS.get(method)
    if method in FLOAT_BITS:
        scheme = method
    elif method == "compressed-tensors" and kind == "float" and bits == 8:
        scheme = "fp8"
    else:
        scheme = "int4" if bits == 4 and method in ("awq", "gptq", "compressed-tensors", "marlin") else None
    return method, bits, scheme


def packed(parameters: dict[str, int] | None) -> bool:
    """Whether hub-counted parameters are packed integers (then they undercount the model)."""
    return bool(parameters) and not PACKED_DTYPES.isdisjoint(parameters)


def capabilities(pipeline_tag: str | None, library: str | None, config: dict | None) -> tuple[str, ...]:
    """OME model capabilities from the hub's task, else from the library and the config's architecture."""
    if pipeline_tag in PIPELINES:
        return (PIPELINES[pipeline_tag],)
    config = config or {}
    arch = architecture(config) or ""
    if library == "sentence-transformers":
        return ("TEXT_TO_EMBEDDING",)
    if arch.endswith(GENERATORS):
        return ("IMAGE_TEXT_TO_TEXT",) if "vision_config" in config else ("TEXT_TO_TEXT",)
    if arch.endswith("Model"):
        return ("TEXT_TO_EMBEDDING",)
    return ()


def architecture(config: dict) -> str | None:
    found = config.get("architectures")
    return found[0] if isinstance(found, list) and found and isinstance(found[0], str) else None


def max_tokens(config: dict) -> int | None:
    """The context length: the config's (or its text model's) position limit, when it fits OME's int32."""
    for source in (config, config.get("text_config") or {}):
        for key in CONTEXT_KEYS:
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT32_MAX:
                return value
    return None


def dtype(config: dict, parameters: dict[str, int] | None) -> str | None:
    """The weights' torch dtype: the config's, else the dtype holding most of the hub-counted parameters."""
    found = config.get("torch_dtype") or config.get("dtype")
    if isinstance(found, str):
        return found
    if parameters:
        top = max(parameters, key=parameters.get)
        return SAFETENSORS_DTYPES.get(top, top.lower())
    return None
