"""The root Query: lists with filters and Relay pagination, lookups by name, node(id) and the summary."""
from __future__ import annotations

from typing import Optional

import strawberry
from strawberry import relay
from strawberry.types import Info

from ..k8s import kinds
from ..ome import refs
from ..resolvers import compatibility, lookup, validate
from ..resolvers.errors import GatewayError, invalid_input
from ..resolvers.filters import select
from ..maybe import resolved
from ..resolvers.summary import cluster_summary
from .accelerators import AcceleratorClass
from .base import Scope
from .compatibility import RuntimeMatch
from .connection import CountedConnection
from .core import ClusterNode, Namespace
from .models import Model
from .runtimes import Runtime
from .services import InferenceService

def _check(value: Optional[str], field: str, limit: int = 253) -> Optional[str]:
    return validate.label(value, field) if limit == 63 else validate.subdomain(value, field)


def _check_search(search: Optional[str]) -> Optional[str]:
    if search is not None and len(search) > 253:
        raise invalid_input("search must be at most 253 characters", "search")
    return search


def _check_selector(selector: Optional[str]) -> Optional[str]:
    if selector is not None and len(selector) > 1024:
        raise invalid_input("labelSelector must be at most 1024 characters", "labelSelector")
    return selector or None


@strawberry.type(description="Counts over the whole cluster, for dashboards.")
class ClusterSummary:
    models: int
    models_ready: int
    runtimes: int
    runtimes_disabled: int
    services: int
    services_ready: int
    services_not_ready: int
    accelerator_classes: int
    nodes: int
    namespaces: int = strawberry.field(description="Namespaces that have inference services.")
    gpus_total: int
    gpus_used: int


@strawberry.type
class Query:
    node: Optional[relay.Node] = relay.node(description="Any object by its global ID.")

    @relay.connection(CountedConnection[InferenceService], description="Inference services, ordered by namespace "
                      "and name.")
    async def inference_services(self, info: Info, namespace: Optional[str] = None,
                                 label_selector: Optional[str] = None, search: Optional[str] = None,
                                 ready: Optional[bool] = None) -> list[InferenceService]:
        items = await resolved(lookup.list_kind(info.context, kinds.INFERENCE_SERVICE,
                                                _check(namespace, "namespace", 63), _check_selector(label_selector)))
        return InferenceService.many(select(items, _check_search(search), ready, refs.service_ready))

    @strawberry.field
    async def inference_service(self, info: Info, namespace: str, name: str) -> Optional[InferenceService]:
        obj = await resolved(info.context.loaders.get(kinds.INFERENCE_SERVICE, _check(name, "name"),
                                                      _check(namespace, "namespace", 63)))
        return InferenceService.of(obj)

    @relay.connection(CountedConnection[Model], description="Models of both scopes, cluster-wide first.")
    async def models(self, info: Info, scope: Optional[Scope] = None, namespace: Optional[str] = None,
                     label_selector: Optional[str] = None, search: Optional[str] = None,
                     ready: Optional[bool] = None) -> list[Model]:
        items = await resolved(lookup.list_scoped(info.context, lookup.MODEL_KINDS, scope and scope.value,
                                                  _check(namespace, "namespace", 63), _check_selector(label_selector)))
        return Model.many(select(items, _check_search(search), ready, refs.model_ready))

    @strawberry.field(description="A model by name: a BaseModel when namespace is given, else a ClusterBaseModel.")
    async def model(self, info: Info, name: str, namespace: Optional[str] = None) -> Optional[Model]:
        kind = kinds.BASE_MODEL if namespace else kinds.CLUSTER_BASE_MODEL
        return Model.of(await resolved(info.context.loaders.get(kind, _check(name, "name"),
                                                                _check(namespace, "namespace", 63))))

    @relay.connection(CountedConnection[Runtime], description="Runtimes of both scopes, cluster-wide first.")
    async def runtimes(self, info: Info, scope: Optional[Scope] = None, namespace: Optional[str] = None,
                       label_selector: Optional[str] = None, search: Optional[str] = None,
                       disabled: Optional[bool] = None) -> list[Runtime]:
        items = await resolved(lookup.list_scoped(info.context, lookup.RUNTIME_KINDS, scope and scope.value,
                                                  _check(namespace, "namespace", 63), _check_selector(label_selector)))
        if disabled is not None:
            items = [r for r in items if bool((r.get("spec") or {}).get("disabled")) == disabled]
        return Runtime.many(select(items, _check_search(search)))

    @strawberry.field(description="A runtime by name: a ServingRuntime when namespace is given, else a "
                                  "ClusterServingRuntime.")
    async def runtime(self, info: Info, name: str, namespace: Optional[str] = None) -> Optional[Runtime]:
        kind = kinds.SERVING_RUNTIME if namespace else kinds.CLUSTER_SERVING_RUNTIME
        return Runtime.of(await resolved(info.context.loaders.get(kind, _check(name, "name"),
                                                                  _check(namespace, "namespace", 63))))

    @relay.connection(CountedConnection[AcceleratorClass])
    async def accelerator_classes(self, info: Info, search: Optional[str] = None) -> list[AcceleratorClass]:
        items = await resolved(lookup.list_kind(info.context, kinds.ACCELERATOR_CLASS))
        return AcceleratorClass.many(select(items, _check_search(search)))

    @strawberry.field
    async def accelerator_class(self, info: Info, name: str) -> Optional[AcceleratorClass]:
        return AcceleratorClass.of(await resolved(info.context.loaders.get(kinds.ACCELERATOR_CLASS,
                                                                           _check(name, "name"))))

    @strawberry.field
    async def namespaces(self, info: Info) -> list[Namespace]:
        return Namespace.many(select(await resolved(lookup.list_kind(info.context, kinds.NAMESPACE))))

    @strawberry.field(description="Kubernetes nodes, optionally filtered by a label selector.")
    async def cluster_nodes(self, info: Info, label_selector: Optional[str] = None) -> list[ClusterNode]:
        items = await resolved(lookup.list_kind(info.context, kinds.NODE, None, _check_selector(label_selector)))
        return ClusterNode.many(select(items))

    @strawberry.field
    async def cluster_summary(self, info: Info) -> ClusterSummary:
        return ClusterSummary(**await cluster_summary(info.context))

    @strawberry.field(description="The full verdict on one model and one runtime. A namespace picks the namespaced "
                                  "kind (BaseModel, ServingRuntime); without one, the cluster kind.")
    async def runtime_compatibility(self, info: Info, model: str, runtime: str, model_namespace: Optional[str] = None,
                                    runtime_namespace: Optional[str] = None,
                                    accelerator_class: Optional[str] = None) -> RuntimeMatch:
        model_ref = ("BaseModel" if model_namespace else "ClusterBaseModel", _check(model_namespace, "modelNamespace",
                                                                                     63), _check(model, "model"))
        runtime_ref = ("ServingRuntime" if runtime_namespace else "ClusterServingRuntime",
                       _check(runtime_namespace, "runtimeNamespace", 63), _check(runtime, "runtime"))
        found_model, found_runtime, verdict = await resolved(compatibility.report(
            info.context, model_ref, runtime_ref, _check(accelerator_class, "acceleratorClass")))
        for ref, found, field in ((model_ref, found_model, "model"), (runtime_ref, found_runtime, "runtime")):
            if found is None:
                where = f" in namespace {ref[1]}" if ref[1] else ""
                raise GatewayError("NOT_FOUND", f"{ref[0]} {ref[2]}{where} not found", [{"field": field,
                                                                                          "message": "not found"}])
        return RuntimeMatch.of(verdict, found_model)
