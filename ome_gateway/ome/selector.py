"""Matching serving runtimes to models as OME's runtime selector does: compatibility with reasons, scores, and the
ranking auto-selection uses (see docs in README, "Runtime selection")."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .versions import matches

UNSIZED = "model does not specify size, but runtime has size constraints"
NOT_AUTO = "no supported format of this runtime has autoSelect: true, so OME never picks it on its own"
NO_FORMAT = ("model does not specify a format yet (OME's model agent fills in format, architecture and size "
             "from config.json after the download)")
PIPELINE_PARTS = ("scheduler", "textEncoder", "tokenizer", "transformer", "vae")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([TBM])\s*$", re.IGNORECASE)
_SCALE = {"T": 1e12, "B": 1e9, "M": 1e6}


@dataclass(frozen=True)
class RuntimeMatch:
    runtime: dict
    compatible: bool
    score: int
    auto_select: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]


def parse_size(text) -> float | None:
    """Parameters in a size like "8B", "1.5T" or "110M"; None when it does not read as one."""
    found = _SIZE.match(text) if isinstance(text, str) else None
    return float(found[1]) * _SCALE[found[2].upper()] if found else None


def requested_classes(service: dict) -> set[str]:
    """The accelerator classes an InferenceService asks for, wherever it names them."""
    spec = service.get("spec") or {}
    found = {((service.get("metadata") or {}).get("annotations") or {}).get("ome.io/accelerator-class"),
             (spec.get("acceleratorSelector") or {}).get("acceleratorClass"),
             ((spec.get("engine") or {}).get("acceleratorOverride") or {}).get("acceleratorClass"),
             ((spec.get("decoder") or {}).get("acceleratorOverride") or {}).get("acceleratorClass")}
    return {c for c in found if c}


def _both(what: str, model, runtime, equal) -> list[str]:
    """Reasons unless both values are absent, or both present and equal."""
    if not model and not runtime:
        return []
    if not model:
        return [f"model has no {what} but runtime requires {runtime}"]
    if not runtime:
        return [f"model has {what} {model} but runtime supports none"]
    return [] if equal(model, runtime) else [f"{what} mismatch: model has {model}, runtime supports {runtime}"]


def _version_reason(what: str, model: dict, entry: dict) -> list[str]:
    mv, rv = model.get("version"), entry.get("version")
    if not mv and not rv:
        return []
    if not mv or not rv:
        return [f"{what} version mismatch: model has {mv or 'none'}, runtime requires {rv or 'none'}"]
    operator = entry.get("operator") or "Equal"
    return [] if matches(mv, rv, operator) else [
        f"{what} version mismatch: model has {mv}, runtime requires {operator} {rv}"]


def _named(what: str, model: dict | None, entry: dict | None) -> list[str]:
    if (model or {}).get("name") != (entry or {}).get("name"):
        return [f"{what} mismatch: model has {(model or {}).get('name') or 'none'}, "
                f"runtime supports {(entry or {}).get('name') or 'none'}"]
    return _version_reason(what, model, entry)


def _pipeline_reasons(entry: dict, model: dict | None) -> list[str]:
    if not model:
        return [f"runtime requires diffusion pipeline {entry.get('className') or ''}".rstrip() +
                " but the model has none"]
    reasons = _both("pipeline class", model.get("className"), entry.get("className"), str.__eq__)
    parts = {p: entry.get(p) for p in PIPELINE_PARTS if entry.get(p)}
    parts.update(entry.get("additionalComponents") or {})
    for part, wanted in parts.items():
        have = model.get(part) or (model.get("additionalComponents") or {}).get(part)
        if not have:
            reasons.append(f"model pipeline has no {part}")
            continue
        for key in ("library", "type"):
            if wanted.get(key) and wanted[key] != have.get(key):
                reasons.append(f"pipeline {part} {key} mismatch: model has {have.get(key) or 'none'}, "
                               f"runtime requires {wanted[key]}")
    return reasons


def entry_reasons(entry: dict, spec: dict) -> list[str]:
    """Why one supportedModelFormats entry does not match a model spec (empty when it does)."""
    reasons = _pipeline_reasons(entry["diffusionPipeline"], spec.get("diffusionPipeline")) \
        if entry.get("diffusionPipeline") else []
    reasons += _both("architecture", spec.get("modelArchitecture"), entry.get("modelArchitecture"), str.__eq__)
    reasons += _both("quantization", spec.get("quantization"), entry.get("quantization"), str.__eq__)
    if not (entry.get("modelFormat") or {}).get("name"):
        reasons.append("runtime entry names no model format")
    elif not (spec.get("modelFormat") or {}).get("name"):
        reasons.append(NO_FORMAT)
    else:
        reasons += _named("format", spec["modelFormat"], entry["modelFormat"])
    if spec.get("modelFramework") or entry.get("modelFramework"):
        reasons += _named("framework", spec.get("modelFramework"), entry.get("modelFramework"))
    return reasons


def entry_score(entry: dict, spec: dict) -> int:
    """OME's score of one entry for a model: format and framework weights times the entry's priority."""
    if entry.get("autoSelect") is False:
        return 0
    priority = entry.get("priority") or 1
    fmt, model_fmt = entry.get("modelFormat") or {}, spec.get("modelFormat") or {}
    if not fmt.get("name") or fmt.get("name") != model_fmt.get("name") or _version_reason("format", model_fmt, fmt):
        return 0
    score = (fmt.get("weight") or 10) * priority
    fw, model_fw = entry.get("modelFramework"), spec.get("modelFramework")
    if fw and model_fw:
        if fw.get("name") != model_fw.get("name") or _version_reason("framework", model_fw, fw):
            return 0
        score += (fw.get("weight") or 5) * priority
    return score


def match(runtime: dict, spec: dict, classes: set[str] = frozenset()) -> RuntimeMatch:
    """The verdict on one runtime for a model spec, for a service asking for `classes` accelerators."""
    rspec = runtime.get("spec") or {}
    entries = rspec.get("supportedModelFormats") or []
    reasons, warnings = [], []
    if rspec.get("disabled"):
        reasons.append("runtime is disabled")
    elif classes and not classes <= set((rspec.get("acceleratorRequirements") or {}).get("acceleratorClasses") or []):
        reasons.append("runtime does not support the required accelerator class")
    else:
        per_entry = [entry_reasons(e, spec) for e in entries]
        if not any(not r for r in per_entry):
            reasons.append("; ".join(sorted({r for rs in per_entry for r in rs})) or "runtime supports no model format")
        size, bounds = parse_size(spec.get("modelParameterSize")), rspec.get("modelSizeRange") or {}
        low, high = parse_size(bounds.get("min")), parse_size(bounds.get("max"))
        if bounds and size is None:
            warnings.append(UNSIZED)
        elif size is not None and ((low is not None and size < low) or (high is not None and size > high)):
            reasons.append(f"model size {spec['modelParameterSize']} is outside supported range "
                           f"[{bounds.get('min', '')}, {bounds.get('max', '')}]")
    compatible = not reasons
    auto = compatible and any(e.get("autoSelect") is True for e in entries)
    if compatible and not auto:
        warnings.append(NOT_AUTO)
    score = max((entry_score(e, spec) for e in entries), default=0) if compatible else 0
    return RuntimeMatch(runtime, compatible, score, auto and score > 0, tuple(reasons), tuple(warnings))


def _distance(found: RuntimeMatch, size: float | None) -> float:
    bounds = (found.runtime.get("spec") or {}).get("modelSizeRange") or {}
    low, high = parse_size(bounds.get("min")), parse_size(bounds.get("max"))
    if size is None or low is None or high is None:
        return math.inf
    return abs(low - size) + abs(high - size)


def rank_runtimes(model: dict, runtimes: list[dict], classes: set[str] = frozenset()) -> list[RuntimeMatch]:
    """Every runtime judged for `model`: auto-selectable ones in OME's order (score, closeness of the size range,
    namespace before cluster scope, name), then the other compatible ones, then the incompatible, by name."""
    spec = model.get("spec") or {}
    size = parse_size(spec.get("modelParameterSize"))

    def order(found: RuntimeMatch):
        meta = found.runtime.get("metadata") or {}
        group = 0 if found.auto_select else 1 if found.compatible else 2
        return (group, -found.score if group == 0 else 0, _distance(found, size) if group == 0 else 0,
                0 if meta.get("namespace") else 1, meta.get("name", ""))
    return sorted((match(r, spec, classes) for r in runtimes), key=order)


def select(model: dict, runtimes: list[dict], classes: set[str] = frozenset()) -> RuntimeMatch | None:
    """The runtime OME would pick for `model`, or None."""
    ranked = rank_runtimes(model, runtimes, classes)
    return ranked[0] if ranked and ranked[0].auto_select else None
