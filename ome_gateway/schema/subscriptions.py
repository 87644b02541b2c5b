"""The root Subscription: live changes, a service's or model's status, the cluster summary, the audit log."""
from __future__ import annotations

from enum import Enum
from typing import AsyncGenerator, Optional

import strawberry
from strawberry.types import Info

from ..k8s import kinds
from ..resolvers import feeds
from ..resolvers.errors import invalid_input
from .accelerators import AcceleratorClass
from .base import Resource
from .core import ClusterNode, Namespace, Pod
from .models import Model
from .query import ClusterSummary, _check
from .runtimes import Runtime
from .services import InferenceService


@strawberry.enum(description="Kinds a resourceChanges subscription can follow.")
class ResourceKind(Enum):
    INFERENCE_SERVICE = "InferenceService"
    MODEL = "Model"
    RUNTIME = "Runtime"
    ACCELERATOR_CLASS = "AcceleratorClass"
    NAMESPACE = "Namespace"
    NODE = "Node"
    POD = "Pod"


KINDS = {ResourceKind.INFERENCE_SERVICE: [(kinds.INFERENCE_SERVICE, InferenceService)],
         ResourceKind.MODEL: [(kinds.CLUSTER_BASE_MODEL, Model), (kinds.BASE_MODEL, Model)],
         ResourceKind.RUNTIME: [(kinds.CLUSTER_SERVING_RUNTIME, Runtime), (kinds.SERVING_RUNTIME, Runtime)],
         ResourceKind.ACCELERATOR_CLASS: [(kinds.ACCELERATOR_CLASS, AcceleratorClass)],
         ResourceKind.NAMESPACE: [(kinds.NAMESPACE, Namespace)], ResourceKind.NODE: [(kinds.NODE, ClusterNode)],
         ResourceKind.POD: [(kinds.POD, Pod)]}
BY_KIND = {k: (rk, cls) for rk, pairs in KINDS.items() for k, cls in pairs}


@strawberry.enum
class ChangeType(Enum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@strawberry.type(description="One change of one object, as the cluster reported it.")
class ResourceChange:
    type: ChangeType
    kind: ResourceKind
    resource: Resource
    resource_version: Optional[str]


@strawberry.type(description="A write the gateway made, seen by every replica.")
class AuditEvent:
    action: str
    kind: str
    namespace: Optional[str]
    name: Optional[str]
    resource_version: Optional[str]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes of the chosen kinds, optionally in one namespace and matching a "
                                         "label selector.")
    async def resource_changes(self, info: Info, kinds: list[ResourceKind], namespace: Optional[str] = None,
                               label_selector: Optional[str] = None) -> AsyncGenerator[ResourceChange, None]:
        if not kinds:
            raise invalid_input("kinds must name at least one kind", "kinds")
        wanted = [k for rk in dict.fromkeys(kinds) for k, _ in KINDS[rk]]
        async for change, kind, obj in feeds.changes(info.context, wanted, _check(namespace, "namespace", 63),
                                                     label_selector):
            resource_kind, cls = BY_KIND[kind]
            yield ResourceChange(type=ChangeType(change), kind=resource_kind, resource=cls.of(obj),
                                 resource_version=obj["metadata"].get("resourceVersion"))

    @strawberry.subscription(description="The service now, then at each change of its status, readiness, "
                                         "replicas or conditions; ends with NOT_FOUND when it is deleted.")
    async def inference_service_status(self, info: Info, namespace: str,
                                       name: str) -> AsyncGenerator[InferenceService, None]:
        async for obj in feeds.service_status(info.context, _check(namespace, "namespace", 63), _check(name, "name")):
            yield InferenceService.of(obj)

    @strawberry.subscription(description="The model now, then at each change of its download state; ends with "
                                         "NOT_FOUND when it is deleted.")
    async def model_status(self, info: Info, name: str,
                           namespace: Optional[str] = None) -> AsyncGenerator[Model, None]:
        async for obj in feeds.model_status(info.context, _check(name, "name"), _check(namespace, "namespace", 63)):
            yield Model.of(obj)

    @strawberry.subscription(description="Cluster totals now, then whenever they change (at most once per "
                                         "intervalMs).")
    async def cluster_summary(self, info: Info, interval_ms: int = 1000) -> AsyncGenerator[ClusterSummary, None]:
        if not 100 <= interval_ms <= 60_000:
            raise invalid_input("intervalMs must be between 100 and 60000", "intervalMs")
        async for summary in feeds.summary(info.context, interval_ms / 1000):
            yield ClusterSummary(**summary)

    @strawberry.subscription(description="Writes made through any gateway replica (shared through Redis).")
    async def audit_events(self, info: Info) -> AsyncGenerator[AuditEvent, None]:
        async for event in feeds.audit(info.context):
            yield AuditEvent(action=event["action"], kind=event["kind"], namespace=event.get("namespace"),
                             name=event.get("name"), resource_version=event.get("resourceVersion"))
