"""Property-based fuzzing of the graph reader (issue 17): mutated `crosscloud synth` graphs either load into a graph
the engine can send to a pack, or fail with one line naming the file (exit 2). Never a traceback.

CI runs a few thousand cases (two properties); `CROSSCLOUD_FUZZ=long make test` runs the longer profile.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crosscloud.declaration import DeclarationError, pulumi_config_map, read_stack_file
from crosscloud.engine.analyzer import PackSession, _struct
from crosscloud.engine.graph import UNKNOWN, Graph
from crosscloud.engine.project import find_project
from crosscloud.engine.synth import synthesize
from tests.conftest import FIXTURES, ROOT
from tests.test_fuzz_declaration import _paths  # its import also loads the shared hypothesis profiles

_PROJECT = find_project(ROOT)
BASE = synthesize(_PROJECT, "dev", pulumi_config_map(read_stack_file(ROOT / "Pulumi.dev.yaml"))).to_json()
# Only its request builders are used: constructing a session starts no process.
_SESSION = PackSession(FIXTURES / "packs" / "config-size", Graph("p", "s", {}, []), start_timeout=1, rpc_timeout=1)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from([UNKNOWN, "urn:pulumi:dev::crosscloud::x::y", "10m", "", "eu-central-1"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=10,
)


def _set(data: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> None:
    *parents, last = path
    for key in parents:
        data = data[key]
    if delete and isinstance(data, dict):
        del data[last]
    elif delete:
        data.pop(last)
    else:
        data[last] = value


@st.composite
def mutated_graphs(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(BASE)
    data["resources"] = data["resources"][:12]  # a small graph: mutations land on every field kind more often
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "add":
            target = data
            for key in path[:-1]:
                target = target[key]
            if isinstance(target, dict):
                target[draw(st.text(max_size=12))] = draw(values)
                continue
        _set(data, path, draw(values), delete=action == "delete")
    return data


def _assert_usable(graph: Graph) -> None:
    """What check does with a graph before any pack answers: every request it would send can be built."""
    by_urn = graph.by_urn()
    _SESSION._provider_structs.clear()
    for resource in graph.resources:
        _SESSION._build_request(resource, by_urn, internal=True)
        _SESSION._build_request(resource, by_urn, internal=False)
        _struct(resource.stack_properties())
    json.dumps(graph.to_json(), allow_nan=False)


def _outcome(read: Callable[[], Graph]) -> Graph | str:
    """The graph, or the text of the DeclarationError (anything else fails the test with its traceback)."""
    try:
        return read()
    except DeclarationError as exc:
        return str(exc)


def _assert_verdict(outcome: Graph | str, name: str) -> None:
    if isinstance(outcome, str):
        assert "\n" not in outcome and outcome.startswith(f"{name}: "), outcome
    else:
        _assert_usable(outcome)


@given(mutated_graphs())
def test_a_mutated_graph_loads_or_fails_with_one_line(data: Any) -> None:
    _assert_verdict(_outcome(lambda: Graph.from_json(data, "graph.json")), "graph.json")


@given(st.binary(max_size=64), st.integers(min_value=0), st.sampled_from(["insert", "replace", "truncate"]))
def test_a_corrupted_graph_file_loads_or_fails_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, noise: bytes, at: int, how: str
) -> None:
    text = json.dumps({**BASE, "resources": BASE["resources"][:6]}).encode()
    at %= len(text)
    corrupted = {
        "insert": text[:at] + noise + text[at:],
        "replace": text[:at] + noise + text[at + len(noise) :],
        "truncate": text[:at],
    }[how]
    path = Path(tmp_path_factory.getbasetemp()) / "corrupted.json"
    path.write_bytes(corrupted)
    _assert_verdict(_outcome(lambda: Graph.read(path)), str(path))
