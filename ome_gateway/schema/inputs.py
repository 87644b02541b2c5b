"""Input types of the mutations."""
from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.scalars import JSON

from ..resolvers.errors import invalid_input
from .base import Scope
from .services import ComponentKind


@strawberry.input(description="A label to set.")
class LabelInput:
    key: str
    value: str


def label_map(labels: Optional[list[LabelInput]], field: str = "labels") -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in labels or []:
        if pair.key in out:
            raise invalid_input(f"label {pair.key[:80]!r} is given twice", field)
        out[pair.key] = pair.value
    return out


@strawberry.input(description="Replicas and resources of one component.")
class ComponentInput:
    min_replicas: Optional[int] = None
    max_replicas: Optional[int] = None
    cpu: Optional[str] = strawberry.field(default=None, description='CPU request and limit, e.g. "4" or "500m".')
    memory: Optional[str] = strawberry.field(default=None, description='Memory request and limit, e.g. "32Gi".')
    gpus: Optional[int] = strawberry.field(default=None, description="nvidia.com/gpu request and limit.")


@strawberry.input(description="What to deploy. Without a runtime, the gateway picks the one OME would.")
class DeployInferenceServiceInput:
    name: str
    namespace: str
    model: str
    model_scope: Optional[Scope] = strawberry.field(default=None, description="Default: the namespace's BaseModel "
                                                    "of that name if there is one, else the ClusterBaseModel.")
    runtime: Optional[str] = None
    runtime_scope: Optional[Scope] = strawberry.field(default=None, description="As modelScope, for the runtime.")
    accelerator_class: Optional[str] = None
    engine: Optional[ComponentInput] = None
    decoder: Optional[ComponentInput] = None
    router: Optional[ComponentInput] = None
    labels: Optional[list[LabelInput]] = None
    dry_run: bool = strawberry.field(default=False, description="Validate everything (server-side too) without "
                                                                "creating anything.")


@strawberry.input(description="New replica bounds for one component; only that component changes.")
class ScaleInferenceServiceInput:
    namespace: str
    name: str
    component: ComponentKind = ComponentKind.ENGINE
    min_replicas: Optional[int] = None
    max_replicas: Optional[int] = None
    resource_version: Optional[str] = strawberry.field(default=None, description="Scale only if the service is "
                                                       "still at this version (else CONFLICT).")


@strawberry.input(description="A model or runtime to create: a namespace makes it namespaced (BaseModel, "
                              "ServingRuntime), else cluster-wide. The spec is checked against the CRD.")
class CatalogObjectInput:
    name: str
    namespace: Optional[str] = None
    spec: JSON
    labels: Optional[list[LabelInput]] = None


@strawberry.input(description="A new spec for a model or runtime.")
class CatalogUpdateInput:
    name: str
    namespace: Optional[str] = None
    spec: JSON
    labels: Optional[list[LabelInput]] = strawberry.field(default=None, description="Replace the labels (null: keep "
                                                                                      "them).")
    resource_version: Optional[str] = strawberry.field(default=None, description="Update only if the object is "
                                                       "still at this version (else CONFLICT).")
