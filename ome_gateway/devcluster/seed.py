"""Loading YAML seeds (the built-in demo catalog or a directory of manifests) into a dev cluster."""
from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import yaml

from .status import ApiError

ORDER = {"CustomResourceDefinition": 0, "Namespace": 1}


def documents(seed: str) -> list[dict]:
    """What a seed name stands for: "none", "crds" (the packaged OME CRDs), "demo" (CRDs and the demo
    catalog) or a path to manifests (loaded after the packaged CRDs)."""
    if seed == "none":
        return []
    pkg = resources.files(__package__)
    docs = [d for d in yaml.safe_load_all(pkg.joinpath("crds/ome.io.yaml").read_text()) if d]
    if seed == "demo":
        docs += [d for d in yaml.safe_load_all(pkg.joinpath("seeds/demo.yaml").read_text()) if d]
    elif seed != "crds":
        docs += path_documents(Path(seed))
    return docs


def demo_tokens():
    """The packaged token file of the demo users (kube's --token-auth-file format)."""
    return resources.files(__package__).joinpath("seeds/demo-tokens.csv")


def path_documents(path: Path) -> list[dict]:
    files = sorted(path.rglob("*.yaml")) + sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    docs = []
    for f in files:
        docs += [d for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict) and d.get("kind")]
    return docs


def load(cluster, docs: list[dict]) -> list[str]:
    """Create each document (CRDs and namespaces first); statuses in the seed are kept. Returns errors."""
    errors = []
    for doc in sorted(docs, key=lambda d: ORDER.get(d.get("kind"), 2)):
        rt = cluster.registry.by_kind(doc.get("apiVersion", ""), doc.get("kind", ""))
        name = (doc.get("metadata") or {}).get("name")
        if rt is None:
            errors.append(f"{doc.get('kind')} {name}: no such kind is served")
            continue
        status = copy.deepcopy(doc.get("status"))
        try:
            ns = (doc.get("metadata") or {}).get("namespace") if rt.namespaced else None
            if rt.namespaced and ns and cluster.store.get(cluster.registry.get("", "v1", "namespaces"), "", ns) is None:
                cluster.objects.create(cluster.registry.get("", "v1", "namespaces"), None,
                                       {"metadata": {"name": ns}})
            obj = cluster.objects.create(rt, ns, copy.deepcopy(doc))
            if status and rt.status_subresource:
                cluster.objects.update(rt, ns, obj["metadata"]["name"], {**copy.deepcopy(obj), "status": status},
                                       subresource="status")
        except ApiError as exc:
            errors.append(f"{doc.get('kind')} {name}: {exc.message}")
    return errors
