"""GraphiQL opens on the linked-graph document and offers the saved example operations as tabs; each example is
valid against the schema and the ones that need only the cluster run cleanly on the demo catalog."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graphql import OperationType, build_schema, get_operation_ast, parse, validate

from clients import take, transport_ws

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = sorted((ROOT / "ome_gateway" / "web" / "operations").glob("*.graphql"))
HUB = ("huggingFaceModel", "importModel", "importJobProgress")  # need a hub and Redis: checked, not run here


def page(gateway) -> str:
    response = gateway.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text


def test_graphiql_opens_on_the_linked_graph_with_the_examples_as_tabs(gateway):
    html = page(gateway)
    default = json.loads(re.search(r"const EXAMPLE_QUERY = (\".*?\");\n", html).group(1))
    assert default == OPERATIONS[0].read_text() and "query LinkedGraph" in default
    tabs = json.loads(re.search(r"defaultTabs: (\[.*?\]),", html).group(1))
    assert [t["query"] for t in tabs] == [p.read_text() for p in OPERATIONS] and len(tabs) >= 6
    assert "</script" not in "".join(t["query"] for t in tabs)


@pytest.mark.parametrize("path", OPERATIONS, ids=[p.stem for p in OPERATIONS])
async def test_each_example_is_valid_and_runs(gateway, path):
    schema = build_schema((ROOT / "schema.graphql").read_text())
    document = parse(path.read_text())
    assert validate(schema, document) == []
    if any(field in path.read_text() for field in HUB):
        return
    if get_operation_ast(document).operation == OperationType.SUBSCRIPTION:
        first = (await take(transport_ws(gateway.url, path.read_text()), 1))[0]
        assert all(value is not None for value in first.values())
        return
    data = gateway.data(path.read_text())
    assert data and all(value is not None for value in data.values())
