"""One generic client for every kind, speaking HTTP through kubernetes_asyncio's ApiClient."""
from __future__ import annotations

import asyncio
import collections
import json
import logging
from dataclasses import dataclass
from typing import AsyncIterator

import aiohttp
from multidict import CIMultiDict
from kubernetes_asyncio import client as kclient
from kubernetes_asyncio import config as kconfig

from .. import metrics, tracing
from .errors import from_response, unavailable
from .kinds import Kind

log = logging.getLogger("ome_gateway.k8s")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
               "strategic": "application/strategic-merge-patch+json"}
RETRIES = 3


def slim(obj: dict) -> dict:
    """Drop what the graph never shows and costs memory: managedFields and the last-applied annotation."""
    meta = obj.get("metadata")
    if meta:
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if annotations and LAST_APPLIED in annotations:
            del annotations[LAST_APPLIED]
    return obj


@dataclass(frozen=True)
class ActAs:
    """Whose rights a request uses: a caller's own bearer token, or an identity the gateway impersonates."""
    token: str | None = None
    user: str | None = None
    groups: tuple[str, ...] = ()


class KubeClient:
    """CRUD, list and watch for any Kind; answers are plain dicts; failures are KubeErrors."""

    def __init__(self, api: kclient.ApiClient, act_as: ActAs | None = None) -> None:
        self.api, self.act_as = api, act_as
        self.requests: collections.Counter[str] = collections.Counter()

    def acting_as(self, act_as: ActAs | None) -> "KubeClient":
        """A client sharing this one's connections that sends requests with another identity's rights."""
        if act_as is None:
            return self
        view = KubeClient(self.api, act_as)
        view.requests = self.requests
        return view

    @classmethod
    async def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                      in_cluster: bool = False) -> "KubeClient":
        configuration = kclient.Configuration()
        if in_cluster:
            kconfig.load_incluster_config(client_configuration=configuration)
        else:
            await kconfig.load_kube_config(config_file=kubeconfig, context=context,
                                           client_configuration=configuration)
        return cls(kclient.ApiClient(configuration))

    async def close(self) -> None:
        await self.api.close()

    # -- transport ---------------------------------------------------------------------------------------
    async def _send(self, method: str, path: str, query: dict | None = None, body=None,
                    content_type: str = "application/json", timeout: float | None = 30):
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            if self.act_as and self.act_as.user:
                return await self._send_impersonating(method, path, params, headers, body, timeout)
            auth = ["BearerToken"]
            if self.act_as and self.act_as.token:
                headers["Authorization"], auth = f"Bearer {self.act_as.token}", []
            return await self.api.call_api(path, method, query_params=params, header_params=headers, body=body,
                                           auth_settings=auth, _preload_content=False, _request_timeout=timeout)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise unavailable(str(exc) or type(exc).__name__) from None

    async def _send_impersonating(self, method, path, params, headers, body, timeout):
        """Impersonation needs one Impersonate-Group header per group, which kubernetes_asyncio's header dict
        cannot carry: send through its connection pool (same TLS settings) with a multi-valued header map."""
        multi = CIMultiDict(headers)
        multi["Impersonate-User"] = self.act_as.user
        for group in self.act_as.groups:
            multi.add("Impersonate-Group", group)
        for setting in (await self.api.configuration.auth_settings()).values():
            multi[setting["key"]] = setting["value"]
        data = None if body is None else json.dumps(body)
        return await self.api.rest_client.pool_manager.request(
            method, self.api.configuration.host + path, params=params, data=data, headers=multi,
            timeout=aiohttp.ClientTimeout(total=timeout))

    async def request(self, method: str, path: str, query: dict | None = None, body=None,
                      content_type: str = "application/json", verb: str = "") -> dict:
        """Send one request (reads retry on 429/5xx with backoff) and decode its JSON answer."""
        call = verb or method.lower()
        self.requests[call] += 1
        with tracing.span(f"kubernetes {call}", **{"http.request.method": method, "url.path": path}):
            return await self._request(call, method, path, query, body, content_type)

    async def _request(self, call: str, method: str, path: str, query: dict | None, body, content_type: str) -> dict:
        attempts = RETRIES if method == "GET" else 1
        for attempt in range(attempts):
            resp = await metrics.upstream(call, self._send(method, path, query, body, content_type))
            try:
                data = await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise unavailable(str(exc) or type(exc).__name__) from None
            finally:
                resp.release()
            if 200 <= resp.status < 300:
                return json.loads(data)
            error = from_response(resp.status, data)
            if error.code != "UPSTREAM_UNAVAILABLE" or attempt == attempts - 1:
                raise error
            retry_after = resp.headers.get("Retry-After", "")
            await asyncio.sleep(min(float(retry_after), 2.0) if retry_after.isdigit() else 0.05 * 2 ** attempt)
        raise AssertionError("unreachable")

    # -- verbs -------------------------------------------------------------------------------------------
    async def version(self) -> dict:
        return await self.request("GET", "/version", verb="version")

    async def get(self, kind: Kind, name: str, namespace: str | None = None) -> dict:
        return slim(await self.request("GET", kind.path(namespace, name), verb=f"get {kind.plural}"))

    async def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
                   field_selector: str | None = None, page_size: int | None = None) -> tuple[list[dict], str]:
        """Every matching object and the list's resourceVersion: one request unless page_size asks for pages
        (continue tokens are followed either way)."""
        items, token = [], None
        while True:
            page = await self.request("GET", kind.path(namespace), {
                "labelSelector": label_selector, "fieldSelector": field_selector, "limit": page_size,
                "continue": token}, verb=f"list {kind.plural}")
            for item in page.get("items") or []:
                item.setdefault("kind", kind.name)
                item.setdefault("apiVersion", kind.api_version)
                items.append(slim(item))
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items, (page.get("metadata") or {}).get("resourceVersion", "")

    async def create(self, kind: Kind, obj: dict, namespace: str | None = None, dry_run: bool = False) -> dict:
        return slim(await self.request("POST", kind.path(namespace), {"dryRun": "All" if dry_run else None}, obj,
                                       verb=f"create {kind.plural}"))

    async def replace(self, kind: Kind, obj: dict, dry_run: bool = False, sub: str | None = None) -> dict:
        meta = obj["metadata"]
        return slim(await self.request("PUT", kind.path(meta.get("namespace"), meta["name"], sub),
                                       {"dryRun": "All" if dry_run else None}, obj, verb=f"update {kind.plural}"))

    async def patch(self, kind: Kind, name: str, patch, namespace: str | None = None, patch_type: str = "merge",
                    dry_run: bool = False) -> dict:
        return slim(await self.request("PATCH", kind.path(namespace, name), {"dryRun": "All" if dry_run else None},
                                       patch, PATCH_TYPES[patch_type], verb=f"patch {kind.plural}"))

    async def delete(self, kind: Kind, name: str, namespace: str | None = None, dry_run: bool = False) -> dict:
        return await self.request("DELETE", kind.path(namespace, name), {"dryRun": "All" if dry_run else None},
                                  verb=f"delete {kind.plural}")

    async def watch(self, kind: Kind, resource_version: str, namespace: str | None = None,
                    label_selector: str | None = None, timeout_seconds: int = 300) -> AsyncIterator[dict]:
        """Yield watch events ({"type", "object"}) until the server ends the stream."""
        self.requests[f"watch {kind.plural}"] += 1
        query = {"watch": True, "resourceVersion": resource_version, "allowWatchBookmarks": True,
                 "timeoutSeconds": timeout_seconds, "labelSelector": label_selector}
        resp = await metrics.upstream(f"watch {kind.plural}", self._send(
            "GET", kind.path(namespace), query, timeout=aiohttp.ClientTimeout(total=timeout_seconds + 30,
                                                                             sock_connect=10)))
        try:
            if resp.status != 200:
                raise from_response(resp.status, await resp.read())
            buffer = b""
            async for chunk in resp.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        event = json.loads(line)
                        if isinstance(event.get("object"), dict):
                            slim(event["object"])
                        yield event
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise unavailable(str(exc) or type(exc).__name__) from None
        finally:
            resp.release()
