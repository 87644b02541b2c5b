"""Hugging Face models in the graph: search the hub, and see what detection finds in a repository (the OME model
an import would create, and the runtimes that could serve it)."""
from __future__ import annotations

from enum import Enum
from typing import Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ..hf.detect import Detection
from ..resolvers import huggingface
from .models import NamedVersion
from .compatibility import RuntimeMatch


@strawberry.enum(description="How hub search results are ordered.")
class HuggingFaceSort(Enum):
    DOWNLOADS = "downloads"
    LIKES = "likes"
    TRENDING = "trending"
    CREATED = "created"
    MODIFIED = "modified"


@strawberry.type(description="What detection found in a Hugging Face repository.")
class HuggingFaceModel:
    found: strawberry.Private[Detection]
    cached: bool = strawberry.field(description="Served from the metadata cache (no hub requests).")
    id: str = strawberry.field(description='The repository id, e.g. "Qwen/Qwen2.5-0.5B-Instruct".')
    revision: Optional[str] = strawberry.field(description="The commit detection read.")
    format: Optional[str] = strawberry.field(description="safetensors, gguf, onnx, ...")
    framework: Optional[NamedVersion]
    architecture: Optional[str]
    model_type: Optional[str]
    parameter_count: Optional[float] = strawberry.field(description="Parameters (a Float: counts pass 2^31).")
    parameter_size: Optional[str] = strawberry.field(description='e.g. "8B"')
    quantization: Optional[str]
    dtype: Optional[str]
    total_size_bytes: Optional[float] = strawberry.field(description="Bytes of the weight files.")
    max_tokens: Optional[int]
    capabilities: list[str]
    pipeline_tag: Optional[str]
    library: Optional[str]
    gated: bool = strawberry.field(description="Whether the repository needs an accepted license and a token.")
    license: Optional[str]
    hub_requests: int = strawberry.field(description="Hub requests this detection made (0 when cached).")
    model_spec: JSON = strawberry.field(description="The spec of the OME model an import would create.")

    @classmethod
    def of(cls, found: Detection, cached: bool) -> "HuggingFaceModel":
        f = found
        return cls(found=f, cached=cached, id=f.repo_id, revision=f.revision, format=f.format,
                   framework=NamedVersion.of({"name": f.framework, "version": f.framework_version}),
                   architecture=f.architecture, model_type=f.model_type, parameter_count=f.parameter_count,
                   parameter_size=f.parameter_size, quantization=f.quantization, dtype=f.dtype,
                   total_size_bytes=f.total_size_bytes, max_tokens=f.max_tokens, capabilities=list(f.capabilities),
                   pipeline_tag=f.pipeline_tag, library=f.library, gated=f.gated, license=f.license,
                   hub_requests=0 if cached else f.hub_requests, model_spec=huggingface.spec_of(f))

    @strawberry.field(description="Runtimes that could serve the model, best first; all runtimes with their reasons "
                                  "when includeIncompatible.")
    async def compatible_runtimes(self, info: Info, include_incompatible: bool = False) -> list[RuntimeMatch]:
        matches = await huggingface.runtime_matches(info.context, self.id, self.model_spec)
        return [RuntimeMatch.of(m, None) for m in matches if m.compatible or include_incompatible]


@strawberry.type(description="A hub search result; `details` runs detection on it.")
class HuggingFaceSearchResult:
    id: str
    author: Optional[str]
    downloads: Optional[int]
    likes: Optional[int]
    pipeline_tag: Optional[str]
    library: Optional[str]
    tags: list[str]
    gated: bool
    last_modified: Optional[str]

    @classmethod
    def of(cls, raw: dict) -> "HuggingFaceSearchResult":
        return cls(id=raw["id"], author=raw.get("author"), downloads=raw.get("downloads"), likes=raw.get("likes"),
                   pipeline_tag=raw.get("pipeline_tag"), library=raw.get("library"), tags=list(raw.get("tags") or []),
                   gated=bool(raw.get("gated")), last_modified=raw.get("last_modified"))

    @strawberry.field(description="What detection finds in this repository (hub requests unless cached).")
    async def details(self, info: Info) -> HuggingFaceModel:
        return HuggingFaceModel.of(*await huggingface.detect(info.context, self.id, None))


@strawberry.type
class HuggingFaceQuery:
    @strawberry.field(description="Search the Hugging Face Hub (results cached for a while).")
    async def hugging_face_models(self, info: Info, search: Optional[str] = None, author: Optional[str] = None,
                                  task: Optional[str] = None, library: Optional[str] = None,
                                  sort: HuggingFaceSort = HuggingFaceSort.DOWNLOADS,
                                  limit: int = 20) -> list[HuggingFaceSearchResult]:
        results = await huggingface.search(info.context, search, author, task, library, sort.value, limit)
        return [HuggingFaceSearchResult.of(r) for r in results]

    @strawberry.field(description="What detection finds in a repository: format, framework, architecture, size, "
                                  "the OME model spec and compatible runtimes. NOT_FOUND for an unknown repository "
                                  "or revision, FORBIDDEN (with a hint) for a gated one.")
    async def hugging_face_model(self, info: Info, id: str, revision: Optional[str] = None) -> HuggingFaceModel:
        return HuggingFaceModel.of(*await huggingface.detect(info.context, id, revision))
