"""Parameter counts estimated from a config.json, for repositories whose hub metadata has no count.

An estimate, not a census: it counts the weight matrices of the usual layouts (embeddings, attention with grouped
KV heads, a gated or plain MLP, experts, norms, an LM head unless tied to the embeddings; BERT-style encoders; a
CLIP-style vision tower with a two-layer projector) and is within a few percent for Llama, Qwen2, Mistral,
Mixtral, GPT-2, BERT and LLaVA. Biases are left out except Qwen2's QKV ones, and MLA attention is not modelled.
None when the config lacks the sizes it needs."""
from __future__ import annotations

ENCODERS = {"bert", "roberta", "xlm-roberta", "camembert", "electra", "distilbert", "mpnet", "nomic_bert"}
UNGATED = {"gpt2", "gpt_neox", "gptj", "gpt_bigcode", "falcon", "opt", "bloom", "phi", "starcoder2", "mpt"}
# transformers ties the LM head to the embeddings unless the config says otherwise, or its class's default does
UNTIED = {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "phi3", "deepseek_v2",
          "deepseek_v3"}
QKV_BIAS = {"qwen2", "qwen2_moe", "qwen2_vl"}
EXPERTS = ("num_local_experts", "num_experts", "n_routed_experts")


def _int(config: dict, *names: str) -> int | None:
    """The first of `names` that the config sets to a positive integer."""
    for name in names:
        value = config.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _decoder(c: dict) -> int | None:
    h, layers = _int(c, "hidden_size", "n_embd", "d_model"), _int(c, "num_hidden_layers", "n_layer", "num_layers")
    vocab, heads = _int(c, "vocab_size", "padded_vocab_size"), _int(c, "num_attention_heads", "n_head")
    if not (h and layers and vocab and heads):
        return None
    kv, head_dim = _int(c, "num_key_value_heads", "num_kv_heads") or heads, _int(c, "head_dim") or h // heads
    attention = 2 * h * heads * head_dim + 2 * h * kv * head_dim
    if c.get("attention_bias") or c.get("model_type") in QKV_BIAS:
        attention += (heads + 2 * kv) * head_dim
    inner = _int(c, "intermediate_size", "ffn_dim", "n_inner") or 4 * h
    matrices = 2 if c.get("model_type") in UNGATED else 3
    experts = _int(c, *EXPERTS)
    if experts:
        expert = _int(c, "moe_intermediate_size") or inner
        mlp = experts * matrices * h * expert + h * experts
        shared = _int(c, "shared_expert_intermediate_size") or expert * (_int(c, "n_shared_experts") or 0)
        mlp += matrices * h * shared + (h if c.get("shared_expert_intermediate_size") else 0)
    else:
        mlp = matrices * h * inner
    head = 0 if c.get("tie_word_embeddings", c.get("model_type") not in UNTIED) else vocab * h
    return vocab * h + layers * (attention + mlp + 2 * h) + h + head


def _encoder(c: dict) -> int | None:
    h, layers, vocab = _int(c, "hidden_size", "dim"), _int(c, "num_hidden_layers", "n_layers"), _int(c, "vocab_size")
    if not (h and layers and vocab):
        return None
    inner = _int(c, "intermediate_size", "hidden_dim") or 4 * h
    positions, types = _int(c, "max_position_embeddings") or 512, c.get("type_vocab_size", 2)  # BERT's defaults
    embeddings = (vocab + positions + (types if isinstance(types, int) else 0)) * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h * inner + inner + h + 4 * h
    return embeddings + layers * layer + h * h + h  # with the pooler


def _vision(c: dict) -> int | None:
    h, layers = _int(c, "hidden_size"), _int(c, "num_hidden_layers")
    if not (h and layers):
        return None
    inner, patch, image = _int(c, "intermediate_size") or 4 * h, _int(c, "patch_size") or 14, _int(c, "image_size")
    embeddings = 3 * patch * patch * h + h + ((image // patch) ** 2 + 1 if image else 0) * h
    return embeddings + layers * (4 * (h * h + h) + 2 * h * inner + inner + h + 4 * h) + 4 * h


def estimate(config: dict) -> int | None:
    """The estimated parameter count of the model a config.json describes."""
    text = config.get("text_config")
    if isinstance(text, dict):
        vision_config = config.get("vision_config")
        language = _decoder({"vocab_size": config.get("vocab_size"), **text})
        vision = _vision(vision_config) if isinstance(vision_config, dict) else 0
        if language is None or vision is None:
            return None
        th, vh = _int(text, "hidden_size"), _int(vision_config or {}, "hidden_size")
        return language + vision + ((vh * th + th + th * th + th) if vision else 0)
    if config.get("model_type") in ENCODERS or "type_vocab_size" in config:
        return _encoder(config)
    return _decoder(config)
