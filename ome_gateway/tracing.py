"""Optional OpenTelemetry tracing: a span for each GraphQL operation (continuing the caller's W3C traceparent)
and a child span for each Kubernetes API request it makes. On with OME_GATEWAY_TRACING=console or otlp and the
opentelemetry packages installed (`pip install 'ome-gateway[tracing]'`); off, a span costs one check."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Mapping

from .config import ConfigError

_tracer = None


def configure(mode: str) -> None:
    """Install a tracer provider exporting to stderr (console) or to an OTLP/HTTP collector (otlp)."""
    global _tracer
    if mode == "off":
        return
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError:
        raise ConfigError(f"OME_GATEWAY_TRACING={mode} needs OpenTelemetry: pip install 'ome-gateway[tracing]'") \
            from None
    provider = TracerProvider(resource=Resource.create({"service.name": "ome-gateway"}))
    if mode == "console":
        exporter = ConsoleSpanExporter(out=sys.stderr, formatter=lambda span: span.to_json(indent=None) + "\n")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ConfigError("OME_GATEWAY_TRACING=otlp needs the OTLP exporter: pip install "
                              "opentelemetry-exporter-otlp-proto-http") from None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint from OTEL_EXPORTER_OTLP_*
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("ome_gateway")


@contextlib.contextmanager
def span(name: str, carrier: Mapping[str, str] | None = None, server: bool = False, **attributes) -> Iterator:
    """A span (the current one inside the block), or None when tracing is off; `carrier` holds the headers of a
    request that may continue a trace."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    parent = extract(carrier) if carrier is not None else None
    kind = SpanKind.SERVER if server else SpanKind.CLIENT
    with _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as current:
        yield current
