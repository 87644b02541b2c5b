"""The Kubernetes kinds the gateway reads and writes, each a one-line declaration."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if sub:
                base += f"/{sub}"
        return base


INFERENCE_SERVICE = Kind("InferenceService", "ome.io", "v1beta1", "inferenceservices", True)
CLUSTER_BASE_MODEL = Kind("ClusterBaseModel", "ome.io", "v1beta1", "clusterbasemodels", False)
BASE_MODEL = Kind("BaseModel", "ome.io", "v1beta1", "basemodels", True)
CLUSTER_SERVING_RUNTIME = Kind("ClusterServingRuntime", "ome.io", "v1beta1", "clusterservingruntimes", False)
SERVING_RUNTIME = Kind("ServingRuntime", "ome.io", "v1beta1", "servingruntimes", True)
ACCELERATOR_CLASS = Kind("AcceleratorClass", "ome.io", "v1beta1", "acceleratorclasses", False)
NAMESPACE = Kind("Namespace", "", "v1", "namespaces", False)
NODE = Kind("Node", "", "v1", "nodes", False)
POD = Kind("Pod", "", "v1", "pods", True)
EVENT = Kind("Event", "", "v1", "events", True)
SECRET = Kind("Secret", "", "v1", "secrets", True)  # never cached or served: import workers read token Secrets

ALL = (INFERENCE_SERVICE, CLUSTER_BASE_MODEL, BASE_MODEL, CLUSTER_SERVING_RUNTIME, SERVING_RUNTIME,
       ACCELERATOR_CLASS, NAMESPACE, NODE, POD, EVENT)
BY_NAME = {k.name: k for k in ALL}
