"""Alias specs built directly (the offline shortcut) are the ones the SDK would have resolved and sent."""

from __future__ import annotations

import asyncio

import pulumi
import pytest
from pulumi.runtime.resource import create_alias_spec

from crosscloud.engine import synth

PARENT_URN = "urn:pulumi:dev::proj::my:index:Box::box"
STATIC_ALIASES = [
    pulumi.Alias(type_="azure-native:network/v20230201:VirtualNetwork"),
    pulumi.Alias(name="old-name"),
    pulumi.Alias(name="moved", parent=None),
    pulumi.Alias(type_="aws:ec2/vpc:Vpc", parent=PARENT_URN),
    pulumi.Alias(name="elsewhere", project="other", stack="prod"),
]


@pytest.mark.parametrize("alias", STATIC_ALIASES, ids=repr)
def test_static_spec_equals_the_sdk_spec(alias: pulumi.Alias) -> None:
    built = synth._static_alias_specs([alias])
    assert built is not None and len(built) == 1
    sdk = asyncio.run(create_alias_spec(alias))
    assert built[0].spec == sdk
    assert built[0].spec.WhichOneof("parent") == sdk.WhichOneof("parent"), "oneof presence as the SDK sets it"


def test_dynamic_aliases_are_left_to_the_sdk() -> None:
    assert synth._static_alias_specs(None) is None
    assert synth._static_alias_specs([]) is None
    assert synth._static_alias_specs(["urn:pulumi:dev::proj::aws:s3/bucket:Bucket::b"]) is None
    assert synth._static_alias_specs([pulumi.Alias(type_="t"), "urn:pulumi:dev::proj::t::x"]) is None

    async def with_outputs() -> None:
        assert synth._static_alias_specs([pulumi.Alias(name=pulumi.Output.from_input("x"))]) is None

    asyncio.run(with_outputs())


def _program() -> None:
    from pulumi_azure_native import resources

    box = pulumi.ComponentResource("my:index:Box", "box")
    resources.ResourceGroup("rg", location="westeurope", opts=pulumi.ResourceOptions(parent=box))
    pulumi.CustomResource(
        "aws:s3/bucket:Bucket",
        "dynamic",
        {},
        pulumi.ResourceOptions(aliases=[pulumi.Output.from_input("urn:pulumi:dev::proj::aws:s3/bucket:Bucket::old")]),
    )


def test_graph_keeps_every_alias_the_program_declared() -> None:
    resources, _ = synth.record("proj", "dev", {}, _program)
    by_name = {r.name: r for r in resources}
    group = by_name["rg"]  # the generated class adds one type Alias per former API version
    assert len(group.aliases) > 10, "the SDK's type aliases survive the shortcut"
    assert len(set(group.aliases)) == len(group.aliases)
    for alias in group.aliases:
        assert alias.startswith("urn:pulumi:dev::proj::my:index:Box$azure-native:resources/v") and alias.endswith(
            ":ResourceGroup::rg"
        )
    assert by_name["dynamic"].aliases == ["urn:pulumi:dev::proj::aws:s3/bucket:Bucket::old"], "left to the SDK"


def _nested() -> None:
    outer = pulumi.ComponentResource("my:index:Outer", "outer")
    inner = pulumi.ComponentResource("my:index:Inner", "inner", opts=pulumi.ResourceOptions(parent=outer))
    pulumi.CustomResource("aws:s3/bucket:Bucket", "b", {}, pulumi.ResourceOptions(parent=inner))


def test_urns_carry_every_ancestors_type_as_the_engine_does() -> None:
    """The engine's generateURN prefixes the parent's whole qualified type; the SDK mock keeps only the parent's own
    type, which would name a third-level resource as if it sat one level higher."""
    resources, _ = synth.record("proj", "dev", {}, _nested)
    urns = {r.name: r.urn for r in resources}
    assert urns["inner"] == "urn:pulumi:dev::proj::my:index:Outer$my:index:Inner::inner"
    assert urns["b"] == "urn:pulumi:dev::proj::my:index:Outer$my:index:Inner$aws:s3/bucket:Bucket::b"
