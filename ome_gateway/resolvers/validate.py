"""Checks on client input, before anything reaches the cluster; each failure names the field."""
from __future__ import annotations

import re

from .errors import invalid_input

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
MAX_REPLICAS = 10_000


def label(value: str | None, field: str) -> str | None:
    """A DNS-1123 label (names of namespaces and inference services): at most 63 characters."""
    if value is not None and (len(value) > 63 or not DNS_LABEL.match(value)):
        raise invalid_input(f"{field} must be a DNS label: lowercase letters, digits and '-', starting and ending "
                            "with a letter or digit, at most 63 characters", field)
    return value


def subdomain(value: str | None, field: str) -> str | None:
    """A DNS-1123 subdomain (names of most objects): at most 253 characters."""
    if value is not None and (len(value) > 253 or not DNS_SUBDOMAIN.match(value)):
        raise invalid_input(f"{field} must be a lowercase DNS name of at most 253 characters", field)
    return value


def replicas(low: int | None, high: int | None, field: str) -> None:
    for value, name in ((low, "minReplicas"), (high, "maxReplicas")):
        if value is not None and not 0 <= value <= MAX_REPLICAS:
            raise invalid_input(f"{name} must be between 0 and {MAX_REPLICAS}", f"{field}.{name}")
    if low is not None and high is not None and low > high:
        raise invalid_input(f"minReplicas ({low}) must not exceed maxReplicas ({high})", f"{field}.minReplicas")


def quantity(value: str | None, field: str) -> str | None:
    """A Kubernetes resource quantity such as "500m", "16Gi" or "4"."""
    if value is not None and (len(value) > 32 or not QUANTITY.match(value)):
        raise invalid_input(f'{field} must be a Kubernetes quantity such as "500m", "4" or "16Gi"', field)
    return value


def labels(pairs: dict[str, str], field: str) -> dict[str, str]:
    for key, value in pairs.items():
        name = key.rpartition("/")[2]
        if not key or len(name) > 63 or not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", name):
            raise invalid_input(f"label key {key[:80]!r} is not a valid Kubernetes label key", field)
        if len(value) > 63 or not re.match(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$", value):
            raise invalid_input(f"label value {value[:80]!r} is not a valid Kubernetes label value", field)
    return pairs
