"""CrossCloudPlatform and the single-concern components in a Python program: existing stacks keep every resource
(aliases, as the engine resolves them), the components check the declaration before creating anything and name
the input at fault, and each builds only its part."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from crosscloud.declaration import read_stack_file
from crosscloud.engine import synth
from crosscloud.engine.config import engine_config, merge_project_config
from crosscloud.engine.graph import STACK_TYPE, Graph, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.synth import ProgramError, synthesize
from crosscloud.platform import inputs
from crosscloud.platform.args import DeclarationArgs, Environment
from tests.conftest import FIXTURES

PLATFORM = "crosscloud:index:CrossCloudPlatform"


def shipped(project: Project, stack: str) -> Graph:
    raw = merge_project_config(project, read_stack_file(project.stack_file(stack)), stack)
    return synthesize(project, stack, engine_config(raw).values)


# -- existing stacks replace nothing ---------------------------------------------------------------------------------


def _name(urn: str) -> str:
    return urn.split("::")[-1]


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def engine_matches(resources: list[Resource], olds: set[str]) -> dict[str, str | None]:
    """For each resource, the old URN the engine's step generator finds it by: its own URN, an alias it declares, or
    an alias inherited from its parent's match (pkg/resource/deploy/step_generator.go, generateAliases and
    inheritedChildAlias: the parent's old qualified type, and the parent's old name replacing its name prefix)."""
    by_urn = {r.urn: r for r in resources}
    found: dict[str, str | None] = {}

    def match(urn: str) -> str | None:
        if urn in found:
            return found[urn]
        resource = by_urn[urn]
        candidates = [urn, *resource.aliases]
        parent = resource.parent
        parent_old = match(parent) if parent in by_urn else None
        if parent is not None and parent_old is not None and parent_old != parent:
            name = resource.name
            if name.startswith(_name(parent)):
                name = _name(parent_old) + name[len(_name(parent)) :]
            stack_and_project = "::".join(urn.split("::")[:2])
            base_type = _qualified_type(urn).split("$")[-1]
            candidates.append(f"{stack_and_project}::{_qualified_type(parent_old)}${base_type}::{name}")
        found[urn] = next((c for c in candidates if c in olds), None)
        return found[urn]

    return {urn: match(urn) for urn in by_urn}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_existing_stacks_keep_every_resource(project: Project, stack: str) -> None:
    """Every URN of the stacks before the platform component existed is found, by exactly one resource: nothing is
    created or deleted when an existing stack moves to CrossCloudPlatform (the fixture lists those URNs)."""
    lines = (FIXTURES / "pre_platform" / f"{stack}.txt").read_text().splitlines()
    olds = {line for line in lines if line.startswith("urn:")}
    graph = shipped(project, stack)
    resources = [r for r in graph.resources if r.type != STACK_TYPE]
    matches = engine_matches(resources, olds)
    new = sorted(urn for urn, old in matches.items() if old is None)
    assert new == [f"urn:pulumi:{stack}::crosscloud::{PLATFORM}::crosscloud"], "only the platform itself is new"
    matched = [old for old in matches.values() if old is not None]
    assert sorted(matched) == sorted(olds), "each old resource found once"
    moved = [r for r in resources if r.parent is not None and r.parent.endswith(f"{PLATFORM}::crosscloud")]
    assert moved and all(f"urn:pulumi:{stack}::crosscloud::{r.type}::{r.name}" in r.aliases for r in moved)
    assert all(r.urn.split("::")[2].startswith(f"{PLATFORM}$") for r in resources if r.type != PLATFORM)


def test_engine_match_needs_the_aliases() -> None:
    """The matcher itself: without its alias, a moved component and its children are new."""
    parent = Resource("urn:pulumi:d::p::x:index:P::plat", "x:index:P", "plat", None, None, False, {})
    child = Resource("urn:pulumi:d::p::x:index:P$my:c:C::c", "my:c:C", "c", parent.urn, None, False, {})
    leaf = Resource(
        "urn:pulumi:d::p::x:index:P$my:c:C$aws:s3/bucket:Bucket::c-b",
        "aws:s3/bucket:Bucket",
        "c-b",
        child.urn,
        None,
        True,
        {},
    )
    olds = {"urn:pulumi:d::p::my:c:C::c", "urn:pulumi:d::p::my:c:C$aws:s3/bucket:Bucket::c-b"}
    assert set(engine_matches([parent, child, leaf], olds).values()) == {None}
    child.aliases = ["urn:pulumi:d::p::my:c:C::c"]
    assert engine_matches([parent, child, leaf], olds)[leaf.urn] == "urn:pulumi:d::p::my:c:C$aws:s3/bucket:Bucket::c-b"


# -- components in a Python program ---------------------------------------------------------------------------------

BEDROCK: DeclarationArgs = {
    "residency": "eu",
    "aws": {"region": "eu-central-1"},
    "endpoints": [{"name": "chat", "aws": {"model": "gpt-oss-120b"}}],
}


def record(body: Callable[[], object], config: dict[str, str] | None = None) -> list[Resource]:
    resources, _ = synth.record("proj", "dev", config or {"crosscloud:residency": "eu"}, body)
    return resources


def test_bedrock_access_alone_builds_bedrock_and_its_provider() -> None:
    from crosscloud.platform import BedrockAccess

    resources = record(lambda: BedrockAccess("bedrock", BEDROCK))
    types = {r.type for r in resources}
    assert types == {
        STACK_TYPE,
        "crosscloud:index:BedrockAccess",
        "pulumi:providers:aws",
        "crosscloud:aws:BedrockAccess",
        "aws:bedrock/guardrail:Guardrail",
        "aws:bedrock/guardrailVersion:GuardrailVersion",
        "aws:bedrock/inferenceProfile:InferenceProfile",
        "aws:iam/policy:Policy",
        "aws:kms/key:Key",
    }
    facade = next(r for r in resources if r.type == "crosscloud:index:BedrockAccess")
    assert all(r.parent is not None for r in resources if r.type != STACK_TYPE)
    assert not any(r.aliases for r in resources if r.parent == facade.urn), "nothing moved: no aliases"
    assert facade.outputs is not None and set(facade.outputs) == {"aws_invoke_targets", "residency", "endpoints"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {**BEDROCK, "residency": "mars"},
            "crosscloud:index:BedrockAccess b: residency: 'mars' is not a residency set",
        ),
        (
            {**BEDROCK, "endpoints": [{"name": "chat", "aws": {"model": "gpt-9"}}]},
            "crosscloud:index:BedrockAccess b: endpoints[0].aws.model: 'gpt-9'",
        ),
        (
            {**BEDROCK, "aws": {"region": "eu-central-1", "invocation_logging": {"retention_days": 31}}},
            "crosscloud:index:BedrockAccess b: aws.invocationLogging.retentionDays: 31: must be a CloudWatch Logs",
        ),
        (
            {**BEDROCK, "aws": {"region": "eu-central-1", "network": {"cidr": "10.1.0.0/16", "zones": 2.5}}},
            "crosscloud:index:BedrockAccess b: aws.network.zones: 2.5: must be a whole number",
        ),
        ({**BEDROCK, "environment": "qa"}, "crosscloud:index:BedrockAccess b: environment: 'qa': Input should be"),
    ],
)
def test_a_bad_declaration_is_a_clean_error_naming_the_input(args: dict[str, Any], expected: str) -> None:
    """A RunError (exit 2 under crosscloud, no traceback under pulumi), raised before any resource exists."""
    from crosscloud.platform import BedrockAccess

    monitor_urns: list[str] = []

    def program() -> None:
        BedrockAccess("b", args)  # type: ignore[arg-type]
        monitor_urns.append("constructed")  # not reached: the check raises before super().__init__ registers

    with pytest.raises(ProgramError) as failure:
        synth.record("proj", "dev", {"crosscloud:residency": args["residency"]}, program)
    assert failure.value.by_program
    assert str(failure.value).startswith(expected), str(failure.value)
    assert monitor_urns == []


def test_an_output_is_not_a_declaration() -> None:
    from crosscloud.platform import BedrockAccess

    def program() -> None:
        region = pulumi.Output.from_input("eu-central-1")
        BedrockAccess("b", {**BEDROCK, "aws": {"region": region}})  # type: ignore[typeddict-item]

    with pytest.raises(
        ProgramError, match=r"aws\.region: must be a plain value known when the component is constructed"
    ):
        record(program)


def test_enums_and_plain_strings_are_the_same_declaration() -> None:
    from crosscloud.platform import BedrockAccess

    def protected(environment: Any) -> set[str]:
        resources = record(lambda: BedrockAccess("b", {**BEDROCK, "environment": environment}))
        return {r.name for r in resources if r.protect}

    assert protected(Environment.PROD) == protected("prod") == {"aws-bedrock-guardrail-key"}
    assert protected("dev") == set()


def test_the_stacks_residency_and_the_declarations_must_agree() -> None:
    """The packs check the stack against its crosscloud:residency: a component built for another set is refused."""
    from crosscloud.platform import BedrockAccess

    with pytest.raises(ProgramError, match="residency: 'eu' differs from the stack's crosscloud:residency 'eea'"):
        record(lambda: BedrockAccess("b", BEDROCK), {"crosscloud:residency": "eea"})
    assert record(lambda: BedrockAccess("b", BEDROCK), {}), "a stack that names none (another program's) is fine"


def test_one_cloud_cannot_build_the_other_clouds_half_of_federation() -> None:
    from crosscloud.platform import AwsIdentity, AzureIdentity, CrossCloudPlatform

    inward = {
        "federation": {"azure_to_aws": {"audience": "api://x", "principal_id": "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"}}
    }
    azure = {"location": "swedencentral", "network": {"cidr": "10.80.0.0/16"}}
    args: Any = {
        **BEDROCK,
        "azure": azure,
        "identity": {"workloads": [{"name": "app", "endpoints": ["chat"], **inward}]},
    }
    with pytest.raises(ProgramError, match=r"identity\.workloads\[0\]\.federation\.azureToAws: needs identity\.fede"):
        record(lambda: AwsIdentity("id", args))
    declared = {
        **args,
        "identity": {**args["identity"], "federation": {"entra_tenant_id": "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"}},
    }
    roles = record(lambda: AwsIdentity("id", declared))
    assert any(r.type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider" for r in roles)
    outward: Any = {
        **BEDROCK,
        "azure": azure,
        "endpoints": [
            {"name": "chat", "aws": {"model": "gpt-oss-120b"}, "azure": {"model": "gpt-5.1"}, "primary": "aws"}
        ],
        "identity": {
            "workloads": [
                {
                    "name": "app",
                    "endpoints": ["chat"],
                    "aws_services": ["ecs-tasks.amazonaws.com"],
                    "federation": {"aws_to_azure": {}},
                }
            ],
            "federation": {"aws_outbound": {"manage": True}},
        },
    }
    assert record(lambda: CrossCloudPlatform("p", outward)), "valid as a declaration: the platform builds it"
    with pytest.raises(ProgramError, match=r"federation\.awsToAzure: signs in from an AWS role the AWS half creates"):
        record(lambda: AzureIdentity("id", outward))


def test_declaration_args_refuse_secret_keys() -> None:
    from crosscloud.platform import CrossCloudPlatform, declaration_args

    config = {"crosscloud:residency": "eu", "crosscloud:tags": '{"owner": "x"}'}
    pulumi.runtime.set_all_config(config, ["crosscloud:tags"])
    try:
        with pytest.raises(pulumi.RunError, match=r"^Pulumi\.\w+\.yaml: crosscloud:tags: is set as a secret"):
            CrossCloudPlatform("p", declaration_args())
    finally:
        pulumi.runtime.set_all_config({}, [])


def test_stack_declaration_errors_name_the_stack_file() -> None:
    """From the stack's config, a problem names the file and key exactly as `crosscloud preview` does."""
    from crosscloud.platform import CrossCloudPlatform, declaration_args

    with pytest.raises(ProgramError, match=r"^Pulumi\.dev\.yaml: crosscloud:residency: 'mars' is not a residency set"):
        record(lambda: CrossCloudPlatform("p", declaration_args()), {"crosscloud:residency": "mars"})


# -- paths in the schema's spelling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rendered", "shown"),
    [
        ("aws.network.flow_log_retention_days", "aws.network.flowLogRetentionDays"),
        ("endpoints[2].azure.throughput.approved_by", "endpoints[2].azure.throughput.approvedBy"),
        (
            "azure.network.dns.zone_ids.privatelink.openai.azure.com",
            "azure.network.dns.zoneIds.privatelink.openai.azure.com",
        ),
        ("tags.cost_center", "tags.cost_center"),
        ("identity.workloads[0].aws_services[1]", "identity.workloads[0].awsServices[1]"),
        ("unknown_key", "unknown_key"),
    ],
)
def test_paths_are_restated_in_the_schemas_names(rendered: str, shown: str) -> None:
    """A dict key (a tag, a DNS zone with dots) stays as the consumer wrote it; field names become camelCase."""
    assert inputs.input_path(inputs._split(rendered)) == shown


def test_every_declaration_key_has_an_input() -> None:
    """The inputs mirror the declaration's models: a key added to one and not the other fails here."""
    import typing

    from pydantic import BaseModel

    from crosscloud.declaration.spec import PlatformSpec

    def compare(model: type[BaseModel], typed: Any, path: str) -> list[str]:
        hints = typing.get_type_hints(typed)
        problems = [f"{path}{k}" for k in model.model_fields if k not in hints]
        problems += [f"{path}{k} (extra)" for k in hints if k not in model.model_fields]
        for key, field in model.model_fields.items():
            inner = _model(field.annotation)
            typed_inner = inputs._strip(hints.get(key)) if key in hints else None
            if typing.get_origin(typed_inner) is list:
                typed_inner = typing.get_args(typed_inner)[0]
            if inner is not None and typed_inner is not None and typing.is_typeddict(typed_inner):
                problems += compare(inner, typed_inner, f"{path}{key}.")
        return problems

    def _model(annotation: Any) -> type[BaseModel] | None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in typing.get_args(annotation):
            found = _model(arg)
            if found is not None:
                return found
        return None

    assert compare(PlatformSpec, DeclarationArgs, "") == []


# -- packaging -------------------------------------------------------------------------------------------------------


def test_the_packs_are_found_in_a_checkout_and_as_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crosscloud.policies as policies

    checkout = policies.pack_folders()
    assert [p.name for p in checkout] == ["capacity", "governance", "portability", "residency", "security"]
    assert checkout[0].parent == policies.CHECKOUT_PACKS
    installed = tmp_path / "packs"
    for pack in checkout:
        (installed / pack.name).mkdir(parents=True)
        (installed / pack.name / policies.POLICY_PACK_FILE).write_text("runtime: python\n")
    monkeypatch.setattr(policies, "INSTALLED_PACKS", installed)
    assert policies.pack_root() == installed, "an installed wheel's packs come first"
    assert json.dumps([p.name for p in policies.pack_folders()]) == json.dumps([p.name for p in checkout])


def test_the_picture_looks_through_the_platform(project: Project) -> None:
    """`crosscloud graph` shows the per-cloud components, as before the platform component: no `index` cloud, and a
    resource the platform holds directly (the resource group of a stack without a VNet) stands on its own."""
    from crosscloud.evidence.graph import mermaid

    picture = mermaid(shipped(project, "prod"))
    assert "CrossCloudPlatform" not in picture and 'subgraph index["index"]' not in picture
    assert '["aws-bedrock: BedrockAccess (18 resources)"]' in picture

    def program() -> None:
        from crosscloud.platform import AzureGpuCapacity

        AzureGpuCapacity("gpu", {"residency": "eu", "azure": {"location": "swedencentral"}})

    resources = record(program)
    graph = Graph(project="proj", stack="dev", config={}, resources=resources, outputs={})
    assert '["azure-rg: ResourceGroup, in swedencentral"]' in mermaid(graph)
