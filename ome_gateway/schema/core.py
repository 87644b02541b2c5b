"""Core Kubernetes kinds the graph links to: Namespace, Pod, Event and (cluster) Node."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from ..k8s import kinds
from ..ome import refs
from ..resolvers import lookup
from ..maybe import then
from ..resolvers.summary import gpus_of_node, gpus_of_pod
from .base import Loadable, Resource, ready_of


AcceleratorRef = Annotated["AcceleratorClass", strawberry.lazy(".accelerators")]


@strawberry.type(description="A Kubernetes namespace.")
class Namespace(Loadable, Resource):
    CLUSTER_KIND = kinds.NAMESPACE
    NAMESPACED_KIND = None

    @strawberry.field
    def phase(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("phase")


@strawberry.type(description="A container of a pod.")
class Container:
    name: str
    image: Optional[str]


@strawberry.type(description="A pod running part of an inference service.")
class Pod(Loadable, Resource):
    CLUSTER_KIND = None
    NAMESPACED_KIND = kinds.POD

    @strawberry.field
    def phase(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("phase")

    @strawberry.field
    def ready(self) -> bool:
        return ready_of(self.raw) is True

    @strawberry.field
    def node_name(self) -> Optional[str]:
        return (self.raw.get("spec") or {}).get("nodeName")

    @strawberry.field(description="engine, decoder or router")
    def component(self) -> Optional[str]:
        return (self.raw["metadata"].get("labels") or {}).get(refs.COMPONENT_LABEL)

    @strawberry.field
    def pod_ip(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("podIP")

    @strawberry.field
    def start_time(self) -> Optional[str]:
        return (self.raw.get("status") or {}).get("startTime")

    @strawberry.field
    def restarts(self) -> int:
        return sum(int(c.get("restartCount") or 0) for c in (self.raw.get("status") or {}).get(
            "containerStatuses") or [])

    @strawberry.field
    def gpus(self) -> int:
        return gpus_of_pod(self.raw)

    @strawberry.field
    def containers(self) -> list[Container]:
        return [Container(name=c.get("name", ""), image=c.get("image"))
                for c in (self.raw.get("spec") or {}).get("containers") or []]


@strawberry.type(description="A Kubernetes event about an object.")
class Event(Loadable, Resource):
    CLUSTER_KIND = None
    NAMESPACED_KIND = kinds.EVENT

    @strawberry.field
    def type(self) -> Optional[str]:
        return self.raw.get("type")

    @strawberry.field
    def reason(self) -> Optional[str]:
        return self.raw.get("reason")

    @strawberry.field
    def message(self) -> Optional[str]:
        return self.raw.get("message")

    @strawberry.field
    def count(self) -> Optional[int]:
        return self.raw.get("count")

    @strawberry.field
    def first_timestamp(self) -> Optional[str]:
        return self.raw.get("firstTimestamp")

    @strawberry.field
    def last_timestamp(self) -> Optional[str]:
        return self.raw.get("lastTimestamp")

    @strawberry.field
    def involved_kind(self) -> Optional[str]:
        return (self.raw.get("involvedObject") or {}).get("kind")

    @strawberry.field
    def involved_name(self) -> Optional[str]:
        return (self.raw.get("involvedObject") or {}).get("name")


@strawberry.type(description="A Kubernetes node (a machine), with its GPUs.")
class ClusterNode(Loadable, Resource):
    CLUSTER_KIND = kinds.NODE
    NAMESPACED_KIND = None

    @strawberry.field
    def ready(self) -> bool:
        return ready_of(self.raw) is True

    @strawberry.field(description="GPUs the node can allocate.")
    def gpus(self) -> int:
        return gpus_of_node(self.raw)

    @strawberry.field
    def gpu_product(self) -> Optional[str]:
        return (self.raw["metadata"].get("labels") or {}).get("nvidia.com/gpu.product")

    @strawberry.field
    def kubelet_version(self) -> Optional[str]:
        return ((self.raw.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")

    @strawberry.field(description="Accelerator classes whose node selector matches this node.")
    def accelerators(self, info: Info) -> list[AcceleratorRef]:
        from .accelerators import AcceleratorClass

        return then(lookup.accelerators_of_node(info.context, self.raw), AcceleratorClass.many)
