"""The steps of one import attempt: resolve, metadata, detect, create, wait.

Each step can run again safely: the model carries the id of the job that created it and is adopted when it is
found again, so a job taken over from a lost worker is simply run from the start."""
from __future__ import annotations

import asyncio
import base64
import binascii

from ..hf import detect as hub
from ..k8s import kinds
from ..k8s.errors import KubeError
from .request import ImportRequest

JOB_ANNOTATION = "ome-gateway.io/import-job"
SOURCE_ANNOTATION = "ome-gateway.io/source"
STATE_PERCENT = {"Creating": 65, "Importing": 70, "In_Transit": 80, "In_Training": 80}
HUB_BACKOFF = 0.2


class JobFailed(Exception):
    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


class Lost(Exception):
    """The job was cancelled or taken over by another worker: stop without writing."""


class Attempt:
    """One attempt at one job; `worker` gives the store, the metadata cache, the context and the options."""

    def __init__(self, worker, job: dict, attempt: int) -> None:
        self.worker, self.job_id, self.attempt = worker, job["id"], attempt
        self.request = ImportRequest.of(job["request"])
        self.kind = kinds.BASE_MODEL if self.request.namespace else kinds.CLUSTER_BASE_MODEL
        self.where = "/".join(filter(None, (self.request.namespace, self.request.name)))

    async def still_mine(self) -> None:
        """Right before a cluster write: stop if the job was cancelled or taken over meanwhile."""
        if not await self.worker.store.holds(self.job_id, self.attempt):
            raise Lost(self.job_id)

    async def step(self, step: str, percent: int, message: str) -> None:
        if not await self.worker.store.progress(self.job_id, self.attempt, step, percent, message):
            raise Lost(self.job_id)
        pause = self.worker.options.pauses.get(step)
        if pause:
            await asyncio.sleep(pause)

    async def run(self) -> str:
        """The steps, in order; returns the completion message or raises JobFailed."""
        r = self.request
        await self.step("resolve", 5, f"importing {r.repo_id}@{r.revision or 'main'} as {self.kind.name} "
                                      f"{self.where}")
        token = await self.token()
        await self.existing()
        await self.step("metadata", 15, "reading the repository's metadata from the hub")
        found = await self.metadata(token)
        spec = hub.model_spec(found, key=r.secret_name, path=r.storage_path)
        await self.step("detect", 45, f"detected {found.architecture or 'an unknown architecture'}, "
                                      f"{found.format or '?'}/{found.framework or '?'}, "
                                      f"{found.parameter_size or '?'} parameters")
        await self.step("create", 55, f"creating {self.kind.name} {self.where}")
        how = await self.create(spec)
        await self.step("wait", 60, f"{how} {self.kind.name} {self.where}; waiting until it is Ready")
        await self.ready()
        return f"{self.kind.name} {self.where} is Ready"

    async def token(self) -> str | None:
        r = self.request
        if r.secret_name is None:
            return None
        where = f"{r.secret_home}/{r.secret_name}"
        try:
            secret = await self.worker.cluster.get(kinds.SECRET, r.secret_name, r.secret_home)
        except KubeError as exc:
            if exc.code == "NOT_FOUND":
                raise JobFailed("NOT_FOUND", f"Secret {where} not found",
                                f"create it with the Hugging Face token under the key {r.secret_key!r}") from None
            raise
        try:
            return base64.b64decode((secret.get("data") or {})[r.secret_key], validate=True).decode().strip()
        except (KeyError, binascii.Error, UnicodeDecodeError):
            raise JobFailed("INVALID_INPUT", f"Secret {where} has no token under the key {r.secret_key!r}") from None

    async def existing(self) -> dict | None:
        """The model already in the cluster: ours (an earlier attempt made it) or, with update, any."""
        try:
            obj = await self.worker.cluster.get(self.kind, self.request.name, self.request.namespace)
        except KubeError as exc:
            if exc.code == "NOT_FOUND":
                return None
            raise
        ours = (obj["metadata"].get("annotations") or {}).get(JOB_ANNOTATION) == self.job_id
        if not ours and not self.request.update:
            raise JobFailed("ALREADY_EXISTS", f"{self.kind.name} {self.where} already exists",
                            "import it with update: true to update it, or choose another name")
        return obj

    async def metadata(self, token: str | None) -> hub.Detection:
        """Detection, retried with backoff while the hub is unavailable."""
        r, attempts = self.request, self.worker.options.hub_attempts
        for attempt in range(1, attempts + 1):
            try:
                return (await self.worker.hub.detect(r.repo_id, r.revision, token))[0]
            except hub.HubError as exc:
                if exc.code != "UPSTREAM_UNAVAILABLE":
                    raise JobFailed(exc.code, exc.message, exc.hint) from None
                if attempt == attempts:
                    raise JobFailed(exc.code, f"the hub is unavailable after {attempts} attempts: {exc.message}",
                                    exc.hint) from None
                delay = HUB_BACKOFF * 2 ** (attempt - 1)
                await self.step("metadata", 15, f"the hub is unavailable ({exc.message}); attempt {attempt + 1} "
                                                f"of {attempts} in {delay:g}s")
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def create(self, spec: dict) -> str:
        """Create the model, or adopt ours, or (with update) replace the spec of the one there."""
        r, cluster = self.request, self.worker.cluster
        mine = {JOB_ANNOTATION: self.job_id,
                SOURCE_ANNOTATION: f"hf://{r.repo_id}" + (f"@{r.revision}" if r.revision else "")}
        for _ in range(3):
            obj = await self.existing()
            if obj is None:
                meta = {"name": r.name, **({"namespace": r.namespace} if r.namespace else {}), "annotations": mine}
                await self.still_mine()
                try:
                    await cluster.create(self.kind, {"apiVersion": self.kind.api_version, "kind": self.kind.name,
                                                     "metadata": meta, "spec": spec})
                    return "created"
                except KubeError as exc:
                    if exc.code != "ALREADY_EXISTS":
                        raise
                    continue  # made meanwhile: look again
            if (obj["metadata"].get("annotations") or {}).get(JOB_ANNOTATION) == self.job_id:
                return "adopted"
            annotations = {**(obj["metadata"].get("annotations") or {}), **mine}
            await self.still_mine()
            try:
                await cluster.replace(self.kind, {**obj, "metadata": {**obj["metadata"], "annotations": annotations},
                                                  "spec": spec})
                return "updated"
            except KubeError as exc:
                if exc.code != "CONFLICT":
                    raise
        raise JobFailed("CONFLICT", f"{self.kind.name} {self.where} kept changing while importing; retry the job")

    async def ready(self) -> None:
        """Poll the model until its state is Ready; fail on Failed, deletion or timeout."""
        options, last = self.worker.options, None
        deadline = asyncio.get_running_loop().time() + options.ready_timeout
        while True:
            try:
                obj = await self.worker.cluster.observe(self.kind, self.request.name, self.request.namespace)
                state = (obj.get("status") or {}).get("state")
            except KubeError as exc:
                if exc.code == "NOT_FOUND":
                    raise JobFailed("NOT_FOUND", f"{self.kind.name} {self.where} was deleted while importing") from None
                if exc.code != "UPSTREAM_UNAVAILABLE":
                    raise
                state = last
            if state == "Ready":
                return
            if state == "Failed":
                raise JobFailed("MODEL_FAILED", f"the cluster reports {self.kind.name} {self.where} as Failed",
                                "see the model's events")
            if state != last and state:
                await self.step("wait", STATE_PERCENT.get(state, 70), f"the model is {state}")
            last = state
            if asyncio.get_running_loop().time() > deadline:
                raise JobFailed("TIMEOUT", f"{self.kind.name} {self.where} was not Ready after "
                                           f"{options.ready_timeout:g}s")
            await asyncio.sleep(options.poll)
