"""The conformance program's graph and the packs written for this suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crosscloud.declaration import read_stack_file
from crosscloud.engine.config import merge_project_config, stack_tags
from crosscloud.engine.graph import Graph
from crosscloud.engine.project import find_project
from crosscloud.engine.synth import synthesize
from crosscloud.engine.violations import CheckResult, Violation
from tests.conftest import FIXTURES

PROGRAM = Path(__file__).resolve().parent / "program"
PACKS = FIXTURES / "packs"
STACK_URN = "urn:pulumi:test::conformance::pulumi:pulumi:Stack::conformance-test"
VPC_URN = "urn:pulumi:test::conformance::conformance:index:Box$aws:ec2/vpc:Vpc::box-vpc"
ROLE_URN = "urn:pulumi:test::conformance::aws:iam/role:Role::role"
BOX_URN = "urn:pulumi:test::conformance::conformance:index:Box::box"


def pack(name: str) -> Path:
    return PACKS / f"conformance-{name}"


def conformance_graph(stack_config: dict[str, Any] | None = None) -> Graph:
    """The program's graph for stack `test`, as `crosscloud synth` builds it."""
    project = find_project(PROGRAM)
    path = project.stack_file("test")
    raw = read_stack_file(path) if stack_config is None else stack_config
    graph = synthesize(project, "test", merge_project_config(project, raw, str(path)))
    graph.tags = stack_tags(project, graph.config, str(path))
    return graph


def reported(result: CheckResult, policy: str, urn: str | None = None) -> list[Violation]:
    return [v for v in result.violations if v.policy == policy and (urn is None or v.urn == urn)]


def echoed(violation: Violation) -> Any:
    """The JSON a conformance pack reported as its message."""
    return json.loads(violation.message)
