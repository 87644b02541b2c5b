"""GraphiQL at /graphql, opening on a document that shows the linked graph, with the saved example operations of
web/operations/ as tabs (the first file is the default document)."""
from __future__ import annotations

import json
import logging
from importlib import resources

log = logging.getLogger("ome_gateway")
DEFAULT_START = "const EXAMPLE_QUERY = `"
PROPS = "fetcher: fetcher,"


def saved_operations() -> list[str]:
    """The example documents, in file name order."""
    folder = resources.files(__package__).joinpath("operations")
    return [f.read_text() for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".graphql")]


def _script_literal(value) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def with_examples(page: str, operations: list[str]) -> str:
    """Strawberry's GraphiQL page with our default document and example tabs; the page unchanged (and a warning)
    when its layout is not the one this was written for."""
    start = page.find(DEFAULT_START)
    end = page.find("`;", start + len(DEFAULT_START))
    if start < 0 or end < 0 or page.count(PROPS) != 1 or not operations:
        log.warning("GraphiQL: unexpected page layout, serving it without the example operations")
        return page
    tabs = [{"query": operation} for operation in operations]
    page = f"{page[:start]}const EXAMPLE_QUERY = {_script_literal(operations[0])};{page[end + 2:]}"
    return page.replace(PROPS, f"{PROPS} defaultTabs: {_script_literal(tabs)},")
