"""The create-only review kinds (TokenReview, SelfSubjectReview, SubjectAccessReview, SelfSubjectAccessReview,
LocalSubjectAccessReview): answered by the authenticator and authorizer that guard every request, never stored."""
from __future__ import annotations

from . import status as st
from .auth import Access
from .rbac import Attributes, User

API_AUDIENCES = ["https://kubernetes.default.svc.cluster.local"]
PROTOBUF = "application/vnd.kubernetes.protobuf"  # what typed clients (kubectl auth can-i, auth whoami) send

# The review kinds' protobuf messages (k8s.io/api generated.proto): field number -> (JSON name, type), where a type
# is "s" (string), "S" (repeated string), "m" (map<string, string>), "x" (map<string, ExtraValue>) or a message.
_META = {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 11: ("labels", "m"),
         12: ("annotations", "m")}
_RESOURCE = {1: ("namespace", "s"), 2: ("verb", "s"), 3: ("group", "s"), 4: ("version", "s"), 5: ("resource", "s"),
             6: ("subresource", "s"), 7: ("name", "s")}
_ACCESS = {1: ("resourceAttributes", _RESOURCE), 2: ("nonResourceAttributes", {1: ("path", "s"), 2: ("verb", "s")})}
_SAR = {**_ACCESS, 3: ("user", "s"), 4: ("groups", "S"), 5: ("extra", "x"), 6: ("uid", "s")}
_MESSAGES = {"TokenReview": {1: ("metadata", _META), 2: ("spec", {1: ("token", "s"), 2: ("audiences", "S")})},
             "SelfSubjectReview": {1: ("metadata", _META)},
             "SubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _SAR)},
             "LocalSubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _SAR)},
             "SelfSubjectAccessReview": {1: ("metadata", _META), 2: ("spec", _ACCESS)}}


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
        if num not in schema or not isinstance(value, bytes):
            continue  # fields the dev cluster does not use
        name, kind = schema[num]
        if kind == "s":
            out[name] = value.decode()
        elif kind == "S":
            out.setdefault(name, []).append(value.decode())
        elif kind in ("m", "x"):
            entry = dict(_wire(value))
            key, item = entry.get(1, b"").decode(), entry.get(2, b"")
            out.setdefault(name, {})[key] = (item.decode() if kind == "m" else
                                             [v.decode() for n, v in _wire(item) if n == 1])
        else:
            out[name] = _message(value, kind)
    return out


def from_protobuf(raw: bytes) -> dict:
    """A review sent as Kubernetes protobuf ("k8s" and a NUL byte, then a runtime.Unknown) as its JSON would be."""
    try:
        if raw[:4] != b"k8s\x00":
            raise ValueError("no protobuf magic number")
        envelope = dict(_wire(raw[4:]))
        type_meta = {n: v.decode() for n, v in _wire(envelope.get(1, b""))}
        api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
        body = _message(envelope.get(2, b""), _MESSAGES[kind]) if kind in _MESSAGES else {}
    except (ValueError, TypeError, AttributeError) as exc:  # a UnicodeDecodeError is a ValueError
        raise st.ApiError(400, f"the body of the request could not be decoded: {exc}") from None
    return {"kind": kind, "apiVersion": api_version, **body}


def user_info(user: User) -> dict:
    info = {"username": user.name, "uid": user.uid, "groups": list(user.groups),
            "extra": {k: list(v) for k, v in user.extra}}
    return {k: v for k, v in info.items() if v}


def answer(access: Access, rt, body: dict, requester: User) -> dict:
    """The review `body` (already checked for kind and apiVersion) with its status filled in."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    out = {"kind": rt.kind, "apiVersion": rt.api_version,
           "metadata": {**body.get("metadata", {}), "creationTimestamp": None}}
    if rt.kind == "TokenReview":
        return {**out, "spec": spec, "status": token_review(access, spec)}
    if rt.kind == "SelfSubjectReview":
        return {**out, "status": {"userInfo": user_info(requester)}}
    attrs = _attributes(rt, out["metadata"], spec)
    if rt.kind == "SubjectAccessReview" or rt.kind == "LocalSubjectAccessReview":
        extra = tuple((k, tuple(v)) for k, v in (spec.get("extra") or {}).items())
        subject = User(str(spec.get("user") or ""), str(spec.get("uid") or ""),
                       tuple(str(g) for g in spec.get("groups") or ()), extra)
    else:
        subject = requester
    allowed, reason = access.authorizer.authorize(subject, attrs)
    return {**out, "spec": spec, "status": {"allowed": allowed, **({"reason": reason} if reason else {})}}


def token_review(access: Access, spec: dict) -> dict:
    token = spec.get("token")
    if not token or not isinstance(token, str):
        raise st.ApiError(400, "token is required for TokenReview in authentication")
    wanted = spec.get("audiences") or []
    audiences = [a for a in API_AUDIENCES if a in wanted] if wanted else API_AUDIENCES
    user = access.user_for_token(token)
    if user is None or not audiences:  # tokens from the token file are audience-agnostic
        return {"user": {}, "error": "invalid bearer token"}
    return {"authenticated": True, "user": user_info(user), "audiences": list(audiences)}


def _attributes(rt, meta: dict, spec: dict) -> Attributes:
    """The attributes to authorize, after kube's validation of an access review's spec."""
    res, non = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    causes = []
    if res is not None and non is not None:
        shown = f'authorization.NonResourceAttributes{{Path:"{non.get("path", "")}", Verb:"{non.get("verb", "")}"}}'
        causes.append(("spec.nonResourceAttributes", f"Invalid value: {shown}: cannot be specified in combination "
                                                     "with resourceAttributes"))
    if res is None and non is None:
        causes.append(("spec.resourceAttributes", 'Invalid value: "null": exactly one of nonResourceAttributes or '
                                                  "resourceAttributes must be specified"))
    if rt.kind in ("SubjectAccessReview", "LocalSubjectAccessReview") and not spec.get("user") \
            and not spec.get("groups"):
        causes.append(("spec.user", f'Invalid value: "{spec.get("user") or ""}": at least one of user or group '
                                    "must be specified"))
    if rt.kind == "LocalSubjectAccessReview":
        if isinstance(res, dict) and res.get("namespace", "") != meta.get("namespace"):
            causes.append(("spec.resourceAttributes.namespace",
                           f'Invalid value: "{res.get("namespace", "")}": must match metadata.namespace'))
        if non is not None:
            causes.append(("spec.nonResourceAttributes", "Invalid value: disallowed on this kind of request"))
    if not isinstance(res if res is not None else non, dict):
        causes = causes or [("spec.resourceAttributes", "Invalid value: must be an object")]
    if causes:
        raise st.invalid(rt, "", [{"reason": "FieldValueInvalid", "field": f, "message": m} for f, m in causes])
    if res is not None:
        get = lambda key: str(res.get(key) or "")  # noqa: E731
        return Attributes(get("verb"), get("namespace"), get("group"), get("resource"), get("subresource"),
                          get("name"))
    return Attributes(str(non.get("verb") or ""), path=str(non.get("path") or ""), resource_request=False)
