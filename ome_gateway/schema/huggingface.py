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

    @strawberry.field(description='The repository id, e.g. "Qwen/Qwen2.5-0.5B-Instruct".')
    def id(self) -> str:
        return self.found.repo_id

    @strawberry.field(description="The commit detection read.")
    def revision(self) -> Optional[str]:
        return self.found.revision

    @strawberry.field(description="safetensors, gguf, onnx, ...")
    def format(self) -> Optional[str]:
        return self.found.format

    @strawberry.field
    def framework(self) -> Optional[NamedVersion]:
        return NamedVersion.of({"name": self.found.framework, "version": self.found.framework_version})

    @strawberry.field
    def architecture(self) -> Optional[str]:
        return self.found.architecture

    @strawberry.field
    def model_type(self) -> Optional[str]:
        return self.found.model_type

    @strawberry.field(description="Parameters (a Float: counts pass 2^31).")
    def parameter_count(self) -> Optional[float]:
        return self.found.parameter_count

    @strawberry.field(description='e.g. "8B"')
    def parameter_size(self) -> Optional[str]:
        return self.found.parameter_size

    @strawberry.field
    def quantization(self) -> Optional[str]:
        return self.found.quantization

    @strawberry.field
    def dtype(self) -> Optional[str]:
        return self.found.dtype

    @strawberry.field(description="Bytes of the weight files.")
    def total_size_bytes(self) -> Optional[float]:
        return self.found.total_size_bytes

    @strawberry.field
    def max_tokens(self) -> Optional[int]:
        return self.found.max_tokens

    @strawberry.field
    def capabilities(self) -> list[str]:
        return list(self.found.capabilities)

    @strawberry.field
    def pipeline_tag(self) -> Optional[str]:
        return self.found.pipeline_tag

    @strawberry.field
    def library(self) -> Optional[str]:
        return self.found.library

    @strawberry.field(description="Whether the repository needs an accepted license and a token.")
    def gated(self) -> bool:
        return self.found.gated

    @strawberry.field
    def license(self) -> Optional[str]:
        return self.found.license

    @strawberry.field(description="Hub requests this detection made (0 when cached).")
    def hub_requests(self) -> int:
        return 0 if self.cached else self.found.hub_requests

    @strawberry.field(description="The spec of the OME model an import would create.")
    def model_spec(self) -> JSON:
        return huggingface.spec_of(self.found)

    @strawberry.field(description="Runtimes that could serve the model, best first; all runtimes with their reasons "
                                  "when includeIncompatible.")
    async def compatible_runtimes(self, info: Info, include_incompatible: bool = False) -> list[RuntimeMatch]:
        return [RuntimeMatch.of(m, None) for m in await huggingface.runtime_matches(info.context, self.found)
                if m.compatible or include_incompatible]


@strawberry.type(description="A hub search result; `details` runs detection on it.")
class HuggingFaceSearchResult:
    raw: strawberry.Private[dict]

    @strawberry.field
    def id(self) -> str:
        return self.raw["id"]

    @strawberry.field
    def author(self) -> Optional[str]:
        return self.raw.get("author")

    @strawberry.field
    def downloads(self) -> Optional[int]:
        return self.raw.get("downloads")

    @strawberry.field
    def likes(self) -> Optional[int]:
        return self.raw.get("likes")

    @strawberry.field
    def pipeline_tag(self) -> Optional[str]:
        return self.raw.get("pipeline_tag")

    @strawberry.field
    def library(self) -> Optional[str]:
        return self.raw.get("library")

    @strawberry.field
    def tags(self) -> list[str]:
        return list(self.raw.get("tags") or [])

    @strawberry.field
    def gated(self) -> bool:
        return bool(self.raw.get("gated"))

    @strawberry.field
    def last_modified(self) -> Optional[str]:
        return self.raw.get("last_modified")

    @strawberry.field(description="What detection finds in this repository (hub requests unless cached).")
    async def details(self, info: Info) -> HuggingFaceModel:
        found, cached = await huggingface.detect(info.context, self.raw["id"], None)
        return HuggingFaceModel(found=found, cached=cached)


@strawberry.type
class HuggingFaceQuery:
    @strawberry.field(description="Search the Hugging Face Hub (results cached for a while).")
    async def hugging_face_models(self, info: Info, search: Optional[str] = None, author: Optional[str] = None,
                                  task: Optional[str] = None, library: Optional[str] = None,
                                  sort: HuggingFaceSort = HuggingFaceSort.DOWNLOADS,
                                  limit: int = 20) -> list[HuggingFaceSearchResult]:
        results = await huggingface.search(info.context, search, author, task, library, sort.value, limit)
        return [HuggingFaceSearchResult(raw=r) for r in results]

    @strawberry.field(description="What detection finds in a repository: format, framework, architecture, size, "
                                  "the OME model spec and compatible runtimes. NOT_FOUND for an unknown repository "
                                  "or revision, FORBIDDEN (with a hint) for a gated one.")
    async def hugging_face_model(self, info: Info, id: str, revision: Optional[str] = None) -> HuggingFaceModel:
        found, cached = await huggingface.detect(info.context, id, revision)
        return HuggingFaceModel(found=found, cached=cached)
