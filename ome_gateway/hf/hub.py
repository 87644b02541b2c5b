"""Hub requests for detection and search through huggingface_hub: counted, retried while the hub is throttling or
failing (429, 5xx, connection errors), and their errors turned into HubError codes."""
from __future__ import annotations

import time

import httpx2
from huggingface_hub import HfApi, ModelInfo, constants, get_session
from huggingface_hub.errors import (GatedRepoError, HFValidationError, HfHubHTTPError, OfflineModeIsEnabled,
                                    RemoteEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, validate_repo_id

from . import gguf

ATTEMPTS = 3
BACKOFF = 0.25  # seconds before the second attempt, doubled after
MAX_RETRY_AFTER = 2.0
TIMEOUT = 10.0
RETRIED = {429, 500, 502, 503, 504}
SORTS = {"downloads": "downloads", "likes": "likes", "trending": "trendingScore", "created": "createdAt",
         "modified": "lastModified"}
EXPAND = ["author", "downloads", "likes", "tags", "pipeline_tag", "library_name", "gated", "lastModified"]
GATED_HINT = ("request access on the repository's hub page, then import with a tokenSecret holding the token of an "
              "account that was granted access")
PRIVATE_HINT = "if the repository is private, import it with a tokenSecret holding a token that can read it"


class HubError(Exception):
    """code: NOT_FOUND, FORBIDDEN, UPSTREAM_UNAVAILABLE or INVALID_INPUT."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def gated(repo_id: str, token: str | None) -> HubError:
    if token:
        return HubError("FORBIDDEN", f"the token was not granted access to the gated repository {repo_id}", GATED_HINT)
    return HubError("FORBIDDEN", f"{repo_id} is gated: reading it needs the token of an account granted access",
                    GATED_HINT)


class Hub:
    """The requests of one detection or search (`requests` counts every attempt)."""

    def __init__(self, repo_id: str | None, token: str | None, endpoint: str | None,
                 revision: str | None = None) -> None:
        if repo_id is not None:
            try:
                validate_repo_id(repo_id)
            except HFValidationError as exc:
                raise HubError("INVALID_INPUT", str(exc)) from None
        self.repo_id, self.token, self.revision = repo_id, token, revision
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        self.api, self.timeout, self.requests = HfApi(endpoint=self.endpoint, token=False), TIMEOUT, 0
        self.headers = build_hf_headers(token=token or False)  # never a token saved on this machine

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs), attempted up to ATTEMPTS times; raises HubError."""
        for attempt in range(1, ATTEMPTS + 1):
            self.requests += 1
            try:
                return fn(*args, **kwargs)
            except OfflineModeIsEnabled:
                raise HubError("UPSTREAM_UNAVAILABLE", "huggingface_hub is in offline mode (HF_HUB_OFFLINE)") from None
            except HfHubHTTPError as exc:
                if exc.response.status_code not in RETRIED or attempt == ATTEMPTS:
                    raise self.error(exc, attempt) from None
                wait = _retry_after(exc.response)
            except httpx2.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise HubError("UPSTREAM_UNAVAILABLE", f"cannot reach the hub at {self.endpoint} after {attempt} "
                                                           f"attempts: {exc or type(exc).__name__}") from None
                wait = None
            time.sleep(wait if wait is not None else BACKOFF * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def error(self, exc: HfHubHTTPError, attempts: int) -> HubError:
        status, repo = exc.response.status_code, self.repo_id
        if isinstance(exc, GatedRepoError):
            return gated(repo, self.token)
        if isinstance(exc, RevisionNotFoundError):
            return HubError("NOT_FOUND", f"revision {self.revision!r} not found in {repo}")
        if isinstance(exc, RepositoryNotFoundError):
            return HubError("NOT_FOUND", f"model repository {repo} not found on the hub",
                            None if self.token else PRIVATE_HINT)
        if status in (401, 403):
            message = "the hub rejected the token" if status == 401 and self.token else "the hub refused access"
            return HubError("FORBIDDEN", message, "check the token in the tokenSecret")
        if status == 404:
            return HubError("NOT_FOUND", f"not found on the hub: {exc.response.request.url.path}")
        if status in (400, 422):
            return HubError("INVALID_INPUT", f"the hub rejected the request: {exc.server_message or status}")
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        return HubError("UPSTREAM_UNAVAILABLE", f"the hub answered {status}{tried}")

    def json(self, url: str):
        """A small JSON file's content; None when it is missing or not JSON."""
        response = get_session().get(url, headers=self.headers, timeout=self.timeout)
        try:
            hf_raise_for_status(response)
        except RemoteEntryNotFoundError:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def gguf_header(self, url: str) -> gguf.Header | None:
        """The header in the first HEADER_BYTES of a GGUF file (a Range request); None when it is not one."""
        headers = {**self.headers, "Range": f"bytes=0-{gguf.HEADER_BYTES - 1}"}
        data = bytearray()
        with get_session().stream("GET", url, headers=headers, timeout=self.timeout) as response:
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            for chunk in response.iter_bytes():  # a server ignoring Range sends it all: stop reading early
                data += chunk
                if len(data) >= gguf.HEADER_BYTES:
                    break
        try:
            return gguf.read_header(bytes(data[:gguf.HEADER_BYTES]))
        except ValueError:
            return None

    def list_models(self, query: str | None, author: str | None, task: str | None, library: str | None,
                    sort: str, limit: int) -> list[ModelInfo]:
        """One page of /api/models (list_models would retry on its own, for far longer)."""
        wanted = {"search": query, "author": author, "pipeline_tag": task, "filter": library,
                  "sort": SORTS[sort], "limit": limit, "expand": EXPAND}
        response = get_session().get(f"{self.endpoint}/api/models", headers=self.headers, timeout=self.timeout,
                                     params={k: v for k, v in wanted.items() if v is not None})
        hf_raise_for_status(response)
        return [ModelInfo(**item) for item in response.json()[:limit]]


def _retry_after(response) -> float | None:
    """The response's Retry-After in seconds, at most MAX_RETRY_AFTER."""
    try:
        return max(0.0, min(float(response.headers.get("Retry-After", "")), MAX_RETRY_AFTER))
    except ValueError:
        return None
