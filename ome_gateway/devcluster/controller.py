"""A small stand-in for the OME controller: services get pods, events and Ready conditions; models download."""
from __future__ import annotations

import asyncio
import copy
import itertools
import secrets

from .store import Event, now

ISVC_LABEL = "serving.ome.io/inferenceservice"
COMPONENT_LABEL = "component"
MODEL_KINDS = ("ClusterBaseModel", "BaseModel")
COMPONENT_CONFIG = {"engine": "engineConfig", "decoder": "decoderConfig", "router": "routerConfig"}
DEFAULT_IMAGE = {"engine": "docker.io/lmsysorg/sglang:latest", "decoder": "docker.io/lmsysorg/sglang:latest",
                 "router": "ghcr.io/moirai-internal/sgl-router:latest"}


def _condition(kind: str, ok: bool, reason: str, message: str = "") -> dict:
    return {"type": kind, "status": "True" if ok else "False", "reason": reason, "message": message,
            "lastTransitionTime": now()}


class Controller:
    """Reacts to store events; its writes go through the same store, so watches see them."""

    def __init__(self, cluster, ready_delay: float = 2.0) -> None:
        self.cluster, self.store, self.registry = cluster, cluster.store, cluster.registry
        self.ready_delay = ready_delay
        self.pending: dict[tuple, asyncio.Task] = {}
        self._node_cycle = itertools.count()
        self.store.listeners.append(self.on_event)

    def rt(self, group: str, version: str, plural: str):
        return self.registry.get(group, version, plural)

    def on_event(self, ev: Event) -> None:
        kind = ev.rt.kind if ev.rt.group == "ome.io" else None
        meta = ev.obj["metadata"]
        key = (kind, meta.get("namespace", ""), meta["name"])
        if kind == "InferenceService":
            spec_changed = ev.old is None or ev.old["metadata"].get("generation") != meta.get("generation")
            if ev.type == "DELETED" or spec_changed:
                self._schedule(key, self.reconcile_service(ev.rt, key[1], key[2]))
        elif kind in MODEL_KINDS and ev.type == "ADDED" and not (ev.obj.get("status") or {}).get("state"):
            self._schedule(key, self.download_model(ev.rt, key[1], key[2]))

    def _schedule(self, key, coro) -> None:
        old = self.pending.pop(key, None)
        if old:
            old.cancel()
        task = asyncio.get_running_loop().create_task(coro)
        self.pending[key] = task
        task.add_done_callback(lambda t: self.pending.pop(key, None) if self.pending.get(key) is t else None)

    # -- writes ------------------------------------------------------------------------------------------
    def set_status(self, rt, obj: dict, status: dict) -> dict:
        new = copy.deepcopy(obj)
        new["status"] = status
        return self.store.put(rt, new)

    def record_event(self, involved: dict, reason: str, message: str, kind: str = "Normal") -> None:
        meta = involved["metadata"]
        ts = now()
        self.store.put(self.rt("", "v1", "events"), {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": meta.get("namespace") or
                         "default"},
            "involvedObject": {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": meta["name"],
                               "namespace": meta.get("namespace", ""), "uid": meta.get("uid", "")},
            "reason": reason, "message": message, "type": kind, "count": 1, "firstTimestamp": ts,
            "lastTimestamp": ts, "source": {"component": "ome-controller"}, "reportingComponent": "ome-controller"})

    # -- models ------------------------------------------------------------------------------------------
    async def download_model(self, rt, namespace: str, name: str) -> None:
        await asyncio.sleep(0)
        if (self.store.get(rt, namespace, name) or {}).get("status"):
            return  # created with a status already (a seed): nothing to download
        for state, pause in (("Creating", 0.0), ("In_Transit", self.ready_delay / 2), ("Ready", self.ready_delay / 2)):
            await asyncio.sleep(pause)
            model = self.store.get(rt, namespace, name)
            if model is None:
                return
            status = {"state": state, "lifecycle": state}
            if state == "Ready":
                status["nodesReady"] = [n["metadata"]["name"] for n in self.gpu_nodes()]
            self.set_status(rt, model, status)
            self.record_event(model, "ModelReady" if state == "Ready" else "Downloading",
                              f"model {name} is {state.lower().replace('_', ' ')}")

    # -- inference services ------------------------------------------------------------------------------
    async def reconcile_service(self, rt, namespace: str, name: str) -> None:
        pods_rt = self.rt("", "v1", "pods")
        isvc = self.store.get(rt, namespace, name)
        mine = [p for p in self.store.list(pods_rt, namespace) if (p["metadata"].get("labels") or {}).get(
            ISVC_LABEL) == name]
        if isvc is None:
            for pod in mine:
                self.store.remove(pods_rt, namespace, pod["metadata"]["name"])
            return
        desired = self.desired_replicas(isvc)
        created = []
        for component, count in desired.items():
            have = [p for p in mine if p["metadata"]["labels"].get(COMPONENT_LABEL) == component]
            for pod in have[count:]:
                self.store.remove(pods_rt, namespace, pod["metadata"]["name"])
                self.record_event(isvc, "ScaledDown", f"deleted {component} pod {pod['metadata']['name']}")
            for _ in range(count - len(have)):
                pod = self.store.put(pods_rt, self.pod_for(isvc, component))
                created.append(pod)
                self.record_event(isvc, "Created", f"created {component} pod {pod['metadata']['name']}")
        for pod in mine:
            if pod["metadata"]["labels"].get(COMPONENT_LABEL) not in desired:
                self.store.remove(pods_rt, namespace, pod["metadata"]["name"])
        isvc = self.store.get(rt, namespace, name)
        self.set_status(rt, isvc, self.service_status(isvc, desired, ready=False))
        await asyncio.sleep(self.ready_delay)
        for pod in created:
            current = self.store.get(pods_rt, namespace, pod["metadata"]["name"])
            if current is not None:
                self.set_status(pods_rt, current, self.running_status(current))
        isvc = self.store.get(rt, namespace, name)
        if isvc is not None:
            status = self.service_status(isvc, desired, ready=True)
            self.set_status(rt, isvc, status)
            if status["conditions"][-1]["status"] == "True":
                self.record_event(isvc, "InferenceServiceReady", f"inference service {name} is ready")

    @staticmethod
    def desired_replicas(isvc: dict) -> dict[str, int]:
        spec = isvc.get("spec") or {}
        out = {"engine": int((spec.get("engine") or {}).get("minReplicas", 1))}
        for component in ("decoder", "router"):
            if spec.get(component) is not None:
                out[component] = int(spec[component].get("minReplicas", 1))
        return out

    def runtime_of(self, isvc: dict) -> dict | None:
        ref = (isvc.get("spec") or {}).get("runtime") or {}
        if not ref.get("name"):
            return None
        namespaced = ref.get("kind") == "ServingRuntime"
        rt = self.rt("ome.io", "v1beta1", "servingruntimes" if namespaced else "clusterservingruntimes")
        return self.store.get(rt, isvc["metadata"]["namespace"] if namespaced else "", ref["name"]) if rt else None

    def gpu_nodes(self, selector: dict | None = None) -> list[dict]:
        nodes = self.store.list(self.rt("", "v1", "nodes"))
        gpu = [n for n in nodes if "nvidia.com/gpu" in ((n.get("status") or {}).get("capacity") or {})]
        if selector:
            gpu = [n for n in gpu if all((n["metadata"].get("labels") or {}).get(k) == v
                                         for k, v in selector.items())]
        return gpu

    def accelerator_selector(self, isvc: dict) -> dict | None:
        spec = isvc.get("spec") or {}
        name = ((isvc["metadata"].get("annotations") or {}).get("ome.io/accelerator-class")
                or (spec.get("acceleratorSelector") or {}).get("acceleratorClass"))
        rt = self.rt("ome.io", "v1beta1", "acceleratorclasses")
        accel = self.store.get(rt, "", name) if name and rt else None
        return ((accel or {}).get("spec", {}).get("discovery") or {}).get("nodeSelector")

    def pod_for(self, isvc: dict, component: str) -> dict:
        meta = isvc["metadata"]
        spec = isvc.get("spec") or {}
        runtime_spec = (self.runtime_of(isvc) or {}).get("spec") or {}
        runner = {**((runtime_spec.get(COMPONENT_CONFIG[component]) or {}).get("runner") or {}),
                  **((spec.get(component) or {}).get("runner") or {})}
        nodes = self.gpu_nodes(self.accelerator_selector(isvc)) or self.store.list(self.rt("", "v1", "nodes"))
        container = {"name": "ome-container", "image": runner.get("image") or DEFAULT_IMAGE[component]}
        if runner.get("resources"):
            container["resources"] = runner["resources"]
        pod_spec = {"containers": [container], "restartPolicy": "Always"}
        if nodes:
            pod_spec["nodeName"] = nodes[next(self._node_cycle) % len(nodes)]["metadata"]["name"]
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{meta['name']}-{component}-{secrets.token_hex(3)[:5]}",
                             "namespace": meta["namespace"],
                             "labels": {ISVC_LABEL: meta["name"], COMPONENT_LABEL: component,
                                        "app": f"{meta['name']}-{component}"},
                             "ownerReferences": [{"apiVersion": isvc["apiVersion"], "kind": isvc["kind"],
                                                  "name": meta["name"], "uid": meta["uid"], "controller": True}]},
                "spec": pod_spec, "status": {"phase": "Pending"}}

    @staticmethod
    def running_status(pod: dict) -> dict:
        ts = now()
        return {"phase": "Running", "startTime": ts, "podIP": f"10.42.{secrets.randbelow(250)}.{secrets.randbelow(250)}",
                "conditions": [{"type": t, "status": "True", "lastTransitionTime": ts}
                               for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
                "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": c["image"], "ready": True, "restartCount": 0,
                                       "started": True, "state": {"running": {"startedAt": ts}}}
                                      for c in pod["spec"]["containers"]]}

    @staticmethod
    def service_status(isvc: dict, desired: dict[str, int], ready: bool) -> dict:
        meta = isvc["metadata"]
        host = f"{meta['name']}.{meta['namespace']}.svc.cluster.local"
        conditions, components = [], {}
        for component, count in desired.items():
            up = ready and count > 0
            cond = component.capitalize() + "Ready"
            conditions.append(_condition(cond, up, "Ready" if up else ("ScaledToZero" if ready else "Creating")))
            revision = f"{meta['name']}-{component}-{meta.get('generation', 1)}"
            components[component] = {"latestCreatedRevision": revision, "url": f"http://{meta['name']}-{component}."
                                      f"{meta['namespace']}.svc.cluster.local"}
            if up:
                components[component].update(latestReadyRevision=revision, traffic=[
                    {"revisionName": revision, "percent": 100, "latestRevision": True}])
        all_up = all(c["status"] == "True" for c in conditions)
        conditions.append(_condition("IngressReady", all_up, "Ready" if all_up else "Pending"))
        conditions.append(_condition("Ready", all_up, "Ready" if all_up else
                                     ("ScaledToZero" if ready else "Creating")))
        return {"observedGeneration": meta.get("generation", 1), "url": f"http://{host}",
                "address": {"url": f"http://{host}"}, "conditions": conditions, "components": components,
                "modelStatus": {"transitionStatus": "UpToDate" if all_up else "InProgress",
                                "modelRevisionStates": {"activeModelState": "Loaded" if all_up else "Loading",
                                                        "targetModelState": "Loaded"}}}
