"""Authentication and RBAC over HTTPS and kubectl: tokens, kube's 401/403 Statuses, reviews, impersonation,
live binding changes and watches, answered as kube-apiserver answers them for the demo users of seeds/demo.yaml."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import httpx
import pytest
import yaml

from support import OME

RBAC = "/apis/rbac.authorization.k8s.io/v1"
SAR = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews"
SELF_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
GATEWAY_SA = "system:serviceaccount:ome:ome-gateway"
AS_BOB = {"Impersonate-User": "bob", "Impersonate-Group": "team-vision-viewers"}

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")


def isvcs(ns: str, name: str = "") -> str:
    return f"{OME}/namespaces/{ns}/inferenceservices" + (f"/{name}" if name else "")


def isvc(name: str) -> dict:
    return {"apiVersion": "ome.io/v1beta1", "kind": "InferenceService", "metadata": {"name": name},
            "spec": {"model": {"name": "some-model"}, "engine": {"minReplicas": 1, "maxReplicas": 1}}}


def role_binding(name: str, role_kind: str, role: str, kind: str, subject: str) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}]}


def assert_forbidden(resp: httpx.Response, user: str, verb: str, resource: str, group: str = "", ns: str = "",
                     name: str = "", reason: str = "") -> None:
    """The 403 Status kube-apiserver writes for a request RBAC does not allow, word for word."""
    assert resp.status_code == 403, resp.text
    qualified = f"{resource.split('/')[0]}.{group}" if group else resource.split("/")[0]
    scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    message = (f'{qualified}{f" {json.dumps(name)}" if name else ""} is forbidden: User "{user}" cannot {verb} '
               f'resource "{resource}" in API group "{group}" {scope}' + (f": {reason}" if reason else ""))
    details = {k: v for k, v in (("name", name), ("group", group), ("kind", resource.split("/")[0])) if v}
    assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": message, "reason": "Forbidden", "details": details, "code": 403}


@pytest.fixture(scope="module")
def user(devcluster):
    """user(token, **headers): an HTTPS client sending `Authorization: Bearer <token>` (none without a token)."""
    made: list[httpx.Client] = []

    def make(token: str | None = None, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        made.append(httpx.Client(base_url=devcluster.url, verify=devcluster.ssl, timeout=30,
                                 headers={**auth, **headers}))
        return made[-1]
    yield make
    for client in made:
        client.close()


@pytest.fixture
def admin(devcluster):
    with devcluster.client() as client:
        yield client


@pytest.fixture
def namespace(admin):
    """A fresh namespace, deleted afterwards together with the Roles and RoleBindings in it."""
    name = f"rbac-{uuid.uuid4().hex[:8]}"
    admin.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
    yield name
    assert admin.delete(f"/api/v1/namespaces/{name}").status_code in (200, 404)


# -- authentication ----------------------------------------------------------------------------------------
def test_anonymous_requests_run_as_system_anonymous(user):
    anonymous = user()
    assert_forbidden(anonymous.get(isvcs("team-nlp")), "system:anonymous", "list", "inferenceservices", "ome.io",
                     "team-nlp")
    assert anonymous.get("/version").status_code == 200  # system:public-info-viewer
    assert anonymous.get("/apis").status_code == 200  # system:discovery
    assert_forbidden(anonymous.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json={}),
                     "system:anonymous", "create", "selfsubjectaccessreviews", "authorization.k8s.io")


def test_an_unknown_token_is_unauthorized_everywhere(user):
    for path in (isvcs("team-nlp"), "/version"):
        resp = user("no-such-token").get(path)
        assert resp.status_code == 401
        assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_token_review_by_the_gateway(user):
    gateway = user("gateway-token")

    def review(token: str) -> dict:
        resp = gateway.post(TOKEN_REVIEWS, json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                                 "spec": {"token": token}})
        assert resp.status_code == 201, resp.text
        return resp.json()["status"]
    alice = review("alice-token")
    assert alice["authenticated"] is True
    assert alice["user"] == {"username": "alice", "uid": "6f1d2a3c-0a11-4c1e-9a01-a11ce0000001",
                             "groups": ["team-nlp-admins", "system:authenticated"]}
    assert review("gateway-token")["user"]["groups"] == ["system:serviceaccounts", "system:serviceaccounts:ome",
                                                        "system:authenticated"]
    assert review("not-a-token") == {"user": {}, "error": "invalid bearer token"}  # authenticated: false, omitted
    assert_forbidden(user("alice-token").post(TOKEN_REVIEWS, json={"spec": {"token": "bob-token"}}), "alice",
                     "create", "tokenreviews", "authentication.k8s.io")


# -- what each demo user may do ----------------------------------------------------------------------------
def test_alice_edits_services_in_team_nlp_only(user, admin, namespace):
    alice = user("alice-token")
    dry = {"dryRun": "All"}  # team-nlp is shared: prove the rights there without changing it
    assert alice.post(isvcs("team-nlp"), params=dry, json=isvc("dry")).status_code == 201
    patched = alice.patch(isvcs("team-nlp", "support-bot"), params=dry, json={"metadata": {"labels": {"x": "y"}}},
                          headers={"Content-Type": "application/merge-patch+json"})
    assert patched.status_code == 200 and patched.json()["metadata"]["labels"]["x"] == "y"
    assert alice.delete(isvcs("team-nlp", "support-bot"), params=dry).status_code == 200
    assert admin.get(isvcs("team-nlp", "dry")).status_code == 404
    assert_forbidden(alice.post(isvcs("team-vision"), json=isvc("x")), "alice", "create", "inferenceservices",
                     "ome.io", "team-vision")
    assert_forbidden(alice.delete(isvcs("team-vision", "vl-qwen2-7b")), "alice", "delete", "inferenceservices",
                     "ome.io", "team-vision", "vl-qwen2-7b")
    # a namespace of her team's own, bound as team-nlp is: real writes
    assert_forbidden(alice.post(isvcs(namespace), json=isvc("chat")), "alice", "create", "inferenceservices",
                     "ome.io", namespace)
    admin.post(f"{RBAC}/namespaces/{namespace}/rolebindings", json=role_binding(
        "nlp", "ClusterRole", "ome-editor", "Group", "team-nlp-admins")).raise_for_status()
    created = alice.post(isvcs(namespace), json=isvc("chat"))
    assert created.status_code == 201, created.text
    for _ in range(5):  # the controller writes its status meanwhile: read, change, write until no conflict
        body = alice.get(isvcs(namespace, "chat")).json()
        body["spec"]["engine"]["maxReplicas"] = 3
        updated = alice.put(isvcs(namespace, "chat"), json=body)
        if updated.status_code != 409:
            break
    assert updated.status_code == 200 and updated.json()["spec"]["engine"]["maxReplicas"] == 3
    assert alice.delete(isvcs(namespace, "chat")).status_code == 200
    assert admin.get(isvcs(namespace, "chat")).status_code == 404


def test_bob_reads_team_vision_but_cannot_write(user):
    bob = user("bob-token")
    listed = bob.get(isvcs("team-vision"))
    assert listed.status_code == 200
    assert {"vl-qwen2-7b", "product-tagger"} <= {i["metadata"]["name"] for i in listed.json()["items"]}
    assert bob.get(isvcs("team-vision", "product-tagger")).status_code == 200
    assert bob.get(isvcs("team-vision", "product-tagger") + "/status").status_code == 200
    assert_forbidden(bob.post(isvcs("team-vision"), params={"dryRun": "All"}, json=isvc("x")), "bob", "create",
                     "inferenceservices", "ome.io", "team-vision")
    assert_forbidden(bob.get(isvcs("team-nlp", "support-bot")), "bob", "get", "inferenceservices", "ome.io",
                     "team-nlp", "support-bot")
    assert_forbidden(bob.get(f"{OME}/inferenceservices"), "bob", "list", "inferenceservices", "ome.io")


def test_bob_watches_team_vision_but_not_the_whole_cluster(user):
    bob = user("bob-token")
    with bob.stream("GET", isvcs("team-vision"), params={"watch": "true", "timeoutSeconds": "1"}) as resp:
        assert resp.status_code == 200
        events = [json.loads(line) for line in resp.iter_lines() if line]
    added = {e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"}
    assert events[0]["type"] == "ADDED" and {"vl-qwen2-7b", "product-tagger"} <= added
    assert {e["object"]["metadata"]["namespace"] for e in events} == {"team-vision"}
    with bob.stream("GET", f"{OME}/inferenceservices", params={"watch": "true"}) as resp:
        resp.read()
    assert_forbidden(resp, "bob", "watch", "inferenceservices", "ome.io")


def test_carol_reads_everywhere_but_writes_nowhere(user):
    carol = user("carol-token")
    listed = carol.get(f"{OME}/inferenceservices")
    assert listed.status_code == 200
    assert {"team-nlp", "team-vision", "research"} <= {i["metadata"]["namespace"] for i in listed.json()["items"]}
    assert carol.get("/api/v1/namespaces").status_code == 200
    assert_forbidden(carol.post(isvcs("team-nlp"), params={"dryRun": "All"}, json=isvc("x")), "carol", "create",
                     "inferenceservices", "ome.io", "team-nlp")
    assert_forbidden(carol.delete(f"{OME}/clusterbasemodels/bge-m3", params={"dryRun": "All"}), "carol", "delete",
                     "clusterbasemodels", "ome.io", name="bge-m3")
    assert_forbidden(carol.get("/api/v1/namespaces/team-nlp/configmaps"), "carol", "list", "configmaps",
                     ns="team-nlp")


def test_mallory_gets_nothing_beyond_the_catalog(user):
    mallory = user("mallory-token")
    for ns in ("team-nlp", "team-vision", "research"):
        assert_forbidden(mallory.get(isvcs(ns)), "mallory", "list", "inferenceservices", "ome.io", ns)
    assert_forbidden(mallory.get(f"{OME}/inferenceservices"), "mallory", "list", "inferenceservices", "ome.io")
    assert_forbidden(mallory.get("/api/v1/namespaces"), "mallory", "list", "namespaces")
    assert mallory.get(f"{OME}/clusterbasemodels").status_code == 200  # ome-catalog-readers: system:authenticated
    assert_forbidden(mallory.post(f"{OME}/clusterbasemodels", json={}), "mallory", "create", "clusterbasemodels",
                     "ome.io")


# -- SubjectAccessReview -----------------------------------------------------------------------------------
def rb(name: str, ns: str, role: str, group: str) -> str:
    return f'RBAC: allowed by RoleBinding "{name}/{ns}" of ClusterRole "{role}" to Group "{group}"'


def crb(name: str, role: str, subject: str) -> str:
    return f'RBAC: allowed by ClusterRoleBinding "{name}" of ClusterRole "{role}" to {subject}'


ISVC_ATTRS = {"group": "ome.io", "resource": "inferenceservices"}


@pytest.mark.parametrize("who, attributes, reason", [
    (("alice", ["team-nlp-admins"]), {"verb": "create", "namespace": "team-nlp"},
     rb("team-nlp-admins", "team-nlp", "ome-editor", "team-nlp-admins")),
    (("alice", ["team-nlp-admins"]), {"verb": "create", "namespace": "team-vision"}, None),
    (("alice", []), {"verb": "create", "namespace": "team-nlp"}, None),  # a review does not look groups up
    (("bob", ["team-vision-viewers"]), {"verb": "watch", "namespace": "team-vision"},
     rb("team-vision-viewers", "team-vision", "ome-viewer", "team-vision-viewers")),
    (("bob", ["team-vision-viewers"]), {"verb": "get", "namespace": "team-vision", "subresource": "status"},
     rb("team-vision-viewers", "team-vision", "ome-viewer", "team-vision-viewers")),
    (("carol", ["platform-viewers"]), {"verb": "list"},
     crb("platform-viewers", "ome-viewer", 'Group "platform-viewers"')),
    (("carol", ["platform-viewers"]), {"verb": "delete", "namespace": "research"}, None),
    (("carol", ["platform-viewers"]), {"verb": "list", "group": "", "resource": "configmaps"}, None),
    (("mallory", ["system:authenticated"]), {"verb": "list", "resource": "clusterbasemodels"},
     crb("ome-catalog-readers", "ome-catalog-reader", 'Group "system:authenticated"')),
    (("mallory", ["system:authenticated"]), {"verb": "list", "group": "", "resource": "clusterbasemodels"}, None),
    ((GATEWAY_SA, []), {"verb": "impersonate", "group": "", "resource": "users", "name": "bob"},
     crb("ome-gateway", "ome-gateway", 'ServiceAccount "ome-gateway/ome"')),
    (("root", ["system:masters"]), {"verb": "delete", "group": "", "resource": "nodes"}, ""),
])
def test_subject_access_review(user, who, attributes, reason):
    name, groups = who
    spec = {"user": name, "groups": groups, "resourceAttributes": {**ISVC_ATTRS, **attributes}}
    resp = user("gateway-token").post(SAR, json={"apiVersion": "authorization.k8s.io/v1",
                                                 "kind": "SubjectAccessReview", "spec": spec})
    assert resp.status_code == 201, resp.text
    assert resp.json()["spec"] == spec
    expected = {"allowed": reason is not None} | ({"reason": reason} if reason else {})
    assert resp.json()["status"] == expected


def test_non_resource_reviews_and_who_may_ask(user):
    def review(client: httpx.Client, path: str) -> httpx.Response:
        spec = {"user": "mallory", "groups": ["system:authenticated"],
                "nonResourceAttributes": {"verb": "get", "path": path}}
        return client.post(SAR, json={"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                                      "spec": spec})
    gateway = user("gateway-token")
    allowed = review(gateway, "/healthz").json()["status"]  # two bootstrap roles allow it; kube may name either
    assert allowed["allowed"] is True
    assert allowed["reason"] in {crb(r, r, 'Group "system:authenticated"') for r in ("system:discovery",
                                                                                      "system:public-info-viewer")}
    assert review(gateway, "/metrics").json()["status"] == {"allowed": False}
    assert_forbidden(review(user("mallory-token"), "/healthz"), "mallory", "create", "subjectaccessreviews",
                     "authorization.k8s.io")


# -- impersonation -----------------------------------------------------------------------------------------
def test_the_gateway_may_act_as_bob_but_alice_may_not(user):
    as_bob = user("gateway-token", **AS_BOB)
    me = as_bob.post(SELF_REVIEWS, json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert me.json()["status"]["userInfo"] == {"username": "bob", "groups": ["team-vision-viewers",
                                                                               "system:authenticated"]}
    assert as_bob.get(isvcs("team-vision")).status_code == 200
    assert_forbidden(as_bob.get(isvcs("team-nlp")), "bob", "list", "inferenceservices", "ome.io", "team-nlp")
    assert_forbidden(as_bob.post(isvcs("team-vision"), params={"dryRun": "All"}, json=isvc("x")), "bob", "create",
                     "inferenceservices", "ome.io", "team-vision")
    # without Impersonate-Group the user has only system:authenticated: kube does not look groups up
    bare = user("gateway-token", **{"Impersonate-User": "bob"})
    assert_forbidden(bare.get(isvcs("team-vision")), "bob", "list", "inferenceservices", "ome.io", "team-vision")
    groups_only = user("gateway-token", **{"Impersonate-Group": "team-vision-viewers"}).get(isvcs("team-vision"))
    assert groups_only.status_code == 500 and "without impersonating a user" in groups_only.text
    # alice has no impersonate right: her request is refused before it runs as anyone
    alice = user("alice-token", **AS_BOB)
    assert_forbidden(alice.get(isvcs("team-vision")), "alice", "impersonate", "users", name="bob")


# -- bindings change rights at once ------------------------------------------------------------------------
def test_roles_and_bindings_grant_and_revoke_immediately(user, admin, namespace):
    mallory, configmaps = user("mallory-token"), f"/api/v1/namespaces/{namespace}/configmaps"
    assert_forbidden(mallory.get(configmaps), "mallory", "list", "configmaps", ns=namespace)
    role = {"metadata": {"name": "cm-reader"}, "rules": [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]}
    roles = f"{RBAC}/namespaces/{namespace}/roles"
    admin.post(roles, json=role).raise_for_status()
    admin.post(f"{RBAC}/namespaces/{namespace}/rolebindings", json=role_binding(
        "mallory-cm", "Role", "cm-reader", "User", "mallory")).raise_for_status()
    assert mallory.get(configmaps).status_code == 200
    assert_forbidden(mallory.post(configmaps, json={"metadata": {"name": "x"}}), "mallory", "create", "configmaps",
                     ns=namespace)
    assert admin.delete(f"{roles}/cm-reader").status_code == 200  # a binding to a missing role grants nothing
    assert_forbidden(mallory.get(configmaps), "mallory", "list", "configmaps", ns=namespace,
                     reason='RBAC: role.rbac.authorization.k8s.io "cm-reader" not found')
    admin.post(roles, json=role).raise_for_status()
    assert mallory.get(configmaps).status_code == 200
    assert admin.delete(f"{RBAC}/namespaces/{namespace}/rolebindings/mallory-cm").status_code == 200
    assert_forbidden(mallory.get(configmaps), "mallory", "list", "configmaps", ns=namespace)


def test_a_cluster_role_binding_grants_everywhere_until_deleted(user, admin):
    mallory, name = user("mallory-token"), f"rbac-test-{uuid.uuid4().hex[:8]}"
    binding = {**role_binding(name, "ClusterRole", "ome-viewer", "User", "mallory"), "kind": "ClusterRoleBinding"}
    admin.post(f"{RBAC}/clusterrolebindings", json=binding).raise_for_status()
    try:
        assert mallory.get(f"{OME}/inferenceservices").status_code == 200
        assert mallory.get(isvcs("research")).status_code == 200
    finally:
        assert admin.delete(f"{RBAC}/clusterrolebindings/{name}").status_code == 200
    assert_forbidden(mallory.get(isvcs("research")), "mallory", "list", "inferenceservices", "ome.io", "research")


def test_deleting_a_namespace_deletes_the_rights_granted_in_it(user, admin):
    name, mallory = f"rbac-{uuid.uuid4().hex[:8]}", user("mallory-token")
    try:
        admin.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
        admin.post(f"{RBAC}/namespaces/{name}/rolebindings", json=role_binding(
            "view", "ClusterRole", "ome-viewer", "User", "mallory")).raise_for_status()
        assert mallory.get(isvcs(name)).status_code == 200
        assert admin.delete(f"/api/v1/namespaces/{name}").status_code == 200
        admin.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
        # the same name again: the old namespace's binding went with it
        assert_forbidden(mallory.get(isvcs(name)), "mallory", "list", "inferenceservices", "ome.io", name)
    finally:
        assert admin.delete(f"/api/v1/namespaces/{name}").status_code in (200, 404)


# -- kubectl -----------------------------------------------------------------------------------------------
def kubectl_as(devcluster, token: str, *args: str) -> subprocess.CompletedProcess:
    """kubectl with a copy of the admin kubeconfig whose user carries `token`."""
    config = yaml.safe_load(devcluster.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = token
    path = devcluster.kubeconfig.parent / f"kubeconfig-{token}"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "KUBECONFIG": str(path), "HOME": str(path.parent)}
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=30, env=env)


@needs_kubectl
@pytest.mark.parametrize("token, verb, ns, answer", [
    ("alice-token", "create", "team-nlp", "yes"), ("alice-token", "create", "team-vision", "no"),
    ("bob-token", "list", "team-vision", "yes"), ("bob-token", "create", "team-vision", "no"),
    ("carol-token", "watch", "research", "yes"), ("carol-token", "delete", "research", "no"),
    ("mallory-token", "get", "team-nlp", "no"), ("devcluster-admin", "delete", "team-nlp", "yes"),
])
def test_kubectl_auth_can_i(devcluster, token, verb, ns, answer):
    # kubectl sends its SelfSubjectAccessReview as protobuf; exit status 0 means yes, 1 means no
    out = kubectl_as(devcluster, token, "auth", "can-i", verb, "inferenceservices.ome.io", "-n", ns)
    assert (out.stdout.strip(), out.returncode) == (answer, 0 if answer == "yes" else 1), out.stderr


@needs_kubectl
def test_kubectl_get_as_bob(devcluster):
    out = kubectl_as(devcluster, "bob-token", "get", "isvc", "-n", "team-vision", "-o", "name")
    assert out.returncode == 0, out.stderr
    assert "inferenceservice.ome.io/product-tagger" in out.stdout.split()
    denied = kubectl_as(devcluster, "bob-token", "get", "isvc", "-n", "team-nlp")
    assert denied.returncode == 1
    assert denied.stderr.strip() == ('Error from server (Forbidden): inferenceservices.ome.io is forbidden: User '
                                     '"bob" cannot list resource "inferenceservices" in API group "ome.io" in the '
                                     'namespace "team-nlp"')
    whoami = kubectl_as(devcluster, "gateway-token", "auth", "whoami", "--as", "bob", "--as-group",
                        "team-vision-viewers", "-o", "json")
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == "bob", whoami.stderr
