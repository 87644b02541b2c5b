"""The operation a request runs, for the gateway's own routing (is it a subscription, can it be shared), parsed
with the same token limit as execution so that a huge document is refused cheaply everywhere."""
from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, OperationType, get_operation_ast, parse


@lru_cache(maxsize=512)
def operation(query: str, operation_name: str | None, max_tokens: int) -> OperationDefinitionNode | None:
    """None when the document does not parse, is over max_tokens, or has no such operation."""
    try:
        return get_operation_ast(parse(query, no_location=True, max_tokens=max_tokens), operation_name)
    except GraphQLError:
        return None


def is_subscription(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    found = operation(query, operation_name, max_tokens) if isinstance(query, str) else None
    return found is not None and found.operation == OperationType.SUBSCRIPTION
