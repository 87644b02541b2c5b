"""What every resolver gets: the upstream client, the shared cache, this request's loaders, the settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..k8s import kinds
from ..k8s.access import Access
from ..k8s.cache import Cache
from ..k8s.client import KubeClient
from ..k8s.loaders import Loaders
from ..ome import refs

# What the shared cache watches: the kinds the graph serves, and of pods only those of OME services.
# Events are fetched on demand.
CACHE_PLAN = {kind: None for kind in (kinds.INFERENCE_SERVICE, kinds.CLUSTER_BASE_MODEL, kinds.BASE_MODEL,
                                      kinds.CLUSTER_SERVING_RUNTIME, kinds.SERVING_RUNTIME,
                                      kinds.ACCELERATOR_CLASS, kinds.NAMESPACE, kinds.NODE)}
CACHE_PLAN[kinds.POD] = refs.ISVC_POD_LABEL


@dataclass
class Context:
    client: KubeClient  # acts with the caller's rights (their token, or impersonating them) when auth is on
    settings: Settings
    cache: Cache | None = None
    loaders: Loaders = field(init=False)
    request: Any = None
    response: Any = None
    access: Access | None = None  # None: every cached object is visible (auth mode none)
    identity: str | None = None  # who the caller is, for logs and for sharing subscriptions between equals
    connection_params: Any = None  # what a websocket client sent in connection_init
    resume: dict | None = None  # a Last-Event-ID's marks: where a reconnecting subscriber left off
    event_id: str | None = None  # the id of the subscription event being sent (for resuming)

    bus: Any = None  # subscriptions.bus.Bus: events the gateway itself produces (audit, job progress)
    jobs: Any = None  # workers.Jobs: import jobs (their store is None without Redis) and hub metadata

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Fresh loaders: a long-lived context (a subscription) must not answer from an earlier event's reads."""
        self.loaders = Loaders(self.client, self.cache, self.access)

    def audit(self, action: str, kind, obj: dict) -> None:
        """Announce a write the gateway made (to every replica, through the bus)."""
        if self.bus is not None:
            meta = obj.get("metadata") or {}
            self.bus.publish("audit", {"action": action, "kind": kind.name, "namespace": meta.get("namespace"),
                                       "name": meta.get("name"), "resourceVersion": meta.get("resourceVersion")})
