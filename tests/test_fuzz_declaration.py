"""Property-based fuzzing of the declaration (issue 17): generated and mutated stack files either load into a
declaration that keeps every promise, or fail with one line per problem. Never a traceback, never a wrong "ok".

CI runs a few thousand cases; `CROSSCLOUD_FUZZ=long make test` runs a longer profile on demand.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crosscloud.declaration import Declaration, DeclarationError, declaration_from_config
from crosscloud.declaration.load import read_stack_file
from crosscloud.declaration.spec import PRIVATE_RANGES
from tests.conftest import ROOT

settings.register_profile("ci", max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=50_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if os.environ.get("CROSSCLOUD_FUZZ") == "long" else "ci")

BASES = {stack: read_stack_file(ROOT / f"Pulumi.{stack}.yaml") for stack in ("dev", "prod")}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["eu", "us", "prod", "eu-central-1", "swedencentral", "gpt-4.1", "serverless", "10.0.0.0/8", "2026-12-01", ""]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*prefix, i))
    return found


@st.composite
def mutated_configs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(sorted(BASES)))
    config = copy.deepcopy(BASES[stack])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        parent: Any = config
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=20))] = draw(values)
        else:
            parent.append(draw(values))
    if draw(st.booleans()):  # as under the Pulumi CLI: structured values arrive as JSON strings
        config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return stack, config


def _promises_kept(declaration: Declaration) -> None:
    """What a clean load guarantees: every resolved offering is resident and in the declared regions."""
    spec, residency = declaration.spec, declaration.residency
    if spec.aws is not None:
        assert spec.aws.region in residency.aws
        if spec.aws.network is not None:
            assert any(spec.aws.network.cidr.subnet_of(r) for r in PRIVATE_RANGES)
    if spec.azure is not None:
        assert spec.azure.location in residency.azure
    for endpoint in declaration.endpoints:
        if endpoint.aws is not None:
            assert spec.aws is not None and endpoint.aws.region == spec.aws.region
            assert endpoint.aws.resident_in(residency)
        if endpoint.azure is not None:
            assert spec.azure is not None and endpoint.azure.region == spec.azure.location
            assert endpoint.azure.resident_in(residency)
        if spec.environment == "prod":
            assert all(o.verified for o in (endpoint.aws, endpoint.azure) if o is not None)


@given(mutated_configs())
def test_mutated_declarations_load_or_fail_one_line_per_problem(case: tuple[str, dict[str, Any]]) -> None:
    stack, config = case
    file = f"Pulumi.{stack}.yaml"
    issues = []
    try:
        declaration = declaration_from_config(config, file, project="crosscloud", stack=stack)
    except DeclarationError as exc:
        issues = [str(issue) for issue in exc.issues]
    else:
        _promises_kept(declaration)
        return
    assert issues
    for line in issues:
        assert line.startswith(f"{file}: ") and "\n" not in line and "\x1b" not in line


@settings(max_examples=500)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_arbitrary_stack_file_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "Pulumi.fuzz.yaml"
    path.write_bytes(data)
    try:
        config = read_stack_file(path)
    except DeclarationError as exc:
        lines = [str(i) for i in exc.issues]
    else:
        assert isinstance(config, dict)
        return
    assert lines and all("\n" not in line for line in lines)
