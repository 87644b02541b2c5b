"""Label and field selectors with the grammar and semantics of Kubernetes list/watch queries."""
from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_TOKEN = re.compile(r"\s*(?:(!=|==|[!=(),])|([^\s!=(),]+))")
_FIELD_TERM = re.compile(r"(?:\\.?|[^\\,])+", re.S)  # non-empty terms between unescaped commas
_FIELD_VALUE = re.compile(r"(?:\\[\\,=!]|[^\\,=])*", re.S)


class SelectorError(ValueError):
    """A selector that does not parse; str(e) is a message for a 400 BadRequest Status."""


def _check_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if "/" in key and not (prefix and len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise SelectorError(f'invalid label key "{key}": the prefix must be a lowercase DNS subdomain')
    if not (len(name) <= 63 and _NAME.fullmatch(name)):
        raise SelectorError(f'invalid label key "{key}": the name must be at most 63 characters, alphanumeric, '
                            "'-', '_' or '.', starting and ending with an alphanumeric character")
    return key


def _check_value(value: str) -> str:
    if value and not (len(value) <= 63 and _NAME.fullmatch(value)):
        raise SelectorError(f'invalid label value "{value}": it must be empty or at most 63 characters, '
                            "alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character")
    return value


@dataclass(frozen=True)
class Requirement:
    """One term: op is 'in', 'notin', 'exists' or '!' (does not exist); = and != are one-value in/notin."""
    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!":
            return self.key not in labels
        found = self.key in labels and labels[self.key] in self.values
        return found if self.op == "in" else not found


class _Parser:
    """Recursive descent over the tokens of a labelSelector string."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0
        self.tokens = [(sym, sym) if sym else ("identifier" if word not in ("in", "notin") else word, word)
                       for sym, word in _TOKEN.findall(text)] + [("end", "")]

    def peek(self) -> str:
        return self.tokens[self.pos][0]

    def take(self, *kinds: str, value: bool = False) -> str:
        kind, literal = self.tokens[self.pos]
        if value and kind in ("in", "notin"):
            kind = "identifier"  # keywords are plain words where a value is expected
        if kind not in kinds:
            found = f"'{literal}'" if literal else "end of string"
            raise SelectorError(f'unable to parse label selector "{self.text}": found {found}, '
                                "expected: " + " or ".join(k if k == "identifier" else f"'{k}'" for k in kinds))
        self.pos += 1
        return literal

    def selector(self) -> list[Requirement]:
        requirements = []
        while self.peek() != "end" or requirements:
            requirements.append(self.requirement())
            if self.peek() == "end":
                break
            self.take(",")
        return requirements

    def requirement(self) -> Requirement:
        if self.peek() == "!":
            self.take("!")
            return Requirement(_check_key(self.take("identifier")), "!")
        key = _check_key(self.take("identifier"))
        if self.peek() in (",", "end"):
            return Requirement(key, "exists")
        op = self.take("=", "==", "!=", "in", "notin")
        if op in ("in", "notin"):
            values = self.value_set()
            if not values:
                raise SelectorError(f"unable to parse label selector \"{self.text}\": "
                                    f"the values set of '{op}' can't be empty")
        else:
            values = ["" if self.peek() in (",", "end") else self.take("identifier", value=True)]
        return Requirement(key, "notin" if op in ("!=", "notin") else "in",
                           frozenset(_check_value(v) for v in values))

    def value_set(self) -> list[str]:
        self.take("(")
        if self.peek() == ")":
            self.take(")")
            return []
        values = []
        while True:
            values.append("" if self.peek() in (",", ")") else self.take("identifier", value=True))
            if self.take(",", ")") == ")":
                return values


class LabelSelector:
    """A conjunction of label requirements; no requirement matches everything."""

    def __init__(self, requirements: list[Requirement]):
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse the labelSelector query syntax ('' or None matches everything)."""
        return cls(_Parser(text or "").selector())

    @classmethod
    def from_match(cls, match_labels: dict | None, match_expressions: list | None) -> LabelSelector:
        """Build from a metav1.LabelSelector's matchLabels and matchExpressions."""
        requirements = [Requirement(_check_key(k), "in", frozenset([_check_value(v)]))
                        for k, v in (match_labels or {}).items()]
        ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
        for expr in match_expressions or []:
            key, op, values = _check_key(expr.get("key") or ""), expr.get("operator"), expr.get("values") or []
            if op not in ops:
                raise SelectorError(f'"{op}" is not a valid label selector operator')
            if (op in ("In", "NotIn")) != bool(values):
                raise SelectorError(f"values set must be {'non-empty' if values == [] else 'empty'} "
                                    f"for the {op} operator")
            requirements.append(Requirement(key, ops[op], frozenset(_check_value(v) for v in values)))
        return cls(requirements)

    def matches(self, labels: dict[str, str] | None) -> bool:
        return all(r.matches(labels or {}) for r in self.requirements)


class FieldSelector:
    """A conjunction of `path=value`, `path==value` and `path!=value` terms over dotted field paths."""

    def __init__(self, terms: list[tuple[str, bool, str]]):
        self.terms = terms  # (path, equal, value)
        self.fields = {path for path, _, _ in terms}

    @classmethod
    def parse(cls, text: str | None) -> FieldSelector:
        """Parse the fieldSelector query syntax ('' or None matches everything)."""
        terms = []
        for term in _FIELD_TERM.findall(text or ""):
            path, op, value = _split_operator(term)
            if not path.strip():
                raise SelectorError(f'invalid field selector "{text}": "{term}" has no field name')
            terms.append((path.strip(), op != "!=", _unescape(value)))
        return cls(terms)

    def matches(self, obj: dict) -> bool:
        return all((_lookup(obj, path) == value) == equal for path, equal, value in self.terms)


def _split_operator(term: str) -> tuple[str, str, str]:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
        i += 1
    raise SelectorError(f'invalid field selector: "{term}" is not of the form field=value or field!=value')


def _unescape(value: str) -> str:
    if not _FIELD_VALUE.fullmatch(value):
        raise SelectorError(f'invalid field selector value "{value}": '
                            "escape '\\', ',' and '=' with a backslash ('\\!' is accepted too)")
    return re.sub(r"\\(.)", r"\1", value)


def _lookup(obj: dict, path: str) -> str:
    value: object = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
