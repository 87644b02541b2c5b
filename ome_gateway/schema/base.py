"""Shared GraphQL building blocks: the Resource interface, metadata, conditions, scopes, connections."""
from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any, ClassVar, Iterable, Optional

import strawberry
import yaml
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from ..ome.refs import condition
from ..maybe import resolved


@strawberry.enum(description="Whether an object is cluster-wide or lives in a namespace.")
class Scope(Enum):
    CLUSTER = "CLUSTER"
    NAMESPACE = "NAMESPACE"


@strawberry.type(description="A label or annotation.")
class Label:
    key: str
    value: str


def pairs(mapping: dict | None) -> list[Label]:
    return [Label(key=k, value=str(v)) for k, v in sorted((mapping or {}).items())]


@strawberry.type(description="Kubernetes object metadata.")
class ObjectMeta:
    raw: strawberry.Private[dict]

    @strawberry.field
    def uid(self) -> Optional[str]:
        return self.raw.get("uid")

    @strawberry.field
    def resource_version(self) -> Optional[str]:
        return self.raw.get("resourceVersion")

    @strawberry.field
    def generation(self) -> Optional[int]:
        return self.raw.get("generation")

    @strawberry.field
    def creation_timestamp(self) -> Optional[str]:
        return self.raw.get("creationTimestamp")

    @strawberry.field
    def deletion_timestamp(self) -> Optional[str]:
        return self.raw.get("deletionTimestamp")

    @strawberry.field
    def labels(self) -> list[Label]:
        return pairs(self.raw.get("labels"))

    @strawberry.field
    def annotations(self) -> list[Label]:
        return pairs(self.raw.get("annotations"))

    @strawberry.field
    def finalizers(self) -> list[str]:
        return list(self.raw.get("finalizers") or [])


@strawberry.type(description="A status condition, as Kubernetes reports it.")
class Condition:
    type: str
    status: str
    reason: Optional[str] = None
    message: Optional[str] = None
    last_transition_time: Optional[str] = None

    @classmethod
    def all_of(cls, obj: dict) -> list["Condition"]:
        return [cls(type=c.get("type", ""), status=c.get("status", "Unknown"), reason=c.get("reason") or None,
                    message=c.get("message") or None, last_transition_time=c.get("lastTransitionTime"))
                for c in (obj.get("status") or {}).get("conditions") or [] if isinstance(c, dict)]


def node_key(obj: dict) -> str:
    """The part of a global ID after the type name: `namespace/name`, with an empty namespace when cluster-wide."""
    meta = obj["metadata"]
    return f"{meta.get('namespace') or ''}/{meta['name']}"


@strawberry.interface(description="Any Kubernetes object the graph serves.")
class Resource(relay.Node):
    id: relay.NodeID[str]
    raw: strawberry.Private[dict]
    name: str
    namespace: Optional[str]

    @classmethod
    def of(cls, obj: dict | None) -> Any:
        if obj is None:
            return None
        meta = obj["metadata"]
        return cls(id=node_key(obj), raw=obj, name=meta["name"], namespace=meta.get("namespace") or None)

    @classmethod
    def many(cls, objs: Iterable[dict]) -> list[Any]:
        return [cls.of(o) for o in objs]

    @strawberry.field(description="Kubernetes metadata: labels, annotations, resourceVersion, ...")
    def metadata(self) -> ObjectMeta:
        return ObjectMeta(raw=self.raw["metadata"])

    @strawberry.field(description="The object as Kubernetes returns it.")
    def manifest(self) -> JSON:
        return self.raw

    @strawberry.field(description="The object as YAML.")
    def yaml(self) -> str:
        return yaml.safe_dump(self.raw, sort_keys=False)


class Loadable:
    """resolve_nodes for types whose node key is `namespace/name`; KINDS maps scope to the Kubernetes kind."""

    CLUSTER_KIND: ClassVar[Any] = None
    NAMESPACED_KIND: ClassVar[Any] = None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        loaders = info.context.loaders

        async def load(node_id: str):
            namespace, sep, name = node_id.partition("/")
            kind = cls.NAMESPACED_KIND if namespace else cls.CLUSTER_KIND
            if not sep or not name or kind is None:
                return None
            return await resolved(loaders.get(kind, name, namespace or None))

        objs = await asyncio.gather(*(load(n) for n in node_ids))
        return [cls.of(o) for o in objs]


def ready_of(obj: dict) -> Optional[bool]:
    cond = condition(obj, "Ready")
    return None if cond is None else cond.get("status") == "True"
