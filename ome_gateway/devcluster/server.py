"""The dev cluster's HTTP front: routes Kubernetes API paths to discovery, reads, writes and watches."""
from __future__ import annotations

import asyncio
import base64
import json
import random
from contextlib import asynccontextmanager

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from . import discovery, openapi, policy, protobuf, reviews
from .auth import Access
from .faults import Counters, Faults
from .objects import Objects
from .rbac import Authorizer, User, truthy as _truthy
from .resources import Registry, ResourceType
from ..k8s.selectors import FieldSelector, LabelSelector, SelectorError
from .status import ApiError
from .store import Store, Watcher
from .table import to_table

FIELD_LABELS = {"Event": {"involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
                          "involvedObject.uid", "reason", "type"},
                "Pod": {"status.phase", "spec.nodeName"}}


def _json(data, code: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), code, media_type="application/json")


class Cluster:
    """State and HTTP handling of one dev cluster."""

    def __init__(self, event_window: int = 2000, tokens: dict[str, User] | None = None) -> None:
        """`tokens` maps bearer tokens to users (the admin token is always known)."""
        self.store = Store(event_window)
        self.registry = Registry()
        self.objects = Objects(self.store, self.registry)
        self.faults = Faults()
        self.counters = Counters()
        self.watches: set[Watcher] = set()
        self.access = Access(tokens or {}, Authorizer(self.store, self.registry))
        policy.bootstrap(self)

    # -- routing -----------------------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        if parts[:1] == ["_devcluster"]:
            return await self.admin(request, parts[1:])
        try:
            await self.faults.delay()
            failure = self.faults.pick_failure()
            if failure:
                raise ApiError(failure, "injected fault" if failure == 500 else "too many requests, please retry")
            request.state.user = self.access.check(request)  # authentication, impersonation, authorization
            return await self.api(request, parts)
        except ApiError as exc:
            if exc.plain:
                return PlainTextResponse(exc.message + "\n", exc.code, headers={"X-Content-Type-Options": "nosniff"})
            headers = {"Retry-After": "1"} if exc.code == 429 else None
            return JSONResponse(exc.body(), exc.code, headers=headers)

    async def api(self, request: Request, parts: list[str]) -> Response:
        if parts == ["version"]:
            return _json(discovery.VERSION)
        if parts == ["openapi", "v3"]:
            return _json(openapi.root(self.registry))
        if parts[:2] == ["openapi", "v3"]:
            return self._found(openapi.group_version(self.registry, "/".join(parts[2:])))
        if parts == ["api"]:
            return _json(discovery.api_versions())
        if parts == ["apis"]:
            return _json(discovery.api_groups(self.registry))
        if len(parts) >= 2 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 2 and parts[0] == "apis":
            if len(parts) == 2:
                return self._found(discovery.api_group(self.registry, parts[1]))
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "the server could not find the requested resource")
        if not rest:
            self.counters.count("get", "discovery")
            return self._found(discovery.resource_list(self.registry, group, version))
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = self.registry.get(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        rt = self.registry.get(group, version, rest[0])
        if rt is None or len(rest) > 3 or (rt.namespaced and namespace is None and len(rest) > 1):
            raise ApiError(404, "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in rt.subresources:
            raise ApiError(404, "the server could not find the requested resource")
        return await self.resource(request, rt, namespace, name, sub)

    @staticmethod
    def _found(doc):
        if doc is None:
            raise ApiError(404, "the server could not find the requested resource")
        return _json(doc)

    async def resource(self, request, rt: ResourceType, namespace, name, sub) -> Response:
        q = request.query_params
        method = request.method
        dry_run = q.get("dryRun") == "All"
        label = f"{rt.plural}/{sub}" if sub else rt.plural
        if rt.review:
            if method != "POST" or name is not None:
                raise ApiError(405, "the server does not allow this method on the requested resource")
            self.counters.count("create", label)
            raw = await request.body()
            body = self._decode(raw, request)
            self.objects.check_envelope(rt, namespace, body)
            return _json(reviews.answer(self.access, rt, body, request.state.user), 201)
        if method == "GET" and name is None:
            verb = "watch" if _truthy(q.get("watch")) else "list"
            self.counters.count(verb, label)
            if verb == "watch" and random.random() < self.faults.watch_error_rate:
                raise ApiError(500, "injected watch fault")
            return self.watch(request, rt, namespace) if verb == "watch" else self.list(request, rt, namespace)
        verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}.get(method)
        if verb is None or (verb == "create" and name is not None) or (verb in ("update", "patch") and not name):
            raise ApiError(405, "the server does not allow this method on the requested resource")
        self.counters.count(verb, label)
        if verb == "get":
            obj = self.objects.get(rt, namespace or "", name)
            return self.pod_log(obj, q) if sub == "log" else _json(obj)
        if verb == "deletecollection":
            return self.delete_collection(request, rt, namespace, dry_run)
        raw = await request.body()
        if verb == "patch":
            ctype = request.headers.get("content-type", "").split(";")[0].strip()
            return _json(self.objects.patch(rt, namespace, name, ctype, raw, dry_run, sub))
        if verb == "delete":
            opts = self._decode(raw, request) if raw.strip() else {}
            pre = ((opts or {}).get("preconditions") or {}).get("resourceVersion")
            dry_run = dry_run or "All" in ((opts or {}).get("dryRun") or [])
            return _json(self.objects.delete(rt, namespace, name, dry_run, pre))
        body = self._decode(raw, request)
        if verb == "create":
            return _json(self.objects.create(rt, namespace, body, dry_run), 201)
        return _json(self.objects.update(rt, namespace, name, body, dry_run, sub))

    @staticmethod
    def _decode(raw: bytes, request):
        """A request body: JSON, YAML, or protobuf (as typed clients send it)."""
        if request.headers.get("content-type", "").split(";")[0].strip().lower() == protobuf.PROTOBUF:
            return protobuf.decode(raw)
        try:
            return json.loads(raw) if raw.lstrip()[:1] in (b"{", b"[") else yaml.safe_load(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(400, f"the body of the request could not be decoded: {exc}") from None

    # -- reads -------------------------------------------------------------------------------------------
    def _filter(self, request, rt):
        q = request.query_params
        try:
            labels = LabelSelector.parse(q.get("labelSelector"))
            fields = FieldSelector.parse(q.get("fieldSelector"))
        except SelectorError as exc:
            raise ApiError(400, str(exc)) from None
        allowed = {"metadata.name", "metadata.namespace"} | FIELD_LABELS.get(rt.kind, set())
        bad = sorted(set(fields.fields) - allowed)
        if bad:
            raise ApiError(400, f'field label not supported: {bad[0]}')
        return lambda obj: labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)

    def list(self, request, rt, namespace) -> Response:
        q = request.query_params
        accepts = self._filter(request, rt)
        items = [o for o in self.store.list(rt, namespace) if accepts(o)]
        meta = {"resourceVersion": str(self.store.rv)}
        start = 0
        if q.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(q["continue"]))
                after, token_rv = tuple(token["after"]), int(token["rv"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "continue key is not valid") from None
            if token_rv < self.store.oldest_rv():
                raise ApiError(410, "The provided continue parameter is too old to display a consistent list "
                                    "result. You can start a new list without the continue parameter.", "Expired")
            start = next((i for i, o in enumerate(items) if (o["metadata"].get("namespace", ""),
                                                             o["metadata"]["name"]) > after), len(items))
        limit = q.get("limit")
        if limit:
            if not limit.isdigit():
                raise ApiError(400, f"invalid limit: {limit!r}")
            end = start + int(limit) if int(limit) > 0 else len(items)
        else:
            end = len(items)
        page = items[start:end]
        if end < len(items) and page:
            last = page[-1]["metadata"]
            meta["continue"] = base64.urlsafe_b64encode(json.dumps({"rv": self.store.rv, "after": [
                last.get("namespace", ""), last["name"]]}).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        if "as=Table" in request.headers.get("accept", ""):
            return _json(to_table(rt, page, meta))
        return _json({"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta, "items": page})

    def pod_log(self, pod: dict, q) -> Response:
        meta = pod["metadata"]
        lines = [f"{pod.get('status', {}).get('startTime', meta.get('creationTimestamp'))} {meta['name']} "
                 f"{msg}" for msg in ("starting engine", "loading model weights", "model loaded",
                                      "serving on :8080")]
        tail = q.get("tailLines")
        if tail and tail.isdigit():
            lines = lines[-int(tail):] if int(tail) else []
        return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""))

    def delete_collection(self, request, rt, namespace, dry_run) -> Response:
        accepts = self._filter(request, rt)
        gone = [self.objects.delete(rt, namespace, o["metadata"]["name"], dry_run)
                for o in self.store.list(rt, namespace) if accepts(o)]
        return _json({"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                      "metadata": {"resourceVersion": str(self.store.rv)}, "items": gone})

    # -- watch -------------------------------------------------------------------------------------------
    def watch(self, request, rt, namespace) -> Response:
        q = request.query_params
        watcher = Watcher(rt.key, self._filter(request, rt), namespace)
        rv = q.get("resourceVersion") or ""
        if rv not in ("", "0") and not rv.isdigit():
            raise ApiError(400, f"invalid resource version: {rv!r}")
        bookmarks = _truthy(q.get("allowWatchBookmarks"))
        timeout = q.get("timeoutSeconds")
        timeout = float(timeout) if timeout and timeout.isdigit() else None

        def line(kind: str, obj: dict) -> bytes:
            return (json.dumps({"type": kind, "object": obj}, separators=(",", ":")) + "\n").encode()

        if rv not in ("", "0") and int(rv) < self.store.oldest_rv():
            gone = ApiError(410, f"too old resource version: {rv} ({self.store.oldest_rv() + 1})", "Expired")
            return StreamingResponse(iter([line("ERROR", gone.body())]), media_type="application/json")
        if rv in ("", "0"):
            for obj in self.store.list(rt, namespace):
                if watcher.accepts(obj):
                    watcher.queue.put_nowait(("ADDED", obj))
        else:
            self.store.replay(watcher, int(rv))
        self.store.watchers.add(watcher)
        self.watches.add(watcher)

        async def stream():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout if timeout else None
            try:
                while True:
                    wait = self.faults.bookmark_interval if bookmarks else None
                    if deadline is not None:
                        left = deadline - loop.time()
                        if left <= 0:
                            return
                        wait = min(wait, left) if wait else left
                    try:
                        item = await asyncio.wait_for(watcher.queue.get(), wait)
                    except asyncio.TimeoutError:
                        if bookmarks and (deadline is None or loop.time() < deadline):
                            yield line("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version,
                                                    "metadata": {"resourceVersion": str(self.store.rv)}})
                        continue
                    if item is None:
                        return
                    if isinstance(item, tuple):
                        yield line(*item)
                    else:
                        yield line(item.type, item.obj)
            finally:
                self.store.watchers.discard(watcher)
                self.watches.discard(watcher)

        return StreamingResponse(stream(), media_type="application/json")

    def drop_watches(self) -> int:
        dropped = list(self.watches)
        for w in dropped:
            w.queue.put_nowait(None)
        return len(dropped)

    # -- admin (not part of the Kubernetes API) ----------------------------------------------------------
    async def admin(self, request: Request, parts: list[str]) -> Response:
        method = request.method
        if parts == ["requests"]:
            if method == "DELETE":
                self.counters.reset()
            return _json(self.counters.snapshot())
        if parts == ["faults"]:
            if method in ("PUT", "PATCH", "POST"):
                try:
                    changes = json.loads(await request.body() or b"{}")
                    if not isinstance(changes, dict):
                        raise ValueError("faults must be a JSON object")
                    self.faults.update(changes)
                except ValueError as exc:
                    return _json({"error": str(exc)}, 400)
            return _json(self.faults.as_dict())
        if parts == ["watches"]:
            if method == "DELETE":
                return _json({"dropped": self.drop_watches()})
            by = {}
            for w in self.watches:
                by[w.rt_key] = by.get(w.rt_key, 0) + 1
            return _json({"open": len(self.watches), "byResource": by})
        return _json({"error": "unknown admin path"}, 404)


def build_app(cluster: Cluster, on_startup=None) -> Starlette:
    @asynccontextmanager
    async def lifespan(app):
        if on_startup:
            await on_startup()
        yield
        cluster.drop_watches()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", cluster.handle, methods=methods)], lifespan=lifespan)
