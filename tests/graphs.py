"""Hand-built graphs for policy tests: exactly the resources a case needs, in the engine's wire form."""

from __future__ import annotations

from typing import Any

from crosscloud.engine.graph import Graph, Resource

PROJECT, STACK = "crosscloud", "policytest"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def provider(package: str, name: str, **inputs: Any) -> Resource:
    type_ = f"pulumi:providers:{package}"
    return Resource(
        urn=urn(type_, name), type=type_, name=name, parent=STACK_URN, provider=None, custom=True, inputs=dict(inputs)
    )


def resource(type_: str, name: str, via: Resource | None, **inputs: Any) -> Resource:
    return Resource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        parent=STACK_URN,
        provider=via.urn if via else None,
        custom=True,
        inputs=dict(inputs),
    )


def graph(resources: list[Resource], residency: str | None = "eu") -> Graph:
    stack = Resource(
        urn=STACK_URN,
        type="pulumi:pulumi:Stack",
        name=f"{PROJECT}-{STACK}",
        parent=None,
        provider=None,
        custom=False,
        inputs={},
    )
    config = {"crosscloud:residency": residency} if residency else {}
    return Graph(project=PROJECT, stack=STACK, config=config, resources=[stack, *resources])
