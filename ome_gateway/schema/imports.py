"""Import jobs in the graph: importModel and friends, the job type, and its progress subscription."""
from __future__ import annotations

from enum import Enum
from typing import AsyncGenerator, Optional

import strawberry
from strawberry.types import Info

from ..k8s import kinds
from ..resolvers import imports
from ..maybe import resolved
from .base import Scope
from .models import Model


@strawberry.enum(description="Where an import job is: QUEUED, RUNNING, then COMPLETED, FAILED or CANCELLED.")
class ImportJobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.type(description="Why a job failed: code is NOT_FOUND, FORBIDDEN, UPSTREAM_UNAVAILABLE, INVALID_INPUT, "
                             "ALREADY_EXISTS, CONFLICT, MODEL_FAILED, TIMEOUT, ABANDONED or INTERNAL_SERVER_ERROR.")
class ImportJobError:
    code: str
    message: str
    hint: Optional[str]


@strawberry.type(description="One step of a job's progress, with its id in the job's event stream.")
class ImportJobEvent:
    id: str
    state: ImportJobState
    step: str = strawberry.field(description="queued, claimed, resolve, metadata, detect, create, wait, completed, "
                                             "failed or cancelled")
    percent: int
    message: str
    timestamp: str
    worker: Optional[str] = strawberry.field(description="The worker that claimed the job (claimed events).")
    code: Optional[str] = strawberry.field(description="The error code (failed events).")

    @classmethod
    def of(cls, event: dict) -> "ImportJobEvent":
        return cls(id=event["id"], state=ImportJobState(event["state"]), step=event["step"],
                   percent=int(event["percent"]), message=event["message"], timestamp=event["timestamp"],
                   worker=event.get("worker"), code=event.get("error_code"))


@strawberry.type(description="The Secret key holding a Hugging Face token (never the token itself).")
class TokenSecretRef:
    name: str
    key: str
    namespace: Optional[str]


@strawberry.type(description="An import of a Hugging Face model into the cluster as a (Cluster)BaseModel.")
class ImportJob:
    id: strawberry.ID
    repo_id: str
    revision: Optional[str]
    scope: Scope
    namespace: Optional[str]
    name: str = strawberry.field(description="The model's name in the cluster.")
    storage_path: Optional[str]
    token_secret: Optional[TokenSecretRef]
    update: bool
    state: ImportJobState
    step: str
    percent: int
    message: str
    error: Optional[ImportJobError]
    attempts: int = strawberry.field(description="Workers that took the job on (more than one after a takeover).")
    worker: Optional[str]
    created_at: str
    updated_at: str
    finished_at: Optional[str]

    @classmethod
    def of(cls, job: dict) -> "ImportJob":
        r = job["request"]
        error = ImportJobError(code=job["error_code"], message=job.get("error_message", ""),
                               hint=job.get("error_hint")) if job.get("error_code") else None
        secret = TokenSecretRef(name=r["secret_name"], key=r["secret_key"], namespace=r["secret_namespace"]) \
            if r.get("secret_name") else None
        return cls(id=strawberry.ID(job["id"]), repo_id=r["repo_id"], revision=r.get("revision"),
                   scope=Scope.NAMESPACE if r.get("namespace") else Scope.CLUSTER, namespace=r.get("namespace"),
                   name=r["name"], storage_path=r.get("storage_path"), token_secret=secret,
                   update=bool(r.get("update")), state=ImportJobState(job["state"]), step=job["step"],
                   percent=job["percent"], message=job["message"], error=error, attempts=job["attempt"],
                   worker=job.get("worker"), created_at=job["created_at"], updated_at=job["updated_at"],
                   finished_at=job.get("finished_at"))

    @strawberry.field(description="The model in the cluster, once created.")
    async def model(self, info: Info) -> Optional[Model]:
        kind = kinds.BASE_MODEL if self.namespace else kinds.CLUSTER_BASE_MODEL
        return Model.of(await resolved(info.context.loaders.get(kind, self.name, self.namespace)))

    @strawberry.field(description="The job's history, oldest first (after the given event id).")
    async def events(self, info: Info, after: Optional[str] = None) -> list[ImportJobEvent]:
        return [ImportJobEvent.of(e) for e in await imports.history(info.context, self.id, after)]


@strawberry.input(description="The Secret (and key) holding a Hugging Face token for gated or private models.")
class TokenSecretInput:
    name: str
    key: str = "token"
    namespace: Optional[str] = strawberry.field(default=None, description="Defaults to the model's namespace; "
                                                                        "required for a cluster-wide model.")


@strawberry.input(description="A Hugging Face model to import.")
class ImportModelInput:
    repo_id: str = strawberry.field(description='e.g. "meta-llama/Llama-3.1-8B-Instruct"')
    revision: Optional[str] = strawberry.field(default=None, description="A branch, tag or commit; default main.")
    scope: Scope = strawberry.field(default=Scope.CLUSTER, description="CLUSTER: a ClusterBaseModel; NAMESPACE: a "
                                                                       "BaseModel in namespace.")
    namespace: Optional[str] = None
    name: Optional[str] = strawberry.field(default=None, description="Defaults to the repository's name as a "
                                                                     "DNS-1123 label.")
    storage_path: Optional[str] = strawberry.field(default=None, description="Where nodes store the weights.")
    token_secret: Optional[TokenSecretInput] = None
    update: bool = strawberry.field(default=False, description="Update the model if it already exists.")


@strawberry.type
class ImportQuery:
    @strawberry.field(description="An import job by id; null when unknown or expired.")
    async def import_job(self, info: Info, id: strawberry.ID) -> Optional[ImportJob]:
        job = await imports.get(info.context, id)
        return ImportJob.of(job) if job else None

    @strawberry.field(description="Import jobs, newest first.")
    async def import_jobs(self, info: Info, state: Optional[ImportJobState] = None,
                          limit: int = 100) -> list[ImportJob]:
        return [ImportJob.of(j) for j in await imports.listing(info.context, state and state.value, limit)]


@strawberry.type
class ImportMutation:
    @strawberry.mutation(description="Queue the import of a Hugging Face model; returns the queued job at once.")
    async def import_model(self, info: Info, input: ImportModelInput) -> ImportJob:
        secret = input.token_secret
        return ImportJob.of(await imports.submit(
            info.context, input.scope == Scope.CLUSTER, repo_id=input.repo_id, revision=input.revision,
            namespace=input.namespace, name=input.name, storage_path=input.storage_path, update=input.update,
            **({"secret_name": secret.name, "secret_key": secret.key, "secret_namespace": secret.namespace}
               if secret else {})))

    @strawberry.mutation(description="Cancel a queued or running job (CONFLICT once it has ended).")
    async def cancel_import_job(self, info: Info, id: strawberry.ID) -> ImportJob:
        return ImportJob.of(await imports.cancel(info.context, id))

    @strawberry.mutation(description="Queue a failed or cancelled job again (CONFLICT otherwise).")
    async def retry_import_job(self, info: Info, id: strawberry.ID) -> ImportJob:
        return ImportJob.of(await imports.retry(info.context, id))


@strawberry.type
class ImportSubscription:
    @strawberry.subscription(description="A job's progress: its past events (after the given event id), then live "
                                         "ones; ends when the job completes, fails or is cancelled.")
    async def import_job_progress(self, info: Info, id: strawberry.ID,
                                  after: Optional[str] = None) -> AsyncGenerator[ImportJobEvent, None]:
        async for event in imports.progress(info.context, id, after):
            yield ImportJobEvent.of(event)
