"""AcceleratorClass: a kind of GPU, the nodes that have it and the runtimes that ask for it."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from ..k8s import kinds
from ..resolvers import lookup
from ..maybe import then
from .base import Loadable, Resource


RuntimeRef = Annotated["Runtime", strawberry.lazy(".runtimes")]
NodeRef = Annotated["ClusterNode", strawberry.lazy(".core")]


def _quantity(value) -> Optional[str]:
    return None if value is None else str(value)


@strawberry.type(description="An OME AcceleratorClass.")
class AcceleratorClass(Loadable, Resource):
    CLUSTER_KIND = kinds.ACCELERATOR_CLASS
    NAMESPACED_KIND = None

    @property
    def spec(self) -> dict:
        return self.raw.get("spec") or {}

    @property
    def capabilities(self) -> dict:
        return self.spec.get("capabilities") or {}

    @strawberry.field
    def vendor(self) -> Optional[str]:
        return self.spec.get("vendor")

    @strawberry.field
    def family(self) -> Optional[str]:
        return self.spec.get("family")

    @strawberry.field(description="The GPU model, e.g. H100.")
    def gpu_model(self) -> Optional[str]:
        return self.spec.get("model")

    @strawberry.field(description='GPU memory as a quantity, e.g. "80Gi".')
    def memory(self) -> Optional[str]:
        return _quantity(self.capabilities.get("memoryGB"))

    @strawberry.field
    def compute_capability(self) -> Optional[str]:
        return self.capabilities.get("computeCapability")

    @strawberry.field
    def features(self) -> list[str]:
        return list(self.capabilities.get("features") or [])

    @strawberry.field(description="Node labels that identify nodes with this accelerator.")
    def node_selector(self) -> list[str]:
        selector = (self.spec.get("discovery") or {}).get("nodeSelector") or {}
        return [f"{k}={v}" for k, v in sorted(selector.items())]

    @strawberry.field
    def cost_per_hour(self) -> Optional[str]:
        return _quantity((self.spec.get("cost") or {}).get("perHour"))

    @strawberry.field(description="Runtimes that list this class in their accelerator requirements.")
    def runtimes(self, info: Info) -> list[RuntimeRef]:
        from .runtimes import Runtime

        return then(lookup.runtimes_for_accelerator(info.context, self.raw), Runtime.many)

    @strawberry.field(description="Nodes whose labels match this class's node selector.")
    def nodes(self, info: Info) -> list[NodeRef]:
        from .core import ClusterNode

        return then(lookup.nodes_for_accelerator(info.context, self.raw), ClusterNode.many)
