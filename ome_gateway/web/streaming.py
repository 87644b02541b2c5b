"""Server-Sent Events that can be resumed: each event carries the id of the change it reports, and a client
reconnecting with Last-Event-ID continues after it."""
from __future__ import annotations

from strawberry.http.streaming import SSETransport


class ResumableSSE(SSETransport):
    def encode_next(self, response, encode_json) -> str:
        """Like the standard event, with an `id:` line taken from the result's extensions.eventId."""
        event_id = (response.get("extensions") or {}).get("eventId")
        event = super().encode_next(response, encode_json)
        if not event_id or "\n" in event_id or "\r" in event_id:
            return event
        return f"id: {event_id}\r\n{event}"
