"""Model: OME's ClusterBaseModel and BaseModel as one type with a scope."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry
from strawberry import relay
from strawberry.types import Info

from ..k8s import kinds
from ..ome import refs
from ..resolvers import compatibility, lookup
from ..maybe import then
from ..resolvers.filters import order
from .base import Loadable, Resource, Scope
from .connection import CountedConnection


ServiceRef = Annotated["InferenceService", strawberry.lazy(".services")]
MatchRef = Annotated["RuntimeMatch", strawberry.lazy(".compatibility")]


@strawberry.type(description="A named, optionally versioned thing: a model format or framework.")
class NamedVersion:
    name: str
    version: Optional[str] = None

    @classmethod
    def of(cls, value: dict | None) -> Optional["NamedVersion"]:
        if not isinstance(value, dict) or not value.get("name"):
            return None
        return cls(name=value["name"], version=value.get("version") or None)


@strawberry.type(description="Where a model's weights come from and are stored.")
class ModelStorage:
    storage_uri: Optional[str]
    path: Optional[str]
    key: Optional[str] = strawberry.field(description="Name of the Secret key holding the access token.")


@strawberry.type(description="An OME base model (ClusterBaseModel or namespaced BaseModel).")
class Model(Loadable, Resource):
    CLUSTER_KIND = kinds.CLUSTER_BASE_MODEL
    NAMESPACED_KIND = kinds.BASE_MODEL

    @property
    def spec(self) -> dict:
        return self.raw.get("spec") or {}

    @strawberry.field
    def scope(self) -> Scope:
        return Scope.NAMESPACE if self.namespace else Scope.CLUSTER

    @strawberry.field
    def display_name(self) -> Optional[str]:
        return self.spec.get("displayName")

    @strawberry.field
    def vendor(self) -> Optional[str]:
        return self.spec.get("vendor")

    @strawberry.field
    def version(self) -> Optional[str]:
        return self.spec.get("version")

    @strawberry.field
    def disabled(self) -> bool:
        return bool(self.spec.get("disabled"))

    @strawberry.field
    def format(self) -> Optional[NamedVersion]:
        return NamedVersion.of(self.spec.get("modelFormat"))

    @strawberry.field
    def framework(self) -> Optional[NamedVersion]:
        return NamedVersion.of(self.spec.get("modelFramework"))

    @strawberry.field
    def architecture(self) -> Optional[str]:
        return self.spec.get("modelArchitecture")

    @strawberry.field(description='Parameter size as written in the spec, e.g. "8B".')
    def parameter_size(self) -> Optional[str]:
        return self.spec.get("modelParameterSize")

    @strawberry.field
    def quantization(self) -> Optional[str]:
        return self.spec.get("quantization")

    @strawberry.field
    def capabilities(self) -> list[str]:
        return list(self.spec.get("modelCapabilities") or [])

    @strawberry.field
    def max_tokens(self) -> Optional[int]:
        return self.spec.get("maxTokens")

    @strawberry.field
    def storage(self) -> Optional[ModelStorage]:
        storage = self.spec.get("storage")
        if not isinstance(storage, dict):
            return None
        return ModelStorage(storage_uri=storage.get("storageUri"), path=storage.get("path"), key=storage.get("key"))

    @strawberry.field(description="Download state: Creating, Importing, In_Transit, In_Training, Ready, Failed.")
    def state(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("state")

    @strawberry.field
    def ready(self) -> bool:
        return refs.model_ready(self.raw)

    @strawberry.field
    def nodes_ready(self) -> list[str]:
        return list((self.raw.get("status") or {}).get("nodesReady") or [])

    @relay.connection(CountedConnection[ServiceRef], description="Inference services serving this model.")
    def inference_services(self, info: Info) -> list[ServiceRef]:
        from .services import InferenceService

        return then(lookup.services_referring(info.context, self.raw, refs.model_ref),
                    lambda items: InferenceService.many(order(items)))

    @strawberry.field(description="Every runtime judged for this model, ranked as OME ranks them: the ones it "
                                  "would auto-select first (best first), then other compatible ones, then the rest "
                                  "with reasons. `namespace` adds that namespace's runtimes to the cluster ones "
                                  "(default: the model's namespace; all namespaces for a cluster model).")
    def compatible_runtimes(self, info: Info, accelerator_class: Optional[str] = None,
                            namespace: Optional[str] = None) -> list[MatchRef]:
        from .compatibility import RuntimeMatch

        return then(compatibility.runtimes_for(info.context, self.raw, accelerator_class, namespace),
                    lambda ranked: [RuntimeMatch.of(v, self.raw) for v in ranked])

    @strawberry.field(description="The runtime OME would select for this model, or null when none qualifies.")
    def recommended_runtime(self, info: Info, accelerator_class: Optional[str] = None,
                            namespace: Optional[str] = None) -> Optional[MatchRef]:
        from .compatibility import RuntimeMatch

        return then(compatibility.runtimes_for(info.context, self.raw, accelerator_class, namespace),
                    lambda ranked: RuntimeMatch.of(ranked[0], self.raw) if ranked and ranked[0].auto_select
                    else None)
