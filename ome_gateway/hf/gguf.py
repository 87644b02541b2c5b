"""The header of a GGUF file (llama.cpp's format): version, tensor count and metadata, read from its first bytes.

Only the start of the file is fetched, so the metadata may stop part way (the tokenizer's arrays are large and
come last): whatever was read whole is returned. Arrays longer than KEEP_ITEMS are skipped, their lengths kept."""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

HEADER_BYTES = 64 * 1024
KEEP_ITEMS = 64
STRING, ARRAY = 8, 9
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
# llama.cpp's llama_ftype: general.file_type.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
              12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
              19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
              26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
              36: "TQ1_0", 37: "TQ2_0"}
# general.architecture -> the transformers class of the model the file was converted from.
ARCHITECTURES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                 "qwen2moe": "Qwen2MoeForCausalLM", "qwen3": "Qwen3ForCausalLM", "qwen3moe": "Qwen3MoeForCausalLM",
                 "gemma": "GemmaForCausalLM", "gemma2": "Gemma2ForCausalLM", "gemma3": "Gemma3ForCausalLM",
                 "phi2": "PhiForCausalLM", "phi3": "Phi3ForCausalLM", "falcon": "FalconForCausalLM",
                 "gpt2": "GPT2LMHeadModel", "starcoder2": "Starcoder2ForCausalLM", "command-r": "CohereForCausalLM",
                 "deepseek2": "DeepseekV2ForCausalLM", "olmo": "OlmoForCausalLM", "stablelm": "StableLmForCausalLM",
                 "bert": "BertModel", "nomic-bert": "NomicBertModel"}
_QUANT_NAME = re.compile(r"(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=[-_.])", re.IGNORECASE)


class _Truncated(Exception):
    pass


@dataclass(frozen=True)
class Header:
    version: int
    tensor_count: int
    metadata: dict
    array_lengths: dict[str, int]
    complete: bool  # every metadata key/value was read


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise _Truncated
        self.pos += size
        return self.data[self.pos - size:self.pos]

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self, kind: int, key: str, lengths: dict[str, int]):
        if kind == STRING:
            return self.take(self.unpack("<Q")).decode("utf-8", "replace")
        if kind == ARRAY:
            item, count = self.unpack("<I"), self.unpack("<Q")
            lengths[key] = count
            if count > KEEP_ITEMS and item in SCALARS:
                self.take(count * struct.calcsize(SCALARS[item]))
                return None
            items = [self.value(item, key + "[]", {}) for _ in range(count)]
            return items if count <= KEEP_ITEMS else None
        if kind not in SCALARS:
            raise ValueError(f"unknown GGUF value type {kind}")
        return self.unpack(SCALARS[kind])


def read_header(data: bytes) -> Header:
    """The header in the first bytes of a GGUF file; ValueError when they are not one (or not little-endian v2+)."""
    reader = _Reader(data)
    try:
        if reader.take(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        version, tensors, count = reader.unpack("<I"), reader.unpack("<Q"), reader.unpack("<Q")
    except _Truncated:
        raise ValueError("too short for a GGUF header") from None
    if not 2 <= version <= 0xFFFF:
        raise ValueError(f"unsupported GGUF version {version}")
    metadata, lengths = {}, {}
    try:
        for _ in range(count):
            key = reader.take(reader.unpack("<Q")).decode("utf-8", "replace")
            value = reader.value(reader.unpack("<I"), key, lengths)
            if value is not None:
                metadata[key] = value
    except _Truncated:
        return Header(version, tensors, metadata, lengths, False)
    return Header(version, tensors, metadata, lengths, True)


def quantization_of(header: Header | None, filename: str) -> str | None:
    """The quantization type ("Q4_K_M", "Q8_0", "F16"...): the header's file type, else the file's name."""
    file_type = header.metadata.get("general.file_type") if header else None
    if file_type in FILE_TYPES:
        return FILE_TYPES[file_type]
    found = _QUANT_NAME.search(filename.rsplit("/", 1)[-1])
    return found[1].upper() if found else None


def as_config(header: Header) -> dict:
    """The header's model hyper-parameters under config.json's names (for the parameter estimate)."""
    arch = header.metadata.get("general.architecture")
    keys = {"hidden_size": "embedding_length", "num_hidden_layers": "block_count",
            "num_attention_heads": "attention.head_count", "num_key_value_heads": "attention.head_count_kv",
            "intermediate_size": "feed_forward_length", "max_position_embeddings": "context_length",
            "num_local_experts": "expert_count", "vocab_size": "vocab_size"}
    config = {name: header.metadata[f"{arch}.{key}"] for name, key in keys.items()
              if f"{arch}.{key}" in header.metadata}
    if "tokenizer.ggml.tokens" in header.array_lengths:
        config.setdefault("vocab_size", header.array_lengths["tokenizer.ggml.tokens"])
    moe = arch == "llama" and config.get("num_local_experts")
    class_name = "MixtralForCausalLM" if moe else ARCHITECTURES.get(arch)
    return {"model_type": arch, **({"architectures": [class_name]} if class_name else {}), **config}
