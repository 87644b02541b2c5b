"""The offline Hub's model repositories, generated deterministically in memory."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import yaml

from . import formats

LLAMA3_TOKENS = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
                 "chat_template": "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                                  "{{ m['content'] }}<|eot_id|>{% endfor %}"}
TORCH_TO_SAFETENSORS = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}


@dataclass(frozen=True)
class RepoFile:
    path: str
    content: bytes
    oid: str        # git blob id of what is committed: the file itself, or its LFS pointer
    sha256: str
    lfs: bool

    @classmethod
    def of(cls, path: str, content: bytes | str | dict | list) -> RepoFile:
        if isinstance(content, (dict, list)):
            content = json.dumps(content, indent=2) + "\n"
        if isinstance(content, str):
            content = content.encode()
        lfs = formats.is_lfs(path)
        committed = formats.lfs_pointer(content) if lfs else content
        return cls(path, content, formats.git_blob_oid(committed), hashlib.sha256(content).hexdigest(), lfs)

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def pointer_size(self) -> int:
        return len(formats.lfs_pointer(self.content))


@dataclass(frozen=True)
class Revision:
    name: str
    sha: str
    files: dict[str, RepoFile]
    last_modified: str

    @property
    def config(self) -> dict | None:
        entry = self.files.get("config.json")
        return json.loads(entry.content) if entry else None


@dataclass
class Repo:
    id: str
    card: dict
    parameters: dict[str, int] = field(default_factory=dict)
    gated: str | bool = False
    downloads: int = 0
    likes: int = 0
    created_at: str = "2024-01-01T00:00:00.000Z"
    gguf: dict | None = None
    revisions: dict[str, Revision] = field(default_factory=dict)

    def add_revision(self, name: str, files: list[RepoFile], last_modified: str) -> None:
        digest = hashlib.sha1(f"{self.id}@{name}".encode())
        for entry in sorted(files, key=lambda f: f.path):
            digest.update(f"{entry.path}:{entry.oid}\n".encode())
        self.revisions[name] = Revision(name, digest.hexdigest(), {f.path: f for f in files}, last_modified)

    def revision(self, ref: str) -> Revision | None:
        """A branch by name, or the commit of a branch by sha."""
        return self.revisions.get(ref) or next((r for r in self.revisions.values() if r.sha == ref), None)

    @property
    def trending_score(self) -> int:
        return self.likes // 50

    @property
    def author(self) -> str:
        return self.id.split("/")[0]

    @property
    def pipeline_tag(self) -> str | None:
        return self.card.get("pipeline_tag")

    @property
    def library_name(self) -> str | None:
        return self.card.get("library_name")

    @property
    def tags(self) -> list[str]:
        """Tags as the Hub derives them: library, file formats, model type, task, card tags, language, license."""
        main = self.revisions["main"]
        config = main.config or {}
        quant = config.get("quantization_config", {})
        found = [self.library_name, *(fmt for fmt in ("safetensors", "gguf", "onnx") if any(
            p.endswith("." + fmt) for p in main.files))]
        found += ["pytorch"] if "pytorch_model.bin" in main.files else []
        found += [config.get("model_type"), self.pipeline_tag, *self.card.get("tags", [])]
        found += [f"{quant['bits']}-bit"] if "bits" in quant else []
        found += [quant.get("quant_method"), *self.card.get("language", [])]
        found += [f"license:{self.card['license']}"] if "license" in self.card else []
        return list(dict.fromkeys(t for t in [*found, "region:us"] if t))


def readme(card: dict, title: str) -> str:
    return f"---\n{yaml.safe_dump(card, sort_keys=False)}---\n\n# {title}\n\nA generated test repository.\n"


def tensors(dtype: str, quant: str | None = None, moe: bool = False) -> dict[str, tuple[str, list[int]]]:
    """A handful of tiny tensors named like a decoder's; quantized layers carry their packed tensors."""
    out = {"model.embed_tokens.weight": (dtype, [8, 4])}
    proj = "model.layers.0.self_attn.q_proj"
    if quant in ("awq", "gptq"):
        out |= {f"{proj}.qweight": ("I32", [4, 1]), f"{proj}.qzeros": ("I32", [1, 1]),
                f"{proj}.scales": ("F16", [1, 4])}
        out |= {f"{proj}.g_idx": ("I32", [4])} if quant == "gptq" else {}
    elif quant == "fp8":
        out |= {f"{proj}.weight": ("F8_E4M3", [4, 4]), f"{proj}.weight_scale": ("F32", [])}
    else:
        out[f"{proj}.weight"] = (dtype, [4, 4])
    if moe:
        out |= {"model.layers.0.block_sparse_moe.gate.weight": (dtype, [8, 4]),
                "model.layers.0.block_sparse_moe.experts.0.w1.weight": (dtype, [4, 4])}
    return out | {"model.norm.weight": (dtype, [4]), "lm_head.weight": (dtype, [8, 4])}


def weight_files(named: dict[str, tuple[str, list[int]]], shards: int) -> list[RepoFile]:
    """model.safetensors, or `shards` model-0000i-of-0000n.safetensors files and their index."""
    if shards == 1:
        return [RepoFile.of("model.safetensors", formats.safetensors_bytes(named))]
    names, files, weight_map = list(named), [], {}
    for i in range(shards):
        shard = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: named[n] for n in names[i::shards]}
        weight_map |= dict.fromkeys(part, shard)
        files.append(RepoFile.of(shard, formats.safetensors_bytes(part)))
    total = sum(math.prod(shape) * formats.ITEM_SIZE[dtype] for dtype, shape in named.values())
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    return [*files, RepoFile.of("model.safetensors.index.json", index)]


def causal_config(arch: str, model_type: str, dims: tuple[int, ...], dtype: str = "bfloat16", **extra) -> dict:
    """config.json of a decoder; dims are hidden, layers, heads, kv heads, intermediate, vocab, context."""
    keys = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
            "vocab_size", "max_position_embeddings")
    return {"architectures": [arch], "model_type": model_type, **dict(zip(keys, dims)), "torch_dtype": dtype,
            "rms_norm_eps": 1e-05, "transformers_version": "4.44.0", **extra}


def tokenizer_files(tokens: dict) -> list[RepoFile]:
    special = [tokens["bos_token"], tokens["eos_token"]]
    vocab = {token: i for i, token in enumerate([*special, "a", "b", "ab"])}
    tokenizer = {"version": "1.0", "added_tokens": [{"id": vocab[t], "content": t, "special": True} for t in special],
                 "model": {"type": "BPE", "vocab": vocab, "merges": ["a b"]}}
    return [RepoFile.of("tokenizer.json", tokenizer), RepoFile.of("tokenizer_config.json", tokens)]


def transformers_repo(repo_id: str, config: dict, parameters: dict[str, int], card: dict, *, shards: int = 1,
                      tokens: dict = LLAMA3_TOKENS, extra: list[RepoFile] = (), updated: str | None = None,
                      **meta) -> Repo:
    """A transformers repo: config, generation config, tokenizer, card and tiny safetensors weights."""
    card = {"language": ["en"], "library_name": "transformers", "pipeline_tag": "text-generation", **card}
    repo = Repo(repo_id, card, parameters, **meta)
    quant = config.get("quantization_config", {}).get("quant_method")
    dtype = TORCH_TO_SAFETENSORS[config["torch_dtype"]]
    generation = {"bos_token_id": 0, "eos_token_id": 1, "do_sample": True, "temperature": 0.6, "top_p": 0.9}
    generates = card["pipeline_tag"] != "feature-extraction"
    common = [*tokenizer_files(tokens), *([RepoFile.of("generation_config.json", generation)] if generates else []),
              RepoFile.of("README.md", readme(card, repo_id.split("/")[1])), *extra,
              *weight_files(tensors(dtype, quant, "num_local_experts" in config), shards)]
    repo.add_revision("main", [RepoFile.of("config.json", config), *common], updated or repo.created_at)
    return repo


def gguf_repo() -> Repo:
    card = {"license": "llama3", "language": ["en"], "pipeline_tag": "text-generation", "tags": ["llama", "llama-3"],
            "base_model": "acme-llm/llama-3-8b-instruct"}
    repo = Repo("acme-gguf/llama-3-8b-gguf", card, downloads=41000, likes=210, created_at="2024-04-20T09:00:00.000Z",
                gguf={"total": 8030261312, "architecture": "llama", "context_length": 8192, **LLAMA3_TOKENS})
    files = [RepoFile.of("README.md", readme(card, "llama-3-8b-gguf"))]
    for quant, file_type in (("Q4_K_M", 15), ("Q8_0", 7)):
        metadata = {"general.architecture": "llama", "general.name": "Llama 3 8B Instruct",
                    "general.file_type": file_type, "general.quantization_version": 2,
                    "llama.context_length": 8192, "llama.embedding_length": 4096, "llama.block_count": 32,
                    "llama.attention.head_count": 32, "llama.attention.head_count_kv": 8,
                    "llama.feed_forward_length": 14336, "llama.rope.freq_base": 500000.0,
                    "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["<|begin_of_text|>", "<|eot_id|>", "a"],
                    "tokenizer.ggml.bos_token_id": 0, "tokenizer.ggml.eos_token_id": 1,
                    "tokenizer.chat_template": LLAMA3_TOKENS["chat_template"]}
        content = formats.gguf_bytes(metadata, {"token_embd.weight": [4, 3], "output_norm.weight": [4]})
        files.append(RepoFile.of(f"llama-3-8b.{quant}.gguf", content))
    repo.add_revision("main", files, "2024-04-21T10:00:00.000Z")
    return repo


def misc_repos() -> list[Repo]:
    no_config = Repo("acme-misc/no-config", {"license": "mit"}, downloads=12, likes=0)
    pickle = RepoFile.of("pytorch_model.bin", b"PK\x03\x04\x14\x00\x00\x00")
    no_config.add_revision("main", [RepoFile.of("README.md", readme({"license": "mit"}, "no-config")), pickle],
                           no_config.created_at)
    bert = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12,
            "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 30522, "max_position_embeddings": 512,
            "torch_dtype": "float32", "transformers_version": "4.29.2"}
    card = {"license": "apache-2.0", "library_name": "onnx", "pipeline_tag": "feature-extraction"}
    onnx = Repo("acme-misc/onnx-bert", card, downloads=300, likes=2)
    onnx.add_revision("main", [RepoFile.of("README.md", readme(card, "onnx-bert")), RepoFile.of("config.json", bert),
                               RepoFile.of("model.onnx", b"\x08\x07\x12\x07pytorch")], onnx.created_at)
    bert_tokens = {"bos_token": "[CLS]", "eos_token": "[SEP]"}
    pooling = RepoFile.of("1_Pooling/config.json", {"word_embedding_dimension": 768, "pooling_mode_mean_tokens": True})
    transformer = "sentence_transformers.models.Transformer"
    modules = RepoFile.of("modules.json", [{"idx": 0, "name": "0", "path": "", "type": transformer}])
    embed = transformers_repo(
        "acme-embed/bert-base-embed", bert, {"F32": 109482240},
        {"license": "apache-2.0", "library_name": "sentence-transformers", "pipeline_tag": "feature-extraction",
         "tags": ["sentence-similarity"]}, tokens=bert_tokens, extra=[pooling, modules],
        downloads=2500000, likes=900, created_at="2022-03-01T00:00:00.000Z")
    return [no_config, onnx, embed]


def build_repos() -> dict[str, Repo]:
    """Every repository of the offline Hub by id."""
    llama3 = ("LlamaForCausalLM", "llama", (4096, 32, 32, 8, 14336, 128256, 8192))
    llama_card = {"license": "llama3", "tags": ["llama", "meta", "llama-3", "conversational"]}
    qwen2 = ("Qwen2ForCausalLM", "qwen2", (3584, 28, 28, 4, 18944, 152064, 32768))
    qwen_card = {"license": "apache-2.0", "tags": ["chat", "conversational"]}
    repos = [
        instruct := transformers_repo("acme-llm/llama-3-8b-instruct", causal_config(*llama3), {"BF16": 8030261248},
                                      llama_card, shards=2, downloads=1500000, likes=3500,
                                      created_at="2024-04-17T09:35:12.000Z", updated="2024-09-25T14:00:00.000Z"),
        transformers_repo("acme-llm/qwen2-7b-instruct", causal_config(*qwen2), {"BF16": 7615616512}, qwen_card,
                          downloads=800000, likes=600, created_at="2024-06-04T10:07:03.000Z",
                          updated="2024-08-21T10:20:00.000Z"),
        transformers_repo("acme-llm/mixtral-8x7b", causal_config(
            "MixtralForCausalLM", "mixtral", (4096, 32, 32, 8, 14336, 32000, 32768), num_local_experts=8,
            num_experts_per_tok=2), {"BF16": 46702792704}, {"license": "apache-2.0", "tags": ["moe"]}, shards=2,
            downloads=250000, likes=4200, created_at="2023-12-11T15:00:00.000Z"),
        transformers_repo("acme-vision/llava-1.5-7b", {
            "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "torch_dtype": "float16",
            "image_token_index": 32000, "transformers_version": "4.36.0",
            "text_config": causal_config(*llama3[:2], (4096, 32, 32, 32, 11008, 32064, 4096), "float16"),
            "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "image_size": 336,
                              "patch_size": 14, "num_hidden_layers": 24}}, {"F16": 7063427072},
            {"license": "llama2", "pipeline_tag": "image-text-to-text", "tags": ["vision"]},
            extra=[RepoFile.of("preprocessor_config.json", {"crop_size": 336,
                                                             "image_processor_type": "CLIPImageProcessor"})],
            downloads=300000, likes=1100, created_at="2023-12-05T00:00:00.000Z"),
        transformers_repo("acme-quant/llama-3-8b-awq", causal_config(*llama3, "float16", quantization_config={
            "quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}),
            {"I32": 879230976, "F16": 1105465344}, llama_card, downloads=90000, likes=80),
        transformers_repo("acme-quant/qwen2-7b-gptq", causal_config(*qwen2, "float16", quantization_config={
            "quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True}),
            {"I32": 832438272, "F16": 1090048512}, qwen_card, downloads=45000, likes=40),
        transformers_repo("acme-quant/llama-3-8b-fp8", causal_config(*llama3, quantization_config={
            "quant_method": "fp8", "activation_scheme": "dynamic"}), {"BF16": 1050939392, "F8_E4M3": 6979321856},
            llama_card, downloads=60000, likes=55),
        transformers_repo("acme-gated/llama-3-70b-gated", causal_config(
            "LlamaForCausalLM", "llama", (8192, 80, 64, 8, 28672, 128256, 8192)), {"BF16": 70553706496},
            llama_card, shards=2, gated="manual", downloads=700000, likes=5000,
            created_at="2024-04-17T09:40:00.000Z"),
        gguf_repo(), *misc_repos()]
    v1 = {**instruct.revisions["main"].files}
    v1["config.json"] = RepoFile.of("config.json", causal_config(*llama3[:2], (*llama3[2][:6], 4096)))
    instruct.add_revision("v1", list(v1.values()), "2024-04-18T08:00:00.000Z")
    return {repo.id: repo for repo in repos}
