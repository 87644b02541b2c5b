"""Runtime: OME's ClusterServingRuntime and namespaced ServingRuntime as one type with a scope."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from ..k8s import kinds
from ..ome import refs
from ..resolvers import compatibility, lookup
from ..maybe import gather, then
from ..resolvers.filters import order
from .base import Loadable, Resource, Scope
from .connection import CountedConnection
from .models import NamedVersion


ServiceRef = Annotated["InferenceService", strawberry.lazy(".services")]
ModelRef = Annotated["Model", strawberry.lazy(".models")]
AcceleratorRef = Annotated["AcceleratorClass", strawberry.lazy(".accelerators")]


@strawberry.type(description="One model format a runtime can serve, as OME's selector reads it.")
class SupportedModelFormat:
    raw: strawberry.Private[dict]

    @strawberry.field
    def format(self) -> Optional[NamedVersion]:
        return NamedVersion.of(self.raw.get("modelFormat"))

    @strawberry.field
    def framework(self) -> Optional[NamedVersion]:
        return NamedVersion.of(self.raw.get("modelFramework"))

    @strawberry.field
    def architecture(self) -> Optional[str]:
        return self.raw.get("modelArchitecture")

    @strawberry.field
    def quantization(self) -> Optional[str]:
        return self.raw.get("quantization")

    @strawberry.field
    def auto_select(self) -> bool:
        return bool(self.raw.get("autoSelect"))

    @strawberry.field
    def priority(self) -> Optional[int]:
        return self.raw.get("priority")


@strawberry.type(description="The smallest and largest model (in parameters) a runtime accepts.")
class SizeRange:
    min: Optional[str]
    max: Optional[str]


@strawberry.type(description="How a runtime runs one component (engine, decoder or router).")
class ComponentConfig:
    raw: strawberry.Private[dict]

    @strawberry.field
    def min_replicas(self) -> Optional[int]:
        return self.raw.get("minReplicas")

    @strawberry.field
    def max_replicas(self) -> Optional[int]:
        return self.raw.get("maxReplicas")

    @strawberry.field
    def image(self) -> Optional[str]:
        return (self.raw.get("runner") or {}).get("image")

    @strawberry.field(description="Container resources (requests and limits) of the runner.")
    def resources(self) -> Optional[JSON]:
        return (self.raw.get("runner") or {}).get("resources")


def component_config(value) -> Optional[ComponentConfig]:
    return ComponentConfig(raw=value) if isinstance(value, dict) else None


@strawberry.type(description="An OME serving runtime (ClusterServingRuntime or namespaced ServingRuntime).")
class Runtime(Loadable, Resource):
    CLUSTER_KIND = kinds.CLUSTER_SERVING_RUNTIME
    NAMESPACED_KIND = kinds.SERVING_RUNTIME

    @property
    def spec(self) -> dict:
        return self.raw.get("spec") or {}

    @strawberry.field
    def scope(self) -> Scope:
        return Scope.NAMESPACE if self.namespace else Scope.CLUSTER

    @strawberry.field
    def disabled(self) -> bool:
        return bool(self.spec.get("disabled"))

    @strawberry.field
    def supported_formats(self) -> list[SupportedModelFormat]:
        return [SupportedModelFormat(raw=f) for f in self.spec.get("supportedModelFormats") or []
                if isinstance(f, dict)]

    @strawberry.field
    def size_range(self) -> Optional[SizeRange]:
        rng = self.spec.get("modelSizeRange")
        return SizeRange(min=rng.get("min"), max=rng.get("max")) if isinstance(rng, dict) else None

    @strawberry.field
    def protocols(self) -> list[str]:
        return list(self.spec.get("protocolVersions") or [])

    @strawberry.field(description="Accelerator classes this runtime declares it supports.")
    def accelerator_class_names(self) -> list[str]:
        return list((self.spec.get("acceleratorRequirements") or {}).get("acceleratorClasses") or [])

    @strawberry.field
    def engine(self) -> Optional[ComponentConfig]:
        return component_config(self.spec.get("engineConfig"))

    @strawberry.field
    def decoder(self) -> Optional[ComponentConfig]:
        return component_config(self.spec.get("decoderConfig"))

    @strawberry.field
    def router(self) -> Optional[ComponentConfig]:
        return component_config(self.spec.get("routerConfig"))

    @strawberry.field(description="The accelerator classes named in acceleratorClassNames that exist.")
    def accelerators(self, info: Info) -> list[AcceleratorRef]:
        from .accelerators import AcceleratorClass

        loaders = info.context.loaders
        found = [loaders.get(kinds.ACCELERATOR_CLASS, n) for n in self.accelerator_class_names()]
        return gather(found, lambda items: AcceleratorClass.many(a for a in items if a))

    @relay.connection(CountedConnection[ServiceRef], description="Inference services naming this runtime.")
    def inference_services(self, info: Info) -> list[ServiceRef]:
        from .services import InferenceService

        return then(lookup.services_referring(info.context, self.raw, refs.runtime_ref),
                    lambda items: InferenceService.many(order(items)))

    @strawberry.field(description="Models this runtime can serve (cluster models, and its namespace's models).")
    def compatible_models(self, info: Info) -> list[ModelRef]:
        from .models import Model

        return then(compatibility.models_for(info.context, self.raw), lambda items: Model.many(order(items)))
