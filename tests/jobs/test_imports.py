"""Hugging Face imports end to end: importModel over GraphQL, workers in the gateway, the offline hub, a real Redis
and the dev cluster, with progress followed over a websocket subscription."""
from __future__ import annotations

import base64
import uuid

import pytest

from clients import SubscriptionError, take, transport_ws
from ome_gateway.devcluster.kubeconfig import ADMIN_TOKEN
from support import OME, Gateway, wait_for

QWEN = "acme-llm/qwen2-7b-instruct"
GATED = "acme-gated/llama-3-70b-gated"
JOB = "id state step percent message attempts worker name namespace scope error { code message hint }"
IMPORT = f"mutation($input: ImportModelInput!) {{ importModel(input: $input) {{ {JOB} }} }}"
PROGRESS = "subscription($id: ID!, $after: String) { importJobProgress(id: $id, after: $after) " \
           "{ id state step percent message worker code } }"


@pytest.fixture(scope="module")
def hub(hub_server):
    hub_server.reset()
    yield hub_server
    hub_server.reset()


@pytest.fixture(scope="module")
def gw(devcluster, hub, redis_url):
    gw = Gateway(devcluster.kubeconfig, env={
        "REDIS_URL": f"{redis_url}/3",  # a database of its own: no other gateway's workers take these jobs
        "HF_ENDPOINT": hub.url, "OME_GATEWAY_IMPORT_WORKERS": "2", "OME_GATEWAY_IMPORT_HUB_ATTEMPTS": "3",
        "OME_GATEWAY_RATE_LIMIT": "0", "OME_GATEWAY_IMPORT_PAUSE": "detect=0.3"})
    yield gw
    gw.stop()


def name() -> str:
    return f"imp-{uuid.uuid4().hex[:8]}"


def submit(gw: Gateway, **fields) -> dict:
    return gw.data(IMPORT, {"input": fields})["importModel"]


def job(gw: Gateway, job_id: str) -> dict:
    return gw.data(f"query($id: ID!) {{ importJob(id: $id) {{ {JOB} events {{ step message code }} }} }}",
                   {"id": job_id})["importJob"]


def ended(gw: Gateway, job_id: str, timeout: float = 20) -> dict:
    return wait_for(lambda: (j := job(gw, job_id))["state"] in ("COMPLETED", "FAILED", "CANCELLED") and j, timeout)


def error_of(answer: dict) -> tuple[str, dict]:
    assert answer.get("errors"), answer
    extensions = answer["errors"][0]["extensions"]
    return extensions["code"], extensions


async def test_import_reports_each_step_live_until_the_model_is_ready(gw, devcluster):
    queued = submit(gw, repoId=QWEN, name=(target := name()))
    assert (queued["state"], queued["scope"], queued["name"], queued["percent"]) == ("QUEUED", "CLUSTER", target, 0)
    stream = transport_ws(gw.url, PROGRESS, {"id": queued["id"]})
    events = []
    async for event in stream:
        events.append(event["importJobProgress"])
    steps = [e["step"] for e in events]
    assert steps[:6] == ["queued", "claimed", "resolve", "metadata", "detect", "create"], steps
    assert steps[-1] == "completed" and steps.count("completed") == 1
    assert "wait" in steps and events[-1]["state"] == "COMPLETED" and events[-1]["percent"] == 100
    percents = [e["percent"] for e in events if e["step"] != "claimed"]
    assert percents == sorted(percents)  # progress never goes back
    assert "Qwen2ForCausalLM" in events[steps.index("detect")]["message"]
    assert len({e["id"] for e in events}) == len(events)

    model = devcluster.http.get(f"{OME}/clusterbasemodels/{target}").json()
    assert model["status"]["state"] == "Ready"
    assert model["metadata"]["annotations"]["ome-gateway.io/import-job"] == queued["id"]
    assert model["metadata"]["annotations"]["ome-gateway.io/source"] == f"hf://{QWEN}"
    assert model["spec"]["modelFormat"]["name"] == "safetensors"
    assert model["spec"]["modelArchitecture"] == "Qwen2ForCausalLM"
    linked = gw.data("query($id: ID!) { importJob(id: $id) { state model { name state } } }", {"id": queued["id"]})
    assert linked["importJob"] == {"state": "COMPLETED", "model": {"name": target, "state": "Ready"}}

    # a late subscriber gets the whole history again, or what followed a given event, then the stream ends
    replay = [e["importJobProgress"] async for e in transport_ws(gw.url, PROGRESS, {"id": queued["id"]})]
    assert replay == events
    after = events[3]["id"]
    rest = [e["importJobProgress"] async for e in transport_ws(gw.url, PROGRESS, {"id": queued["id"],
                                                                                "after": after})]
    assert rest == events[4:]


def test_namespaced_import_creates_a_base_model_with_its_token_secret(gw, devcluster, ns):
    token = base64.b64encode(b"hf_granted_token").decode()
    devcluster.http.post(f"/api/v1/namespaces/{ns}/secrets", json={
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hf"}, "data": {"hf-token": token}}
    ).raise_for_status()
    queued = submit(gw, repoId=GATED, scope="NAMESPACE", namespace=ns, storagePath="/raid/models/gated",
                    tokenSecret={"name": "hf", "key": "hf-token"})
    assert (queued["name"], queued["namespace"]) == ("llama-3-70b-gated", ns)
    done = ended(gw, queued["id"])
    assert done["state"] == "COMPLETED", done
    model = devcluster.http.get(f"{OME}/namespaces/{ns}/basemodels/llama-3-70b-gated").json()
    assert model["spec"]["storage"]["path"] == "/raid/models/gated"
    assert model["spec"]["storage"]["key"] == "hf"
    listed = gw.data('{ importJobs(state: COMPLETED) { id tokenSecret { name key namespace } } }')["importJobs"]
    assert {"id": queued["id"], "tokenSecret": {"name": "hf", "key": "hf-token", "namespace": None}} in listed


@pytest.mark.parametrize("repo, code, hint", [
    ("acme-llm/no-such-model", "NOT_FOUND", None),
    (GATED, "FORBIDDEN", "tokenSecret"),  # gated, and no token given
])
def test_hub_refusals_fail_the_job_with_a_code_and_create_nothing(gw, devcluster, repo, code, hint):
    target = name()
    done = ended(gw, submit(gw, repoId=repo, name=target)["id"])
    assert done["state"] == "FAILED" and done["error"]["code"] == code, done
    assert hint is None or hint in done["error"]["hint"]
    assert done["events"][-1] == {"step": "failed", "code": code, "message": done["error"]["message"]}
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{target}").status_code == 404


def test_a_missing_token_secret_fails_with_a_hint(gw, ns):
    done = ended(gw, submit(gw, repoId=GATED, scope="NAMESPACE", namespace=ns, tokenSecret={"name": "absent"})["id"])
    assert done["error"]["code"] == "NOT_FOUND" and "absent" in done["error"]["message"]
    assert "token" in done["error"]["hint"]


def test_an_existing_model_is_refused_unless_update_is_asked(gw, devcluster):
    target = name()
    assert ended(gw, submit(gw, repoId=QWEN, name=target)["id"])["state"] == "COMPLETED"
    before = devcluster.http.get(f"{OME}/clusterbasemodels/{target}").json()
    again = ended(gw, submit(gw, repoId="acme-llm/llama-3-8b-instruct", name=target)["id"])
    assert again["error"]["code"] == "ALREADY_EXISTS" and "update" in again["error"]["hint"]
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{target}").json()["spec"] == before["spec"]
    updated = ended(gw, submit(gw, repoId="acme-llm/llama-3-8b-instruct", name=target, update=True)["id"])
    assert updated["state"] == "COMPLETED", updated
    assert any(e["message"].startswith("updated ClusterBaseModel") for e in updated["events"])
    after = devcluster.http.get(f"{OME}/clusterbasemodels/{target}").json()
    assert after["spec"]["modelArchitecture"] == "LlamaForCausalLM"


def test_hub_errors_are_retried_with_backoff(gw, devcluster, hub):
    hub.faults(fail_next=4)  # more than one detection's own retries (3): the job backs off and detects again
    done = ended(gw, submit(gw, repoId="acme-vision/llava-1.5-7b", name=(target := name()))["id"])  # not cached
    assert done["state"] == "COMPLETED", done
    retries = [e["message"] for e in done["events"] if "unavailable" in e["message"]]
    assert retries and "attempt 2 of 3" in retries[0], done["events"]
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{target}").status_code == 200


def test_a_hub_that_stays_down_fails_the_job_with_the_reason(gw, hub):
    hub.faults(error_rate=1.0)
    try:  # a repository no other test detects: not in the metadata cache
        done = ended(gw, submit(gw, repoId="acme-llm/mixtral-8x7b", name=name())["id"])
    finally:
        hub.reset()
    assert done["error"]["code"] == "UPSTREAM_UNAVAILABLE" and "after 3 attempts" in done["error"]["message"]


def test_cancel_stops_the_job_and_retry_runs_it_again(gw, devcluster):
    target = name()
    queued = submit(gw, repoId=QWEN, name=target)
    wait_for(lambda: job(gw, queued["id"])["step"] == "detect")  # paused there for a moment by the test settings
    cancel = "mutation($id: ID!) { cancelImportJob(id: $id) { state } }"
    assert gw.data(cancel, {"id": queued["id"]})["cancelImportJob"]["state"] == "CANCELLED"
    code, _ = error_of(gw.query(cancel, {"id": queued["id"]}))
    assert code == "CONFLICT"
    assert devcluster.http.get(f"{OME}/clusterbasemodels/{target}").status_code == 404  # stopped before create
    retry = "mutation($id: ID!) { retryImportJob(id: $id) { state } }"
    assert gw.data(retry, {"id": queued["id"]})["retryImportJob"]["state"] in ("QUEUED", "RUNNING")
    done = ended(gw, queued["id"])
    assert done["state"] == "COMPLETED" and done["attempts"] == 2
    steps = [e["step"] for e in done["events"]]
    assert steps.count("cancelled") == 1 and steps.count("completed") == 1
    assert error_of(gw.query(retry, {"id": queued["id"]}))[0] == "CONFLICT"


@pytest.mark.parametrize("fields, field", [
    ({"repoId": "no slash at all/x/y"}, "repoId"),
    ({"repoId": "../etc"}, "repoId"),
    ({"repoId": QWEN, "name": "Not_A_DNS_Name"}, "name"),
    ({"repoId": QWEN, "name": "x" * 64}, "name"),
    ({"repoId": QWEN, "namespace": "team-nlp"}, "namespace"),  # scope CLUSTER takes no namespace
    ({"repoId": QWEN, "scope": "NAMESPACE"}, "namespace"),
    ({"repoId": QWEN, "storagePath": "relative/path"}, "storagePath"),
    ({"repoId": QWEN, "revision": "has space"}, "revision"),
    ({"repoId": QWEN, "tokenSecret": {"name": "hf"}}, "tokenSecret.namespace"),  # cluster model: say where
])
def test_bad_input_is_refused_before_anything_is_queued(gw, fields, field):
    count = len(gw.data("{ importJobs(limit: 1000) { id } }")["importJobs"])
    code, extensions = error_of(gw.query(IMPORT, {"input": fields}))
    assert code == "INVALID_INPUT" and extensions["fields"][0]["field"] == field, extensions
    assert len(gw.data("{ importJobs(limit: 1000) { id } }")["importJobs"]) == count


def test_unknown_jobs_are_null_or_not_found(gw):
    assert gw.data('{ a: importJob(id: "0123abcd") { id } b: importJob(id: "not hex!") { id } }') == \
        {"a": None, "b": None}
    code, _ = error_of(gw.query('mutation { cancelImportJob(id: "0123abcd") { id } }'))
    assert code == "NOT_FOUND"


async def test_progress_of_an_unknown_job_ends_with_not_found(gw):
    with pytest.raises(SubscriptionError) as caught:
        await take(transport_ws(gw.url, PROGRESS, {"id": "feedbeef"}), 1)
    assert caught.value.code == "NOT_FOUND"


def test_detection_is_cached_and_costs_at_most_three_hub_requests(gw, hub):
    query = '{ huggingFaceModel(id: "acme-embed/bert-base-embed") { cached hubRequests architecture capabilities ' \
            'modelSpec compatibleRuntimes { runtime { name } score } } }'
    hub.reset()
    first = gw.data(query)["huggingFaceModel"]
    made = sum(hub.counts().values())
    assert not first["cached"] and first["hubRequests"] == made and made <= 3
    assert "TEXT_TO_EMBEDDING" in first["capabilities"] and first["modelSpec"]["modelFormat"]["name"] == "safetensors"
    assert [m["runtime"]["name"] for m in first["compatibleRuntimes"]] == ["srt-embedding"]
    second = gw.data(query)["huggingFaceModel"]
    assert second["cached"] and second["hubRequests"] == 0 and sum(hub.counts().values()) == made
    print(f"hub requests per detection: {made} (then 0 from the Redis cache)")


def test_without_redis_imports_are_unavailable_and_detection_still_works(devcluster, hub):
    gw = Gateway(devcluster.kubeconfig, env={"HF_ENDPOINT": hub.url, "REDIS_URL": ""})
    try:
        code, extensions = error_of(gw.query(IMPORT, {"input": {"repoId": QWEN}}))
        assert code == "UPSTREAM_UNAVAILABLE" and "REDIS_URL" in gw.query(IMPORT, {"input": {"repoId": QWEN}})[
            "errors"][0]["message"]
        query = f'{{ huggingFaceModel(id: "{QWEN}") {{ cached architecture }} }}'
        assert gw.data(query)["huggingFaceModel"] == {"cached": False, "architecture": "Qwen2ForCausalLM"}
        assert gw.data(query)["huggingFaceModel"]["cached"]  # kept in the process
    finally:
        gw.stop()


def test_callers_import_and_see_only_what_their_rights_allow(devcluster, hub, redis_url):
    def can(user: str, group: str | None, verb: str) -> bool:
        headers = [("Impersonate-User", user)] + ([("Impersonate-Group", group)] if group else [])
        path = f"{OME}/namespaces/team-nlp/basemodels" + ("" if verb == "create" else "/x")
        response = devcluster.http.request("POST" if verb == "create" else "GET", path, headers=headers,
                                           params={"dryRun": "All"} if verb == "create" else None,
                                           json={"apiVersion": "ome.io/v1beta1", "kind": "BaseModel",
                                                 "metadata": {"name": "x"}, "spec": {}} if verb == "create" else None)
        return response.status_code not in (401, 403)

    def secrets_readable(user: str, group: str, namespace: str) -> bool:
        headers = [("Impersonate-User", user), ("Impersonate-Group", group)]
        return devcluster.http.get(f"/api/v1/namespaces/{namespace}/secrets", headers=headers).status_code == 200

    assert can("alice", "team-nlp-admins", "create") and not can("mallory", None, "get")  # the seed's rights
    gw = Gateway(devcluster.kubeconfig, env={
        "REDIS_URL": f"{redis_url}/5", "HF_ENDPOINT": hub.url, "OME_GATEWAY_AUTH": "bearer",
        "OME_GATEWAY_RATE_LIMIT": "0", "OME_GATEWAY_IMPORT_WORKERS": "1"})

    def as_(token: str, query: str, variables: dict | None = None) -> dict:
        return gw.http.post("/graphql", json={"query": query, "variables": variables or {}},
                            headers={"Authorization": f"Bearer {token}"}).json()
    try:
        fields = {"repoId": QWEN, "scope": "NAMESPACE", "namespace": "team-nlp", "name": name()}
        mine = as_("alice-token", IMPORT, {"input": fields})["data"]["importModel"]
        assert error_of(as_("mallory-token", IMPORT, {"input": {**fields, "name": name()}}))[0] == "FORBIDDEN"
        one = "query($id: ID!) { importJob(id: $id) { id } }"
        assert as_("alice-token", one, {"id": mine["id"]})["data"]["importJob"] == {"id": mine["id"]}
        assert as_("mallory-token", one, {"id": mine["id"]})["data"]["importJob"] is None
        assert as_("mallory-token", "{ importJobs { id } }")["data"]["importJobs"] == []
        # the worker reads the token Secret with the gateway's rights: the caller must be able to read it
        assert not secrets_readable("alice", "team-nlp-admins", "team-nlp")  # she edits models, not Secrets
        with_token = {**fields, "name": name(), "tokenSecret": {"name": "hf"}}
        assert error_of(as_("alice-token", IMPORT, {"input": with_token}))[0] == "FORBIDDEN"
        assert as_(ADMIN_TOKEN, IMPORT, {"input": with_token})["data"]["importModel"]["state"] in ("QUEUED", "RUNNING")
        cancel = "mutation($id: ID!) { cancelImportJob(id: $id) { id } }"
        assert error_of(as_("mallory-token", cancel, {"id": mine["id"]}))[0] == "NOT_FOUND"
        assert error_of(as_("nobody", "{ importJobs { id } }"))[0] == "UNAUTHENTICATED"
    finally:
        gw.stop()


def test_job_states_are_counted_in_the_metrics(gw):
    def count(state: str) -> float:
        line = next((l for l in gw.http.get("/metrics").text.splitlines()
                     if l.startswith(f'ome_gateway_import_jobs_total{{state="{state}"}}')), None)
        return float(line.split()[-1]) if line else 0.0

    before = {state: count(state) for state in ("queued", "running", "completed")}
    ended(gw, submit(gw, repoId=QWEN, name=name())["id"])
    assert {state: count(state) - before[state] for state in before} == {"queued": 1, "running": 1, "completed": 1}


def test_waiting_for_ready_reads_the_gateways_watch_not_the_api_server(gw, devcluster):
    devcluster.reset_requests()
    done = ended(gw, submit(gw, repoId=QWEN, name=name())["id"])
    assert done["state"] == "COMPLETED" and sum(e["step"] == "wait" for e in done["events"]) >= 2
    gets = devcluster.requests()["requests"].get("get clusterbasemodels", 0)
    assert gets == 2  # whether it exists, before and at the create step; the wait polls the informer
