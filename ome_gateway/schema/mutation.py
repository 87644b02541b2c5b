"""The root Mutation. Failures are GraphQL errors with extensions.code (INVALID_INPUT with field paths, NOT_FOUND,
ALREADY_EXISTS, CONFLICT, FORBIDDEN, UPSTREAM_UNAVAILABLE); nothing is written when one is raised."""
from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.types import Info

from ..resolvers import catalog, deploy, manifests, services
from .compatibility import RuntimeMatch
from .base import Scope
from .inputs import (CatalogObjectInput, CatalogUpdateInput, ComponentInput, DeployInferenceServiceInput,
                     ScaleInferenceServiceInput, label_map)
from .models import Model
from .payloads import ApplyAction, DeleteResult, DeployResult, ManifestDocument, ManifestResult, MutationError
from .runtimes import Runtime
from .services import InferenceService


def _component(value: Optional[ComponentInput]) -> deploy.Component:
    return deploy.Component(value.min_replicas, value.max_replicas, value.cpu, value.memory, value.gpus)


def _namespaced(scope: Optional[Scope]) -> Optional[bool]:
    return None if scope is None else scope == Scope.NAMESPACE


def _deleted(obj: dict, kind: str, dry_run: bool) -> DeleteResult:
    meta = obj.get("metadata") or {}
    return DeleteResult(kind=kind, name=meta.get("name", ""), namespace=meta.get("namespace"), dry_run=dry_run)


def _manifest_result(outcomes: list[manifests.Outcome], dry_run: bool) -> ManifestResult:
    documents = [ManifestDocument(index=o.index, kind=o.kind, name=o.name, namespace=o.namespace,
                                  action=ApplyAction(o.action) if o.action else None, applied=o.applied,
                                  error=MutationError.of(o.error) if o.error else None,
                                  object=o.object if o.error is None else None) for o in outcomes]
    return ManifestResult(dry_run=dry_run, valid=not any(o.error for o in outcomes),
                          applied=all(o.applied for o in outcomes), documents=documents)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an InferenceService, picking the runtime as OME would when none is "
                                     "named; dryRun validates everything without creating it.")
    async def deploy_inference_service(self, info: Info, input: DeployInferenceServiceInput) -> DeployResult:
        parts = {name: _component(part) for name, part in
                 (("engine", input.engine), ("decoder", input.decoder), ("router", input.router)) if part}
        done = await deploy.deploy(info.context, deploy.DeployRequest(
            name=input.name, namespace=input.namespace, model=input.model,
            model_namespaced=_namespaced(input.model_scope), runtime=input.runtime,
            runtime_namespaced=_namespaced(input.runtime_scope), accelerator_class=input.accelerator_class,
            components=parts, labels=label_map(input.labels), dry_run=input.dry_run))
        return DeployResult(service=InferenceService.of(done.service), runtime=RuntimeMatch.of(done.selection,
                                                                                                done.model),
                            auto_selected=done.auto_selected, dry_run=input.dry_run, warnings=done.warnings)

    @strawberry.mutation(description="Change the replica bounds of one component of an inference service.")
    async def scale_inference_service(self, info: Info, input: ScaleInferenceServiceInput) -> InferenceService:
        return InferenceService.of(await services.scale(info.context, input.namespace, input.name,
                                                        input.component.value, input.min_replicas,
                                                        input.max_replicas, input.resource_version))

    @strawberry.mutation
    async def delete_inference_service(self, info: Info, namespace: str, name: str,
                                       dry_run: bool = False) -> DeleteResult:
        return _deleted(await services.delete(info.context, namespace, name, dry_run), "InferenceService", dry_run)

    @strawberry.mutation(description="Create a ClusterBaseModel, or a BaseModel when a namespace is given.")
    async def create_model(self, info: Info, input: CatalogObjectInput, dry_run: bool = False) -> Model:
        return Model.of(await catalog.create(info.context, catalog.MODELS, input.name, input.namespace, input.spec,
                                             label_map(input.labels), dry_run))

    @strawberry.mutation(description="Replace a model's spec.")
    async def update_model(self, info: Info, input: CatalogUpdateInput, dry_run: bool = False) -> Model:
        return Model.of(await catalog.update(info.context, catalog.MODELS, input.name, input.namespace, input.spec,
                                             label_map(input.labels) if input.labels is not None else None,
                                             input.resource_version, dry_run))

    @strawberry.mutation
    async def delete_model(self, info: Info, name: str, namespace: Optional[str] = None,
                           dry_run: bool = False) -> DeleteResult:
        kind = catalog.kind_of(catalog.MODELS, namespace).name
        return _deleted(await catalog.delete(info.context, catalog.MODELS, name, namespace, dry_run), kind, dry_run)

    @strawberry.mutation(description="Create a ClusterServingRuntime, or a ServingRuntime when a namespace is given.")
    async def create_runtime(self, info: Info, input: CatalogObjectInput, dry_run: bool = False) -> Runtime:
        return Runtime.of(await catalog.create(info.context, catalog.RUNTIMES, input.name, input.namespace,
                                               input.spec, label_map(input.labels), dry_run))

    @strawberry.mutation(description="Replace a runtime's spec.")
    async def update_runtime(self, info: Info, input: CatalogUpdateInput, dry_run: bool = False) -> Runtime:
        return Runtime.of(await catalog.update(info.context, catalog.RUNTIMES, input.name, input.namespace,
                                               input.spec, label_map(input.labels) if input.labels is not None
                                               else None, input.resource_version, dry_run))

    @strawberry.mutation
    async def delete_runtime(self, info: Info, name: str, namespace: Optional[str] = None,
                             dry_run: bool = False) -> DeleteResult:
        kind = catalog.kind_of(catalog.RUNTIMES, namespace).name
        return _deleted(await catalog.delete(info.context, catalog.RUNTIMES, name, namespace, dry_run), kind,
                        dry_run)

    @strawberry.mutation(description="Copy a runtime under a new name; newNamespace makes the copy namespaced "
                                     "(null: cluster-wide), so a clone can change scope.")
    async def clone_runtime(self, info: Info, name: str, new_name: str, namespace: Optional[str] = None,
                            new_namespace: Optional[str] = None, dry_run: bool = False) -> Runtime:
        return Runtime.of(await catalog.clone(info.context, catalog.RUNTIMES, name, namespace, new_name,
                                              new_namespace, dry_run))

    @strawberry.mutation(description="Create or update every OME object in a multi-document YAML. All documents "
                                     "are validated by the API server first; if any fails, none is written.")
    async def apply_manifest(self, info: Info, yaml: str, dry_run: bool = False) -> ManifestResult:
        return _manifest_result(await manifests.apply(info.context, yaml, dry_run), dry_run)

    @strawberry.mutation(description="Validate a multi-document YAML against the CRDs without writing anything.")
    async def validate_manifest(self, info: Info, yaml: str) -> ManifestResult:
        return _manifest_result(await manifests.apply(info.context, yaml, True), True)
