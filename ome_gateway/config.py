"""Gateway settings from the environment (OME_GATEWAY_*), overridable by command-line flags."""
from __future__ import annotations

import dataclasses
import os


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
    max_page_size: int = 1000
    cache: bool = True
    redis_url: str | None = None

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = {
            "host": env.get("OME_GATEWAY_HOST", cls.host),
            "port": _int(env, "OME_GATEWAY_PORT", cls.port, 0, 65535),
            "kubeconfig": env.get("KUBECONFIG") or None,
            "in_cluster": _bool(env, "OME_GATEWAY_IN_CLUSTER", False),
            "cors_origins": tuple(o.strip() for o in env.get("OME_GATEWAY_CORS_ORIGINS", "").split(",") if o.strip()),
            "log_level": env.get("OME_GATEWAY_LOG_LEVEL", cls.log_level).lower(),
            "max_page_size": _int(env, "OME_GATEWAY_MAX_PAGE_SIZE", cls.max_page_size, 1, 100_000),
            "cache": _bool(env, "OME_GATEWAY_CACHE", cls.cache),
            "redis_url": env.get("REDIS_URL") or None,
        }
        if values["log_level"] not in ("debug", "info", "warning", "error"):
            raise ConfigError("OME_GATEWAY_LOG_LEVEL must be one of debug, info, warning, error")
        values.update({k: v for k, v in overrides.items() if v not in (None, False)})
        return cls(**values)

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
