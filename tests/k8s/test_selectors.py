"""Label and field selectors: Kubernetes grammar, validation and matching semantics."""
import pytest

from ome_gateway.k8s.selectors import FieldSelector, LabelSelector, SelectorError

LABELS = {"app": "web", "tier": "front", "ome.io/model": "llama-3", "empty": ""}


@pytest.mark.parametrize("text, expected", [
    (None, True),
    ("", True),
    ("   ", True),
    ("app=web", True),
    ("app==web", True),
    ("app=db", False),
    ("app!=db", True),
    ("app!=web", False),
    ("missing!=x", True),
    ("app in (web,db)", True),
    ("app in (db, cache)", False),
    ("app notin (db,cache)", True),
    ("app notin (web)", False),
    ("missing notin (a)", True),
    ("missing in (a)", False),
    ("app", True),
    ("missing", False),
    ("!missing", True),
    ("!app", False),
    ("app=web,tier=front", True),
    ("app=web,tier=back", False),
    ("  app = web ,  tier  in  ( front , back ) , ! missing  ", True),
    ("ome.io/model=llama-3", True),
    ("ome.io/model in (llama-3,mistral)", True),
    ("empty=", True),
    ("empty in (,x)", True),
    ("app=", False),
    ("app in (in, notin)", False),
    ("tier notin (in)", True),
])
def test_label_selector_matches(text, expected):
    assert LabelSelector.parse(text).matches(LABELS) is expected


@pytest.mark.parametrize("text, expected", [("", True), ("a!=b", True), ("!a", True), ("a", False), ("a=b", False)])
def test_label_selector_on_missing_labels(text, expected):
    assert LabelSelector.parse(text).matches(None) is expected
    assert LabelSelector.parse(text).matches({}) is expected


@pytest.mark.parametrize("text, message", [
    ("app in ()", "the values set of 'in' can't be empty"),
    ("app notin ()", "the values set of 'notin' can't be empty"),
    ("app in (web", r"found end of string, expected: ',' or '\)'"),
    ("app in web", r"found 'web', expected: '\('"),
    ("app=web,", "found end of string, expected: identifier"),
    (",app", "found ',', expected: identifier"),
    ("app web", "found 'web', expected: '=' or '==' or '!=' or 'in' or 'notin'"),
    ("app=web tier=front", "found 'tier', expected: ','"),
    ("!", "found end of string, expected: identifier"),
    ("!app=web", "found '=', expected: ','"),
    ("in=x", "found 'in', expected: identifier"),
    ("app=(web)", r"found '\(', expected: identifier"),
    ("-app=web", 'invalid label key "-app": the name must be at most 63 characters'),
    ("a" * 64 + "=x", "the name must be at most 63 characters"),
    ("Ome.IO/model=x", 'invalid label key "Ome.IO/model": the prefix must be a lowercase DNS subdomain'),
    ("/model=x", "the prefix must be a lowercase DNS subdomain"),
    ("ome.io/=x", 'invalid label key "ome.io/": the name must be'),
    ("a/b/c=x", "the prefix must be a lowercase DNS subdomain"),
    ("app=web-", 'invalid label value "web-": it must be empty or at most 63 characters'),
    ("app in (ok, -bad)", 'invalid label value "-bad"'),
    ("app=" + "v" * 64, "it must be empty or at most 63 characters"),
])
def test_label_selector_errors(text, message):
    with pytest.raises(SelectorError, match=message):
        LabelSelector.parse(text)


@pytest.mark.parametrize("match_labels, expressions, expected", [
    (None, None, True),
    ({}, [], True),
    ({"app": "web"}, None, True),
    ({"app": "web", "tier": "back"}, None, False),
    (None, [{"key": "app", "operator": "In", "values": ["web", "db"]}], True),
    (None, [{"key": "app", "operator": "NotIn", "values": ["web"]}], False),
    (None, [{"key": "missing", "operator": "NotIn", "values": ["x"]}], True),
    (None, [{"key": "ome.io/model", "operator": "Exists"}], True),
    (None, [{"key": "missing", "operator": "Exists", "values": []}], False),
    (None, [{"key": "missing", "operator": "DoesNotExist"}], True),
    ({"app": "web"}, [{"key": "tier", "operator": "DoesNotExist"}], False),
])
def test_label_selector_from_match(match_labels, expressions, expected):
    assert LabelSelector.from_match(match_labels, expressions).matches(LABELS) is expected


@pytest.mark.parametrize("match_labels, expressions, message", [
    (None, [{"key": "app", "operator": "Equals", "values": ["web"]}], '"Equals" is not a valid label selector operator'),
    (None, [{"key": "app", "operator": "In", "values": []}], "values set must be non-empty for the In operator"),
    (None, [{"key": "app", "operator": "NotIn"}], "values set must be non-empty for the NotIn operator"),
    (None, [{"key": "app", "operator": "Exists", "values": ["x"]}], "values set must be empty for the Exists operator"),
    (None, [{"operator": "Exists"}], 'invalid label key ""'),
    ({"Bad Key": "x"}, None, 'invalid label key "Bad Key"'),
    ({"app": "not valid"}, None, 'invalid label value "not valid"'),
])
def test_label_selector_from_match_errors(match_labels, expressions, message):
    with pytest.raises(SelectorError, match=message):
        LabelSelector.from_match(match_labels, expressions)


POD = {"metadata": {"name": "web-0", "namespace": "default"}, "spec": {"nodeName": "node-a", "hostNetwork": False},
       "status": {"phase": "Running"}}
EVENT = {"metadata": {"name": "web-0.17a", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "name": "a,b=c!d\\e"}}


@pytest.mark.parametrize("text, obj, expected", [
    (None, POD, True),
    ("", POD, True),
    ("metadata.name=web-0", POD, True),
    ("metadata.name==web-0", POD, True),
    ("metadata.name=web-1", POD, False),
    ("metadata.name!=web-1", POD, True),
    ("metadata.name!=web-0", POD, False),
    ("metadata.namespace=default,status.phase=Running", POD, True),
    ("metadata.namespace=default,status.phase=Pending", POD, False),
    ("status.phase!=Succeeded,status.phase!=Failed", POD, True),
    ("spec.nodeName=node-a", POD, True),
    ("spec.nodeName=", POD, False),
    ("spec.nodeName=", EVENT, True),
    ("spec.nodeName!=", POD, True),
    ("spec.hostNetwork=false", POD, True),
    ("involvedObject.kind=Pod", EVENT, True),
    (r"involvedObject.name=a\,b\=c\!d\\e", EVENT, True),
    (r"involvedObject.name=a\,b\=c!d\\e", EVENT, True),
    ("involvedObject.name=a", EVENT, False),
    ("metadata.name=web-0,,", POD, True),
])
def test_field_selector_matches(text, obj, expected):
    assert FieldSelector.parse(text).matches(obj) is expected


@pytest.mark.parametrize("text, fields", [
    ("", set()),
    ("metadata.name=a", {"metadata.name"}),
    ("involvedObject.kind=Pod,involvedObject.name!=x,involvedObject.kind==Job",
     {"involvedObject.kind", "involvedObject.name"}),
    (r"spec.nodeName=a\,b", {"spec.nodeName"}),
])
def test_field_selector_reports_fields(text, fields):
    assert FieldSelector.parse(text).fields == fields


@pytest.mark.parametrize("text, message", [
    ("metadata.name", 'invalid field selector: "metadata.name" is not of the form field=value'),
    ("metadata.name=a,status.phase", '"status.phase" is not of the form field=value'),
    ("=web-0", '"=web-0" has no field name'),
    ("metadata.name=a=b", 'invalid field selector value "a=b": escape'),
    ("metadata.name=a\\", r'invalid field selector value "a\\"'),
    (r"metadata.name=a\x", r'invalid field selector value "a\\x"'),
])
def test_field_selector_errors(text, message):
    with pytest.raises(SelectorError, match=message):
        FieldSelector.parse(text)
