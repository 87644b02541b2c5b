"""What every resolver gets: the upstream client, this request's loaders, and the settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..k8s.client import KubeClient
from ..k8s.loaders import Loaders


@dataclass
class Context:
    client: KubeClient
    settings: Settings
    loaders: Loaders = field(init=False)
    request: Any = None
    response: Any = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.client)
