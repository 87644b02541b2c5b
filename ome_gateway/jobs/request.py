"""What an import asks for, checked and normalised once, before it is queued."""
from __future__ import annotations

import dataclasses
import re

REPO_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
REVISION = re.compile(r"^[^\s]{1,255}$")
STORAGE_PATH = re.compile(r"/(?!.*\.\.)[^\x00-\x1f\x7f]{1,1023}")  # not "/" alone: a model needs a folder


class InvalidRequest(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def target_name(repo_id: str) -> str:
    """A DNS-1123 label (at most 63 characters) from the repository's name: `Meta-Llama-3.1_8B` ->
    `meta-llama-3-1-8b`."""
    name = re.sub(r"[^a-z0-9]+", "-", repo_id.rsplit("/", 1)[-1].lower()).strip("-")[:63].strip("-")
    return name or "model"


@dataclasses.dataclass(frozen=True)
class ImportRequest:
    repo_id: str
    name: str
    namespace: str | None = None  # None: a cluster-wide ClusterBaseModel
    revision: str | None = None
    storage_path: str | None = None
    secret_name: str | None = None
    secret_key: str = "token"
    secret_namespace: str | None = None
    update: bool = False

    @classmethod
    def checked(cls, repo_id: str, namespace: str | None = None, name: str | None = None, **rest) -> "ImportRequest":
        """Validate every field; raises InvalidRequest naming the first bad one."""
        parts = repo_id.split("/")
        if len(parts) > 2 or not all(REPO_PART.fullmatch(p) and ".." not in p for p in parts):
            raise InvalidRequest("repoId", 'repoId must look like "owner/name" (letters, digits, ".", "_", "-")')
        if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.fullmatch(namespace)):
            raise InvalidRequest("namespace", "namespace must be a DNS-1123 label of at most 63 characters")
        name = name if name is not None else target_name(repo_id)
        if len(name) > 63 or not DNS_LABEL.fullmatch(name):
            raise InvalidRequest("name", "name must be a DNS-1123 label of at most 63 characters")
        request = cls(repo_id=repo_id, namespace=namespace, name=name, **rest)
        request._check_rest()
        return request

    def _check_rest(self) -> None:
        if self.revision is not None and not REVISION.fullmatch(self.revision):
            raise InvalidRequest("revision", "revision must be 1 to 255 characters without spaces")
        if self.storage_path is not None and not STORAGE_PATH.fullmatch(self.storage_path):
            raise InvalidRequest("storagePath", 'storagePath must be an absolute path below "/" of at most 1024 '
                                                'printable characters, without ".."')
        if self.secret_name is None:
            return
        if len(self.secret_name) > 253 or not DNS_SUBDOMAIN.fullmatch(self.secret_name):
            raise InvalidRequest("tokenSecret.name", "tokenSecret.name must be a DNS-1123 subdomain")
        if not SECRET_KEY.fullmatch(self.secret_key):
            raise InvalidRequest("tokenSecret.key", 'tokenSecret.key may hold letters, digits, "-", "_" and "."')
        if self.secret_namespace is not None and not DNS_LABEL.fullmatch(self.secret_namespace):
            raise InvalidRequest("tokenSecret.namespace", "tokenSecret.namespace must be a DNS-1123 label")
        if self.secret_home is None:
            raise InvalidRequest("tokenSecret.namespace", "a cluster-wide model needs tokenSecret.namespace")

    @property
    def secret_home(self) -> str | None:
        """The namespace of the token Secret: its own, else the model's."""
        return self.secret_namespace or self.namespace

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def of(cls, data: dict) -> "ImportRequest":
        return cls(**{f.name: data.get(f.name, f.default) for f in dataclasses.fields(cls)})
