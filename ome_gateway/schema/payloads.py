"""What the mutations return."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import strawberry
from strawberry.scalars import JSON

from ..resolvers.errors import GatewayError

ServiceRef = Annotated["InferenceService", strawberry.lazy(".services")]
MatchRef = Annotated["RuntimeMatch", strawberry.lazy(".compatibility")]


@strawberry.type(description="A problem with one input field.")
class FieldError:
    field: Optional[str]
    message: str


@strawberry.type(description="A typed error inside a result (the same codes as extensions.code of top-level "
                             "errors).")
class MutationError:
    code: str
    message: str
    fields: list[FieldError]

    @classmethod
    def of(cls, error: GatewayError) -> "MutationError":
        return cls(code=error.code, message=error.message,
                   fields=[FieldError(field=f.get("field"), message=f.get("message") or "") for f in error.fields])


@strawberry.type(description="The outcome of deployInferenceService.")
class DeployResult:
    service: ServiceRef = strawberry.field(description="The service as created (as it would be, on a dry run).")
    runtime: MatchRef = strawberry.field(description="The runtime used, with its verdict.")
    auto_selected: bool = strawberry.field(description="Whether the gateway chose the runtime.")
    dry_run: bool
    warnings: list[str]


@strawberry.type(description="What was deleted (or would be, on a dry run).")
class DeleteResult:
    kind: str
    name: str
    namespace: Optional[str]
    dry_run: bool


@strawberry.enum
class ApplyAction(Enum):
    CREATE = "create"
    UPDATE = "update"


@strawberry.type(description="One document of a manifest.")
class ManifestDocument:
    index: int
    kind: Optional[str]
    name: Optional[str]
    namespace: Optional[str]
    action: Optional[ApplyAction] = strawberry.field(description="What applying does (did) to it.")
    applied: bool
    error: Optional[MutationError]
    object: Optional[JSON] = strawberry.field(description="The object as the API server returned it.")


@strawberry.type(description="The outcome of applyManifest or validateManifest.")
class ManifestResult:
    dry_run: bool
    valid: bool = strawberry.field(description="Every document passed validation.")
    applied: bool = strawberry.field(description="Every document was written (never some without the others "
                                                 "failing validation first).")
    documents: list[ManifestDocument]
