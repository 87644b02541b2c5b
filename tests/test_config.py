"""Configuration from the environment and a YAML file: checked at start, with messages that name the setting."""
from __future__ import annotations

import subprocess
import sys

import pytest

from support import Gateway


def serve(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ome_gateway.cli", "serve", "--port", "0"],
                          env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("content, message", [
    ("OME_GATEWAY_MAX_DEPTH: 0\n", "OME_GATEWAY_MAX_DEPTH must be between 1 and 100, got 0"),
    ("OME_GATEWAY_MAX_DEPT: 3\n", "unknown settings OME_GATEWAY_MAX_DEPT"),
    ("OME_GATEWAY_CACHE: maybe\n", "OME_GATEWAY_CACHE must be true or false"),
    ("- a list\n", "must be a mapping of setting names to values"),
    ("key: [unclosed\n", "is not valid YAML"),
    ("OME_GATEWAY_LIMITS: {depth: 3}\n", "must be a string, number, boolean or list"),
])
def test_bad_files_stop_the_start(tmp_path, content, message):
    path = tmp_path / "gateway.yaml"
    path.write_text(content)
    done = serve({"OME_GATEWAY_CONFIG": str(path)})
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_a_missing_file_is_named(tmp_path):
    done = serve({"OME_GATEWAY_CONFIG": str(tmp_path / "absent.yaml")})
    assert done.returncode == 2 and "cannot read" in done.stderr and "absent.yaml" in done.stderr


def test_the_file_configures_and_the_environment_wins(devcluster, tmp_path):
    path = tmp_path / "gateway.yaml"
    path.write_text("OME_GATEWAY_MAX_DEPTH: 3\nOME_GATEWAY_MAX_ALIASES: 1\nOME_GATEWAY_INTROSPECTION: false\n")
    gw = Gateway(devcluster.kubeconfig, env={"OME_GATEWAY_CONFIG": str(path), "OME_GATEWAY_MAX_ALIASES": "5"})
    try:
        deep = gw.query("{ inferenceServices { edges { node { model { inferenceServices { totalCount } } } } } }")
        assert deep["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        assert "errors" not in gw.query("{ a: namespaces { name } b: namespaces { name } }")  # env: 5 aliases
        assert gw.query("{ __schema { types { name } } }")["errors"]
    finally:
        gw.stop()
