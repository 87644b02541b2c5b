"""The committed SDL (schema.graphql) must match what the code exports."""
from __future__ import annotations

import subprocess
import sys

from support import ROOT


def test_committed_sdl_matches_the_code():
    exported = subprocess.run([sys.executable, "-m", "ome_gateway.cli", "export-schema"], capture_output=True,
                              text=True, check=True).stdout
    committed = (ROOT / "schema.graphql").read_text()
    assert exported == committed, "schema.graphql is stale: run `ome-gateway export-schema > schema.graphql`"
