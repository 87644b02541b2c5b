"""Gateway settings from the environment (OME_GATEWAY_*), overridable by command-line flags."""
from __future__ import annotations

import dataclasses
import ipaddress
import os

import yaml

AUTH_MODES = ("none", "bearer", "proxy")


class ConfigError(ValueError):
    """A setting has a value the gateway cannot use; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    kubeconfig: str | None = None
    in_cluster: bool = False
    cors_origins: tuple[str, ...] = ()
    log_level: str = "info"
    tracing: str = "off"  # off, console (spans on stderr) or otlp (OTEL_EXPORTER_OTLP_* variables)
    max_page_size: int = 1000
    cache: bool = True
    redis_url: str | None = None
    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 10_000
    max_complexity: int = 200_000
    max_body_bytes: int = 1_048_576
    execution_timeout: float = 30.0
    introspection: bool = True
    rate_limit: int = 1200  # requests per user per minute; 0 turns it off
    persisted_only: bool = False
    persisted_dir: str | None = None
    metrics: bool = True  # serve /metrics (Prometheus)
    auth: str = "none"  # none (development only), bearer (TokenReview + SubjectAccessReview) or proxy
    trusted_proxies: tuple[str, ...] = ()  # networks whose X-Forwarded-User headers are believed (proxy mode)
    proxy_secret: str | None = None  # or a shared secret the proxy sends in X-Gateway-Proxy-Secret
    allow_unauthenticated: bool = False  # auth none on a non-loopback address needs this
    review_ttl: int = 10  # seconds an access decision is reused per user
    hf_endpoint: str = "https://huggingface.co"
    hf_cache_ttl: int = 3600  # seconds hub metadata is cached
    import_workers: int = 2  # in-process import workers (when Redis is configured)
    import_visibility: int = 30  # seconds a lost worker's job waits before another worker takes it over
    import_retention: int = 7 * 86400  # seconds a job's state and history are kept
    import_ready_timeout: int = 600  # seconds an imported model may take to become Ready
    import_hub_attempts: int = 4  # tries of the hub while it answers 5xx/429
    import_pauses: tuple[tuple[str, float], ...] = ()  # (step, seconds) to wait in a step: for tests

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        """Settings from the environment, over those of the YAML file OME_GATEWAY_CONFIG names (same variable
        names as keys); every value is checked, and an unknown key in the file is an error."""
        env = os.environ if env is None else env
        from_file = _file(env.get("OME_GATEWAY_CONFIG"))
        env = _Reading({**from_file, **env})
        settings = cls._read(env, overrides)
        unknown = sorted(set(from_file) - env.read)
        if unknown:
            raise ConfigError(f"{env['OME_GATEWAY_CONFIG']}: unknown settings {', '.join(unknown)}")
        return settings

    @classmethod
    def _read(cls, env, overrides: dict) -> "Settings":
        values = {
            "host": env.get("OME_GATEWAY_HOST", cls.host),
            "port": _int(env, "OME_GATEWAY_PORT", cls.port, 0, 65535),
            "kubeconfig": env.get("KUBECONFIG") or None,
            "in_cluster": _bool(env, "OME_GATEWAY_IN_CLUSTER", False),
            "cors_origins": tuple(o.strip() for o in env.get("OME_GATEWAY_CORS_ORIGINS", "").split(",") if o.strip()),
            "log_level": env.get("OME_GATEWAY_LOG_LEVEL", cls.log_level).lower(),
            "tracing": env.get("OME_GATEWAY_TRACING", cls.tracing).lower(),
            "max_page_size": _int(env, "OME_GATEWAY_MAX_PAGE_SIZE", cls.max_page_size, 1, 100_000),
            "cache": _bool(env, "OME_GATEWAY_CACHE", cls.cache),
            "redis_url": env.get("REDIS_URL") or None,
            "max_depth": _int(env, "OME_GATEWAY_MAX_DEPTH", cls.max_depth, 1, 100),
            "max_aliases": _int(env, "OME_GATEWAY_MAX_ALIASES", cls.max_aliases, 0, 1000),
            "max_tokens": _int(env, "OME_GATEWAY_MAX_TOKENS", cls.max_tokens, 10, 1_000_000),
            "max_complexity": _int(env, "OME_GATEWAY_MAX_COMPLEXITY", cls.max_complexity, 1, 10**9),
            "max_body_bytes": _int(env, "OME_GATEWAY_MAX_BODY_BYTES", cls.max_body_bytes, 1024, 10**9),
            "execution_timeout": float(_int(env, "OME_GATEWAY_TIMEOUT_SECONDS", int(cls.execution_timeout), 1, 3600)),
            "introspection": _bool(env, "OME_GATEWAY_INTROSPECTION", cls.introspection),
            "rate_limit": _int(env, "OME_GATEWAY_RATE_LIMIT", cls.rate_limit, 0, 10**7),
            "persisted_only": _bool(env, "OME_GATEWAY_PERSISTED_ONLY", cls.persisted_only),
            "persisted_dir": env.get("OME_GATEWAY_PERSISTED_QUERIES_DIR") or None,
            "metrics": _bool(env, "OME_GATEWAY_METRICS", cls.metrics),
            "auth": (env.get("OME_GATEWAY_AUTH") or cls.auth).strip().lower(),
            "trusted_proxies": _networks(env, "OME_GATEWAY_TRUSTED_PROXIES"),
            "proxy_secret": env.get("OME_GATEWAY_PROXY_SECRET") or None,
            "allow_unauthenticated": _bool(env, "OME_GATEWAY_ALLOW_UNAUTHENTICATED", False),
            "review_ttl": _int(env, "OME_GATEWAY_REVIEW_TTL", cls.review_ttl, 0, 3600),
            "hf_endpoint": (env.get("HF_ENDPOINT") or cls.hf_endpoint).rstrip("/"),
            "hf_cache_ttl": _int(env, "OME_GATEWAY_HF_CACHE_TTL", cls.hf_cache_ttl, 1, 30 * 86400),
            "import_workers": _int(env, "OME_GATEWAY_IMPORT_WORKERS", cls.import_workers, 0, 64),
            "import_visibility": _int(env, "OME_GATEWAY_IMPORT_VISIBILITY", cls.import_visibility, 1, 3600),
            "import_retention": _int(env, "OME_GATEWAY_IMPORT_RETENTION", cls.import_retention, 60, 365 * 86400),
            "import_ready_timeout": _int(env, "OME_GATEWAY_IMPORT_READY_TIMEOUT", cls.import_ready_timeout, 1,
                                         86400),
            "import_hub_attempts": _int(env, "OME_GATEWAY_IMPORT_HUB_ATTEMPTS", cls.import_hub_attempts, 1, 20),
            "import_pauses": _pauses(env, "OME_GATEWAY_IMPORT_PAUSE"),
        }
        if values["log_level"] not in ("debug", "info", "warning", "error"):
            raise ConfigError("OME_GATEWAY_LOG_LEVEL must be one of debug, info, warning, error")
        if values["tracing"] not in ("off", "console", "otlp"):
            raise ConfigError("OME_GATEWAY_TRACING must be one of off, console, otlp")
        values.update({k: v for k, v in overrides.items() if v not in (None, False)})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that would run the gateway unsafely."""
        if self.auth not in AUTH_MODES:
            raise ConfigError(f"OME_GATEWAY_AUTH must be one of {', '.join(AUTH_MODES)}, got {self.auth!r}")
        if self.auth == "proxy" and not (self.trusted_proxies or self.proxy_secret):
            raise ConfigError("OME_GATEWAY_AUTH=proxy needs OME_GATEWAY_TRUSTED_PROXIES or OME_GATEWAY_PROXY_SECRET: "
                              "otherwise anyone could claim any identity")
        if self.auth == "none" and not self.allow_unauthenticated and not _loopback(self.host):
            raise ConfigError(f"refusing to serve {self.host} without authentication: set OME_GATEWAY_AUTH=bearer "
                              "or proxy, or OME_GATEWAY_ALLOW_UNAUTHENTICATED=true if this is really wanted")

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _int(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env, name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _pauses(env, name: str) -> tuple[tuple[str, float], ...]:
    """`step=seconds[,step=seconds]`"""
    pauses = []
    for part in filter(None, (p.strip() for p in (env.get(name) or "").split(","))):
        step, _, seconds = part.partition("=")
        try:
            pauses.append((step.strip(), float(seconds)))
        except ValueError:
            raise ConfigError(f"{name} must look like step=seconds[,step=seconds], got {part!r}") from None
    return tuple(pauses)


def _networks(env, name: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDR networks."""
    found = []
    for part in filter(None, (p.strip() for p in (env.get(name) or "").split(","))):
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(f"{name} must list IP addresses or CIDR networks, got {part!r}") from None
    return tuple(found)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Reading(dict):
    """A mapping that remembers which keys were asked for."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.read: set[str] = {"OME_GATEWAY_CONFIG"}

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def _file(path: str | None) -> dict[str, str]:
    """The settings of a YAML configuration file, as environment-style strings."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigError(f"OME_GATEWAY_CONFIG: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"OME_GATEWAY_CONFIG: {path} is not valid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not all(isinstance(k, str) for k in doc):
        raise ConfigError(f"OME_GATEWAY_CONFIG: {path} must be a mapping of setting names to values")
    out = {}
    for key, value in doc.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (str, int, float)):
            raise ConfigError(f"OME_GATEWAY_CONFIG: {key} must be a string, number, boolean or list")
        out[key] = str(value)
    return out
