"""InferenceService with its components, conditions and links to model, runtime, accelerator, pods, events."""
from __future__ import annotations

from enum import Enum
from typing import Optional

import strawberry
from strawberry.types import Info

from ..k8s import kinds
from ..ome import refs
from ..resolvers import lookup
from ..maybe import then
from .accelerators import AcceleratorClass
from .base import Condition, Loadable, Resource, ready_of
from .core import Event, Pod
from .models import Model
from .runtimes import Runtime


@strawberry.enum(description="A part of an inference service.")
class ComponentKind(Enum):
    ENGINE = "engine"
    DECODER = "decoder"
    ROUTER = "router"


@strawberry.type(description="A model reference as written in a service's spec.")
class ObjectRef:
    kind: str
    name: str
    namespace: Optional[str]


@strawberry.type(description="One component of an inference service: desired and observed replicas, URL.")
class ServiceComponent:
    kind: ComponentKind
    min_replicas: Optional[int]
    max_replicas: Optional[int]
    ready: Optional[bool]
    url: Optional[str]
    latest_ready_revision: Optional[str]
    raw_pods: strawberry.Private[list]

    @strawberry.field(description="Pods of this component.")
    def replicas(self) -> int:
        return len(self.raw_pods)

    @strawberry.field(description="Pods of this component that are running and ready.")
    def ready_replicas(self) -> int:
        return sum(ready_of(p) is True for p in self.raw_pods)


def _ref(ref) -> Optional[ObjectRef]:
    return ObjectRef(kind=ref[0], namespace=ref[1], name=ref[2]) if ref else None


@strawberry.type(description="An OME InferenceService.")
class InferenceService(Loadable, Resource):
    CLUSTER_KIND = None
    NAMESPACED_KIND = kinds.INFERENCE_SERVICE

    @property
    def spec(self) -> dict:
        return self.raw.get("spec") or {}

    @strawberry.field(description="Whether the Ready condition is True.")
    def ready(self) -> bool:
        return refs.service_ready(self.raw)

    @strawberry.field
    def url(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("url")

    @strawberry.field
    def conditions(self) -> list[Condition]:
        return Condition.all_of(self.raw)

    @strawberry.field
    def model_ref(self) -> Optional[ObjectRef]:
        return _ref(refs.model_ref(self.raw))

    @strawberry.field(description="The runtime named in the spec; null when OME selects one.")
    def runtime_ref(self) -> Optional[ObjectRef]:
        return _ref(refs.runtime_ref(self.raw))

    @strawberry.field(description="The accelerator class the service asks for.")
    def accelerator_class_name(self) -> Optional[str]:
        return refs.accelerator_class(self.raw)

    @strawberry.field
    def model(self, info: Info) -> Optional[Model]:
        return then(lookup.model_of(info.context, self.raw), Model.of)

    @strawberry.field
    def runtime(self, info: Info) -> Optional[Runtime]:
        return then(lookup.runtime_of(info.context, self.raw), Runtime.of)

    @strawberry.field
    def accelerator(self, info: Info) -> Optional[AcceleratorClass]:
        return then(lookup.accelerator_of(info.context, self.raw), AcceleratorClass.of)

    @strawberry.field
    def pods(self, info: Info) -> list[Pod]:
        return then(lookup.pods_of(info.context, self.raw),
                    lambda pods: Pod.many(sorted(pods, key=lambda p: p["metadata"]["name"])))

    @strawberry.field(description="Recent events about this service, newest first.")
    def events(self, info: Info, limit: int = 20) -> list[Event]:
        return then(lookup.events_of(info.context, self.raw), lambda events: Event.many(events[:max(limit, 0)]))

    @strawberry.field(description="Engine, decoder and router as specified, with their pods' readiness.")
    def components(self, info: Info) -> list[ServiceComponent]:
        return then(lookup.pods_of(info.context, self.raw), self._components)

    def _components(self, pods: list[dict]) -> list[ServiceComponent]:
        status = (self.raw.get("status") or {}).get("components") or {}
        out = []
        for name in refs.components(self.raw):
            spec = self.spec.get(name) or {}
            observed = status.get(name) or {}
            cond = refs.condition(self.raw, name.capitalize() + "Ready")
            out.append(ServiceComponent(
                kind=ComponentKind(name), min_replicas=spec.get("minReplicas"), max_replicas=spec.get("maxReplicas"),
                ready=None if cond is None else cond.get("status") == "True", url=observed.get("url"),
                latest_ready_revision=observed.get("latestReadyRevision"),
                raw_pods=[p for p in pods if (p["metadata"].get("labels") or {}).get(refs.COMPONENT_LABEL) == name]))
        return out
