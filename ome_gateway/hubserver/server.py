"""The offline Hub's HTTP API: the paths, headers and errors of huggingface.co that the huggingface_hub client uses."""
from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from urllib.parse import parse_qs, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import formats
from .repos import Repo, RepoFile, Revision, build_repos

TOKENS = {"hf_granted_token": "granted-user", "hf_denied_token": "denied-user", "hf_demo_token": "demo-user"}
GRANTED = {"hf_granted_token"}  # tokens whose users were granted access to the gated repositories
HUB_CONFIG_KEYS = ("architectures", "model_type", "quantization_config")  # the config.json keys model info shows
INVALID_TOKEN = "Invalid credentials in Authorization header"
AUTO_MODEL = {"text-generation": "AutoModelForCausalLM", "image-text-to-text": "AutoModelForImageTextToText"}
LIST_FIELDS = ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
               "createdAt", "modelId")
FULL_FIELDS = ("author", "sha", "lastModified", "gated", "disabled")
API_ACTIONS = {"revision", "tree", "refs", "paths-info", "safetensors-metadata"}
SORT_KEYS = {"downloads": "downloads", "likes": "likes", "trending": "trendingScore", "trendingScore": "trendingScore",
             "createdAt": "createdAt", "lastModified": "lastModified", "id": "id"}


class HubError(Exception):
    """An error answered like the Hub: status, JSON {"error": message}, X-Error-Code and X-Error-Message."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}

    def response(self) -> Response:
        code = {"X-Error-Code": self.code} if self.code else {}
        headers = {"X-Error-Message": self.message, **code, **self.headers}
        return JSONResponse({"error": self.message}, self.status, headers=headers)


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def model_json(repo: Repo, rev: Revision, blobs: bool = False) -> dict:
    """The full model-info document of one revision."""
    config = {k: v for k, v in (rev.config or {}).items() if k in HUB_CONFIG_KEYS}
    if "tokenizer_config.json" in rev.files:
        config["tokenizer_config"] = json.loads(rev.files["tokenizer_config.json"].content)
    transformers = repo.library_name == "transformers" and {
        "auto_model": AUTO_MODEL.get(repo.pipeline_tag, "AutoModel"), "pipeline_tag": repo.pipeline_tag,
        "processor": "AutoProcessor" if repo.pipeline_tag == "image-text-to-text" else "AutoTokenizer"}
    data = {"_id": hashlib.sha1(repo.id.encode()).hexdigest()[:24], "id": repo.id, "modelId": repo.id,
            "author": repo.author, "sha": rev.sha, "lastModified": rev.last_modified, "private": False,
            "disabled": False, "gated": repo.gated, "pipeline_tag": repo.pipeline_tag,
            "library_name": repo.library_name, "tags": repo.tags, "downloads": repo.downloads, "likes": repo.likes,
            "trendingScore": repo.trending_score, "createdAt": repo.created_at, "config": config or None,
            "cardData": repo.card, "transformersInfo": transformers or None,
            "siblings": [sibling(f, blobs) for f in rev.files.values()], "spaces": [],
            "usedStorage": sum(f.size for r in repo.revisions.values() for f in r.files.values()), "gguf": repo.gguf,
            "safetensors": repo.parameters and {"parameters": repo.parameters, "total": sum(repo.parameters.values())}}
    return {key: value for key, value in data.items() if value is not None}


def sibling(entry: RepoFile, blobs: bool) -> dict:
    if not blobs:
        return {"rfilename": entry.path}
    lfs = {"sha256": entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size}
    return {"rfilename": entry.path, "blobId": entry.oid, "size": entry.size, **({"lfs": lfs} if entry.lfs else {})}


def tree_entry(rev: Revision, path: str, expand: bool) -> dict:
    """A tree listing entry: a file (with its LFS pointer details) or a directory."""
    entry = rev.files.get(path)
    if entry is None:
        data = {"type": "directory", "oid": hashlib.sha1(f"{rev.sha}:{path}".encode()).hexdigest(), "size": 0}
    else:
        data = {"type": "file", "oid": entry.oid, "size": entry.size}
        if entry.lfs:
            data["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size}
    data["path"] = path
    if expand:
        data["lastCommit"] = {"id": rev.sha, "title": "Upload folder using huggingface_hub", "date": rev.last_modified}
    return data


def tree_paths(rev: Revision, folder: str, recursive: bool) -> list[str]:
    """Paths under `folder` (directories included), only its direct children unless recursive."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    found = set()
    for path in rev.files:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split("/")
        depth = len(parts) if recursive else 1
        found.update(prefix + "/".join(parts[:i + 1]) for i in range(min(depth, len(parts))))
    if prefix and not found:
        raise HubError(404, f"Entry not found: {folder}", "EntryNotFound")
    return sorted(found, key=lambda p: (p in rev.files, p))


def parse_parameters(text: str) -> float:
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    return float(text[:-1]) * scale[text[-1].upper()] if text[-1].upper() in scale else float(text)


def matches(repo: Repo, query) -> bool:
    """Whether a repo passes list_models' search, author, filter, pipeline_tag, gated and num_parameters."""
    searchable = {*repo.tags, repo.pipeline_tag, repo.library_name}
    total = sum(repo.parameters.values()) or (repo.gguf or {}).get("total", 0)
    bounds = dict(part.split(":", 1) for part in query.get("num_parameters", "").split(",") if ":" in part)
    return all([query.get("search", "").lower() in repo.id.lower(),
                query.get("author") in (None, repo.author),
                all(f in searchable for f in query.getlist("filter")),
                query.get("pipeline_tag") in (None, repo.pipeline_tag),
                "gated" not in query or flag(query["gated"]) == bool(repo.gated),
                total >= parse_parameters(bounds.get("min", "0")) if bounds else True,
                total <= parse_parameters(bounds["max"]) if "max" in bounds else True])


def project(data: dict, query, fields: tuple[str, ...]) -> dict:
    """What a listing or info request asked for: the `expand` properties, else `fields`."""
    expand = query.getlist("expand") + query.getlist("expand[]")
    keep = ("_id", "id", *expand) if expand else fields
    return {key: data[key] for key in keep if key in data}


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span of a single-range Range header; None serves the whole file (no or ignored range)."""
    found = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not found or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if not first:
        start, end = max(0, size - int(last)), size - 1
        satisfiable = int(last) > 0 and size > 0
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return None
        satisfiable = start < size
    if not satisfiable:
        raise HubError(416, "Requested Range Not Satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, end


class Hub:
    """The repositories, the fault knobs and the request counts of one server."""

    def __init__(self, repos: dict[str, Repo] | None = None) -> None:
        self.repos = repos if repos is not None else build_repos()
        self.faults = {"error_rate": 0.0, "throttle_next": 0, "fail_next": 0}
        self.counts: Counter[str] = Counter()
        self.rng = random.Random(0)

    def fault(self) -> HubError | None:
        """The injected failure for this request, if any."""
        if self.faults["throttle_next"] > 0:
            self.faults["throttle_next"] -= 1
            return HubError(429, "Too Many Requests", headers={"Retry-After": "1"})
        if self.faults["fail_next"] > 0 or self.rng.random() < self.faults["error_rate"]:
            self.faults["fail_next"] = max(0, self.faults["fail_next"] - 1)
            return HubError(503, "Service Unavailable")
        return None

    def repo(self, repo_id: str) -> Repo:
        if repo_id not in self.repos:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return self.repos[repo_id]

    @staticmethod
    def revision(repo: Repo, ref: str) -> Revision:
        rev = repo.revision(ref)
        if rev is None:
            raise HubError(404, f"Invalid rev id: {ref}", "RevisionNotFound")
        return rev

    @staticmethod
    def check_access(repo: Repo, token: str | None) -> None:
        """Gated files need a token granted access: 401 without one, 403 with another."""
        if not repo.gated or token in GRANTED:
            return
        if token is None:
            raise HubError(401, f"Access to model {repo.id} is restricted. You must have access to it and be "
                                "authenticated to access it. Please log in.", "GatedRepo")
        raise HubError(403, f"Access to model {repo.id} is restricted and you are not in the authorized list. "
                            f"Visit https://huggingface.co/{repo.id} to ask for access.", "GatedRepo")

    def list_models(self, query) -> Response:
        key = SORT_KEYS.get(query.get("sort", "trendingScore"), "trendingScore")
        found = [model_json(r, r.revisions["main"]) for r in self.repos.values() if matches(r, query)]
        found.sort(key=lambda d: d[key], reverse=query.get("direction", "-1") == "-1")
        fields = LIST_FIELDS + (FULL_FIELDS + ("siblings",) if flag(query.get("full")) else ())
        fields += ("config",) if flag(query.get("config")) else ()
        fields += ("cardData",) if flag(query.get("cardData")) else ()
        limit = int(query["limit"]) if query.get("limit") else len(found)
        return JSONResponse([project(d, query, fields) for d in found[:limit]])

    async def model_api(self, request: Request, repo: Repo, rest: list[str], token: str | None) -> Response:
        """/api/models/{repo_id}/...: info, revision info, tree, refs, paths-info and safetensors-metadata."""
        query, action = request.query_params, rest[0] if rest else "revision"
        if action == "revision":
            data = model_json(repo, self.revision(repo, rest[1] if len(rest) > 1 else "main"), flag(query.get("blobs")))
            return JSONResponse(project(data, query, tuple(data)))
        if action == "tree" and len(rest) > 1:
            rev, expand = self.revision(repo, rest[1]), flag(query.get("expand"))
            paths = tree_paths(rev, "/".join(rest[2:]), flag(query.get("recursive")))
            return JSONResponse([tree_entry(rev, path, expand) for path in paths])
        if action == "refs":
            branches = [{"name": r.name, "ref": f"refs/heads/{r.name}", "targetCommit": r.sha}
                        for r in repo.revisions.values()]
            extra = {"pullRequests": []} if flag(query.get("include_prs")) else {}
            return JSONResponse({"branches": branches, "converts": [], "tags": [], **extra})
        if action == "paths-info" and len(rest) == 2 and request.method == "POST":
            rev, form = self.revision(repo, rest[1]), parse_qs((await request.body()).decode())
            known = {p.strip("/") for p in form.get("paths", [])} & set(tree_paths(rev, "", True))
            return JSONResponse([tree_entry(rev, p, flag(form.get("expand", [""])[0])) for p in sorted(known)])
        if action == "safetensors-metadata" and len(rest) > 1:
            self.check_access(repo, token)
            index = repo.revisions["main"].files.get("/".join(rest[1:]))
            if index is None or not index.path.endswith(".index.json"):
                raise HubError(404, "Entry not found", "EntryNotFound")
            parsed = json.loads(index.content)
            shards = sorted(set(parsed["weight_map"].values()))
            headers = {s: formats.safetensors_header(repo.revisions["main"].files[s].content) for s in shards}
            return JSONResponse({"index": {"metadata": parsed.get("metadata")}, "headers": headers})
        return JSONResponse({"error": "Sorry, we can't find the page you are looking for."}, 404)

    def resolve(self, request: Request, repo: Repo, ref: str, path: str, token: str | None) -> Response:
        """A file's bytes with the Hub's commit, ETag and LFS headers; single byte ranges answer 206."""
        self.check_access(repo, token)
        rev = self.revision(repo, ref)
        entry = rev.files.get(path)
        if entry is None:
            raise HubError(404, "Entry not found", "EntryNotFound")
        etag = f'"{entry.sha256 if entry.lfs else entry.oid}"'
        headers = {"X-Repo-Commit": rev.sha, "ETag": etag, "Accept-Ranges": "bytes"}
        if entry.lfs:
            headers |= {"X-Linked-Etag": etag, "X-Linked-Size": str(entry.size)}
        media = "application/octet-stream" if entry.lfs else "text/plain; charset=utf-8"
        span = byte_range(request.headers.get("range"), entry.size)
        if span is None:
            return Response(entry.content, headers=headers, media_type=media)
        headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{entry.size}"
        return Response(entry.content[span[0]:span[1] + 1], 206, headers=headers, media_type=media)


def request_kind(segments: list[str]) -> str:
    """What a request is for, as counted by /_hub/requests."""
    if segments[:2] == ["api", "models"]:
        if len(segments) == 2:
            return "list"
        action = segments[4] if len(segments) > 4 else "info"
        return "info" if action == "revision" else action
    if segments[:2] == ["api", "whoami-v2"]:
        return "whoami"
    return "resolve" if "resolve" in segments[1:3] else "other"


def split_repo(parts: list[str], markers: set[str]) -> tuple[str, list[str]]:
    """A repo id ("ns/name", or a bare "name" followed by one of `markers`) and the path segments after it."""
    cut = 1 if len(parts) == 1 or parts[1] in markers else 2
    return "/".join(parts[:cut]), parts[cut:]


def build_app(hub: Hub | None = None, lifespan=None) -> Starlette:
    """The Starlette app of an offline Hub, with the /_hub admin surface for tests."""
    hub = hub or Hub()

    async def dispatch(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        segments = [unquote(s) for s in raw.decode().split("?")[0].split("/")[1:]]
        hub.counts[f"{request.method} {request_kind(segments)}"] += 1
        try:
            if failure := hub.fault():
                raise failure
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            if token is not None and token not in TOKENS:
                raise HubError(401, INVALID_TOKEN)
            if segments == ["api", "whoami-v2"]:
                if token is None:
                    raise HubError(401, "Invalid username or password.")
                return JSONResponse({"type": "user", "name": TOKENS[token], "fullname": TOKENS[token].title(),
                                     "orgs": [], "auth": {"type": "access_token", "accessToken": {
                                         "displayName": "offline-hub", "role": "read"}}})
            if segments == ["api", "models"]:
                return hub.list_models(request.query_params)
            if segments[:2] == ["api", "models"] and len(segments) > 2:
                repo_id, rest = split_repo(segments[2:], API_ACTIONS)
                return await hub.model_api(request, hub.repo(repo_id), rest, token)
            repo_id, rest = split_repo(segments, {"resolve"})
            if len(rest) >= 3 and rest[0] == "resolve" and request.method in ("GET", "HEAD"):
                return hub.resolve(request, hub.repo(repo_id), rest[1], "/".join(rest[2:]), token)
            return JSONResponse({"error": "Sorry, we can't find the page you are looking for."}, 404)
        except HubError as error:
            return error.response()

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            update = await request.json()
            hub.faults |= {key: type(hub.faults[key])(value) for key, value in update.items() if key in hub.faults}
        return JSONResponse(hub.faults)

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            hub.counts.clear()
        return JSONResponse({"counts": dict(hub.counts), "total": sum(hub.counts.values())})

    return Starlette(routes=[Route("/_hub/faults", faults, methods=["GET", "PUT"]),
                             Route("/_hub/requests", requests, methods=["GET", "DELETE"]),
                             Route("/{path:path}", dispatch, methods=["GET", "HEAD", "POST"])], lifespan=lifespan)
