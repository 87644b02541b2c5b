"""Request bodies sent as Kubernetes protobuf, decoded to the JSON they stand for. Typed clients send it (kubectl
create namespace, configmap, secret and serviceaccount; kubectl auth can-i and whoami); the dev cluster decodes
the kinds they send and answers 415 for others. Responses are always JSON, which every client accepts."""
from __future__ import annotations

import base64

from . import status as st

PROTOBUF = "application/vnd.kubernetes.protobuf"

# Messages of k8s.io/api generated.proto: field number -> (JSON name, type), where a type is "s" (string),
# "S" (repeated string), "b" (bool), "m" (map<string, string>), "B" (map<string, bytes>, base64 in JSON),
# "x" (map<string, ExtraValue>) or a message. Fields the dev cluster does not use are skipped.
_META = {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 11: ("labels", "m"),
         12: ("annotations", "m"), 14: ("finalizers", "S")}
_RESOURCE = {1: ("namespace", "s"), 2: ("verb", "s"), 3: ("group", "s"), 4: ("version", "s"), 5: ("resource", "s"),
             6: ("subresource", "s"), 7: ("name", "s")}
_ACCESS = {1: ("resourceAttributes", _RESOURCE), 2: ("nonResourceAttributes", {1: ("path", "s"), 2: ("verb", "s")})}
_SAR = {**_ACCESS, 3: ("user", "s"), 4: ("groups", "S"), 5: ("extra", "x"), 6: ("uid", "s")}
MESSAGES = {
    "TokenReview": {1: ("metadata", _META), 2: ("spec", {1: ("token", "s"), 2: ("audiences", "S")})},
    "SelfSubjectReview": {1: ("metadata", _META)},
    "SubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _SAR)},
    "LocalSubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _SAR)},
    "SelfSubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _ACCESS)},
    "Namespace": {1: ("metadata", _META), 2: ("spec", {1: ("finalizers", "S")})},
    "ConfigMap": {1: ("metadata", _META), 2: ("data", "m"), 3: ("binaryData", "B"), 4: ("immutable", "b")},
    "Secret": {1: ("metadata", _META), 2: ("data", "B"), 3: ("type", "s"), 4: ("stringData", "m"),
               5: ("immutable", "b")},
    "ServiceAccount": {1: ("metadata", _META), 4: ("automountServiceAccountToken", "b")},
}


def _wire(buf: bytes):
    """(field number, value) of a protobuf message; length-delimited values as bytes, others as ints."""
    def varint(i: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            if i >= len(buf):
                raise ValueError("truncated varint")
            value |= (buf[i] & 0x7F) << shift
            shift, i = shift + 7, i + 1
            if not buf[i - 1] & 0x80:
                return value, i
    i = 0
    while i < len(buf):
        key, i = varint(i)
        if key & 7 == 0:
            value, i = varint(i)
        elif key & 7 == 2:
            size, i = varint(i)
            value, i = buf[i:i + size], i + size
        elif key & 7 in (1, 5):
            value, i = 0, i + (8 if key & 7 == 1 else 4)
        else:
            raise ValueError(f"unsupported wire type {key & 7}")
        if i > len(buf):
            raise ValueError("truncated message")
        yield key >> 3, value


def _message(buf: bytes, schema: dict) -> dict:
    out: dict = {}
    for num, value in _wire(buf):
        if num not in schema:
            continue
        name, kind = schema[num]
        if kind == "b":
            out[name] = bool(value)
        elif not isinstance(value, bytes):
            continue
        elif kind == "s":
            out[name] = value.decode()
        elif kind == "S":
            out.setdefault(name, []).append(value.decode())
        elif kind in ("m", "B", "x"):
            entry = dict(_wire(value))
            key, item = entry.get(1, b"").decode(), entry.get(2, b"")
            out.setdefault(name, {})[key] = (item.decode() if kind == "m" else base64.b64encode(item).decode()
                                             if kind == "B" else [v.decode() for n, v in _wire(item) if n == 1])
        else:
            out[name] = _message(value, kind)
    return out


def decode(raw: bytes) -> dict:
    """An object sent as Kubernetes protobuf ("k8s" and a NUL byte, then a runtime.Unknown) as its JSON would be."""
    try:
        if raw[:4] != b"k8s\x00":
            raise ValueError("no protobuf magic number")
        envelope = dict(_wire(raw[4:]))
        type_meta = {n: v.decode() for n, v in _wire(envelope.get(1, b""))}
        api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
        if kind not in MESSAGES:
            raise st.ApiError(415, f"the dev cluster decodes protobuf only for {', '.join(sorted(MESSAGES))}; "
                                   f"send {kind or 'this object'} as JSON")
        body = _message(envelope.get(2, b""), MESSAGES[kind])
    except (ValueError, TypeError, AttributeError) as exc:  # a UnicodeDecodeError is a ValueError
        raise st.ApiError(400, f"the body of the request could not be decoded: {exc}") from None
    return {"kind": kind, "apiVersion": api_version, **body}
