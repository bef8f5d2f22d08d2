"""Arbitrary JSON as a STIX bundle or a MISP event: indicators or problems, no crash."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.domain.errors import MadoguchiError
from madoguchi.intel.misp.event import import_event
from madoguchi.intel.stix.bundle import import_bundle

BUDGET = settings(max_examples=200, deadline=None, derandomize=True, database=None)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "2024-01-05T10:00:00Z",
            "not-a-date",
            "[ipv4-addr:value = '198.51.100.7']",
            "[file:hashes.'SHA-256' = 'ab']",
            "[domain-name:value = 'example.test' OR url:value = 'http://x.test/']",
            "[",
            "stix",
            "ip-dst",
            "domain|ip",
            "tlp:red",
            "TLP:AMBER+STRICT",
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            "cve",
            "CVE-2024-0001",
            "mitre-attack",
            "T1059.001",
        ]
    ),
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

STIX_KEYS = [
    "type",
    "id",
    "pattern",
    "pattern_type",
    "revoked",
    "object_marking_refs",
    "confidence",
    "labels",
    "description",
    "valid_from",
    "valid_until",
    "external_references",
    "source_name",
    "external_id",
    "definition",
    "definition_type",
    "name",
]
STIX_TYPES = st.sampled_from(["indicator", "vulnerability", "attack-pattern", "marking-definition"])
stix_object = st.dictionaries(st.sampled_from(STIX_KEYS), any_json, max_size=8).flatmap(
    lambda obj: STIX_TYPES.map(lambda kind: {**obj, "type": kind})
)
stix_bundle = st.fixed_dictionaries(
    {"type": st.just("bundle"), "objects": st.lists(stix_object | any_json, max_size=5)}
)

MISP_KEYS = [
    "type",
    "value",
    "to_ids",
    "Tag",
    "name",
    "comment",
    "first_seen",
    "last_seen",
    "uuid",
    "Attribute",
    "Object",
    "info",
]
misp_part = st.dictionaries(st.sampled_from(MISP_KEYS), any_json, max_size=6)
misp_event = st.fixed_dictionaries(
    {
        "info": any_json,
        "Tag": st.lists(misp_part | any_json, max_size=3) | any_json,
        "Attribute": st.lists(misp_part | any_json, max_size=5) | any_json,
        "Object": st.lists(misp_part | any_json, max_size=3) | any_json,
    }
).map(lambda event: {"Event": event})


def _check(result: Any) -> None:
    assert all(isinstance(problem.message, str) for problem in result.problems)
    assert all(indicator.value for indicator in result.indicators)


def _import(func: Any, document: Any) -> None:
    for form in (document, json.dumps(document)):
        with contextlib.suppress(MadoguchiError):
            _check(func(form))


@BUDGET
@given(stix_bundle | any_json)
def test_any_json_as_a_stix_bundle(document: Any) -> None:
    _import(import_bundle, document)


@BUDGET
@given(misp_event | any_json)
def test_any_json_as_a_misp_event(document: Any) -> None:
    _import(import_event, document)


@BUDGET
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=100_000))
def test_bytes_and_deep_nesting(data: bytes, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    for document in (data, nested, '{"objects": ' + nested + "}", '{"Event": ' + nested + "}"):
        for func in (import_bundle, import_event):
            with contextlib.suppress(MadoguchiError):
                _check(func(document))
