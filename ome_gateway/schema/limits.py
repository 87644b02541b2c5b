"""Query limits, read from the request's settings: tokens, depth, aliases, an estimated cost, introspection.

The cost estimate multiplies each field by the page sizes above it: a connection counts as `first`/`last`
(or the maximum page size when neither is given), any other list as `limit` or LIST_GUESS items."""
from __future__ import annotations

from graphql import (FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, get_named_type,
                     get_nullable_type, is_list_type)
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import SchemaExtension

from .. import metrics

LIST_GUESS = 10
PAGE_ARGS = ("first", "last", "limit")


TOKENS_ABORTED = "tokens. Parsing aborted."  # graphql-core's words when parse() stops at max_tokens


def _error(code: str, message: str) -> GraphQLError:
    """A limit's rejection, counted by its code."""
    metrics.LIMIT_REJECTIONS.labels(code).inc()
    return GraphQLError(message, extensions={"code": code})


def _cost_rule(settings, variables: dict):
    class Cost(ValidationRule):
        """Depth, aliases and estimated cost of the operations in the document."""

        def enter_operation_definition(self, node, *_):
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type,
                    "subscription": schema.subscription_type}[node.operation.value]
            fragments = {f.name.value: f for f in self.context.document.definitions
                         if f.kind == "fragment_definition"}
            stats = {"aliases": 0, "depth": 0}
            cost = self._cost(node.selection_set, root, 1, 1, fragments, stats, frozenset())
            if stats["depth"] > settings.max_depth:
                self.report_error(_error("QUERY_TOO_DEEP", f"query depth {stats['depth']} exceeds the limit of "
                                                           f"{settings.max_depth}"))
            if stats["aliases"] > settings.max_aliases:
                self.report_error(_error("TOO_MANY_ALIASES", f"{stats['aliases']} aliases exceed the limit of "
                                                             f"{settings.max_aliases}"))
            if cost > settings.max_complexity:
                self.report_error(_error("QUERY_TOO_COMPLEX", f"estimated cost {cost} exceeds the limit of "
                                                              f"{settings.max_complexity}"))

        def _size(self, field: FieldNode, field_type, parent) -> int:
            """How many items one occurrence of this field stands for."""
            for arg in field.arguments or ():
                if arg.name.value in PAGE_ARGS:
                    value = arg.value
                    raw = variables.get(value.name.value) if value.kind == "variable" else getattr(value, "value", None)
                    try:
                        return max(1, min(int(raw), settings.max_page_size))
                    except (TypeError, ValueError):
                        return settings.max_page_size
            named = get_named_type(field_type)
            if named is not None and named.name.endswith("Connection"):
                return settings.max_page_size
            if is_list_type(get_nullable_type(field_type)):
                return 1 if parent.name.endswith("Connection") else LIST_GUESS
            return 1

        def _cost(self, selection_set, parent, multiplier, depth, fragments, stats, seen) -> int:
            if selection_set is None or parent is None:
                return 0
            stats["depth"] = max(stats["depth"], depth)
            total = 0
            for sel in selection_set.selections:
                if isinstance(sel, FieldNode):
                    stats["aliases"] += sel.alias is not None
                    definition = getattr(parent, "fields", {}).get(sel.name.value)
                    if definition is None:
                        continue  # unknown fields are reported by the standard rules
                    inner = multiplier * self._size(sel, definition.type, parent)
                    total += multiplier + self._cost(sel.selection_set, get_named_type(definition.type), inner,
                                                     depth + 1, fragments, stats, seen)
                elif isinstance(sel, InlineFragmentNode):
                    typed = self.context.schema.get_type(sel.type_condition.name.value) if sel.type_condition \
                        else parent
                    total += self._cost(sel.selection_set, typed, multiplier, depth, fragments, stats, seen)
                elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                    fragment = fragments.get(sel.name.value)
                    if fragment is not None:
                        typed = self.context.schema.get_type(fragment.type_condition.name.value)
                        total += self._cost(fragment.selection_set, typed, multiplier, depth, fragments, stats,
                                            seen | {sel.name.value})
            return total
    return Cost


class Limits(SchemaExtension):
    """Applies the limits of the settings in the request's context."""

    def _settings(self):
        return getattr(self.execution_context.context, "settings", None)

    def on_parse(self):
        """The parser itself stops past max_tokens (so a huge document costs little); its syntax error becomes
        TOO_MANY_TOKENS."""
        settings, context = self._settings(), self.execution_context
        if settings is None:
            yield
            return
        context.parse_options = {**context.parse_options, "max_tokens": settings.max_tokens}
        yield
        for error in context.pre_execution_errors or ():  # changed in place: strawberry answers with these objects
            if TOKENS_ABORTED in error.message:
                refusal = _error("TOO_MANY_TOKENS", f"the document has more than {settings.max_tokens} tokens")
                error.message, error.extensions = refusal.message, {**(error.extensions or {}), **refusal.extensions}

    def on_validate(self):
        settings = self._settings()
        if settings is not None:
            rules = [_cost_rule(settings, self.execution_context.variables or {})]
            if not settings.introspection:
                rules.append(NoSchemaIntrospectionCustomRule)
            self.execution_context.validation_rules = (*self.execution_context.validation_rules, *rules)
        yield
