"""How runtimes and models fit together, as OME's runtime selector judges it."""
from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from ..ome.selector import RuntimeMatch as Verdict

ModelRef = Annotated["Model", strawberry.lazy(".models")]
RuntimeRef = Annotated["Runtime", strawberry.lazy(".runtimes")]


@strawberry.type(description="One runtime judged for one model: compatible or not, why, and its selection score.")
class RuntimeMatch:
    verdict: strawberry.Private[Verdict]
    model_raw: strawberry.Private[Optional[dict]]

    @classmethod
    def of(cls, verdict: Verdict, model: dict | None) -> "RuntimeMatch":
        return cls(verdict=verdict, model_raw=model)

    @strawberry.field(description="The model judged; null for a model that is not in the cluster (a hub "
                                  "detection).")
    def model(self) -> Optional[ModelRef]:
        from .models import Model

        return Model.of(self.model_raw)

    @strawberry.field
    def runtime(self) -> RuntimeRef:
        from .runtimes import Runtime

        return Runtime.of(self.verdict.runtime)

    @strawberry.field(description="Whether OME would accept this runtime for the model.")
    def compatible(self) -> bool:
        return self.verdict.compatible

    @strawberry.field(description="OME's selection score (format and framework weights times priority).")
    def score(self) -> int:
        return self.verdict.score

    @strawberry.field(description="Whether OME would pick this runtime on its own (compatible, autoSelect, "
                                  "score above 0).")
    def auto_select(self) -> bool:
        return self.verdict.auto_select

    @strawberry.field(description="Why the runtime is not compatible (empty when it is).")
    def reasons(self) -> list[str]:
        return list(self.verdict.reasons)

    @strawberry.field(description="Caveats that do not prevent compatibility.")
    def warnings(self) -> list[str]:
        return list(self.verdict.warnings)
