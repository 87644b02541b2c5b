"""Import workers as separate processes (`ome-gateway worker`): a worker killed mid-job loses nothing; another
takes its jobs over and each job completes exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

import pytest
import redis

from support import OME, Gateway, wait_for

IMPORT = "mutation($input: ImportModelInput!) { importModel(input: $input) { id } }"
JOBS = "{ importJobs(limit: 100) { id state worker attempts name events { step worker } } }"


class Worker:
    def __init__(self, kubeconfig, env: dict) -> None:
        self.out = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "ome_gateway.cli", "worker", "--kubeconfig",
                                      str(kubeconfig), "--count", "1"], env={**os.environ, **env},
                                     stdout=self.out, stderr=subprocess.STDOUT, text=True)
        self.prefix = f"-{self.proc.pid}-"  # worker names are host-pid-n

    def output(self) -> str:
        self.out.seek(0)
        return self.out.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def setup(devcluster, hub_server, redis_url):
    url = f"{redis_url}/4"  # a database of its own: only these workers take these jobs
    redis.Redis.from_url(url).flushdb()
    env = {"REDIS_URL": url, "HF_ENDPOINT": hub_server.reset(), "OME_GATEWAY_IMPORT_VISIBILITY": "2",
           "OME_GATEWAY_IMPORT_PAUSE": "detect=1.5"}
    gw = Gateway(devcluster.kubeconfig, env={**env, "OME_GATEWAY_IMPORT_WORKERS": "0", "OME_GATEWAY_RATE_LIMIT": "0"})
    workers = [Worker(devcluster.kubeconfig, env) for _ in range(2)]
    wait_for(lambda: all("import workers running" in w.output() for w in workers), 20)
    yield gw, workers, url
    for worker in workers:
        worker.stop()
    gw.stop()


def test_a_killed_worker_loses_no_job_and_none_is_done_twice(setup, devcluster):
    gw, (victim, survivor), url = setup
    repos = ["acme-llm/qwen2-7b-instruct", "acme-llm/llama-3-8b-instruct", "acme-quant/qwen2-7b-gptq",
             "acme-gguf/llama-3-8b-gguf"]
    names = [f"kill-{os.getpid()}-{i}" for i in range(len(repos))]
    ids = [gw.data(IMPORT, {"input": {"repoId": repo, "name": name}})["importModel"]["id"]
           for repo, name in zip(repos, names)]

    def victims_job():
        running = [j for j in gw.data(JOBS)["importJobs"] if j["state"] == "RUNNING"]
        return next((j["id"] for j in running if victim.prefix in (j["worker"] or "")), None)

    taken = wait_for(victims_job, 20)
    victim.proc.send_signal(signal.SIGKILL)  # mid-job: paused in its detect step
    victim.proc.wait(10)

    def all_ended():
        jobs = {j["id"]: j for j in gw.data(JOBS)["importJobs"] if j["id"] in ids}
        return jobs if all(j["state"] in ("COMPLETED", "FAILED") for j in jobs.values()) else None

    jobs = wait_for(all_ended, 60, interval=0.2)
    assert all(j["state"] == "COMPLETED" for j in jobs.values()), jobs
    for job in jobs.values():
        steps = [e["step"] for e in job["events"]]
        assert steps.count("completed") == 1 and steps.count("create") >= 1, steps
    lost = jobs[taken]
    claims = [e["worker"] for e in lost["events"] if e["step"] == "claimed"]
    assert lost["attempts"] == 2 and victim.prefix in claims[0] and survivor.prefix in claims[1], lost
    assert survivor.prefix in lost["worker"]

    for job_id, name in zip(ids, names):  # one model per job, made by that job
        model = devcluster.http.get(f"{OME}/clusterbasemodels/{name}").json()
        assert model["metadata"]["annotations"]["ome-gateway.io/import-job"] == job_id
        assert model["status"]["state"] == "Ready"
    pending = redis.Redis.from_url(url).xpending("ome-gateway:jobs:queue", "workers")
    assert pending["pending"] == 0  # every delivery acknowledged
    for name in names:
        devcluster.http.delete(f"{OME}/clusterbasemodels/{name}")
