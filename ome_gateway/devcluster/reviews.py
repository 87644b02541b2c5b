"""The create-only review kinds (TokenReview, SelfSubjectReview, SubjectAccessReview, SelfSubjectAccessReview,
LocalSubjectAccessReview): answered by the authenticator and authorizer that guard every request, never stored."""
from __future__ import annotations

from . import status as st
from .auth import Access
from .rbac import Attributes, User

API_AUDIENCES = ["https://kubernetes.default.svc.cluster.local"]


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
