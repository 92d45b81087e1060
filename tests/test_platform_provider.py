"""crosscloud's component provider over gRPC, as the Pulumi engine drives it (no Pulumi CLI): the provider runs as its
own process; `GetSchema` is compared with a snapshot; `Construct` builds the same child graph as the Python program
for both shipped stacks; the wire's integers, enums, missing inputs and consumers' providers are handled; the README's
YAML example is checked against the schema and constructed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from crosscloud.declaration import read_stack_file
from crosscloud.engine.config import engine_config, merge_project_config
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.synth import synthesize
from tests.conftest import CHECKOUT, FIXTURES
from tests.provider_host import Constructed, Provider, running_provider, schema_inputs

SCHEMA_SNAPSHOT = FIXTURES / "provider" / "schema.json"
PLATFORM = "crosscloud:index:CrossCloudPlatform"
README = (CHECKOUT / "README.md").read_text(encoding="utf-8")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


@pytest.fixture(scope="module")
def provider() -> Any:
    with running_provider() as running:
        yield running


def declared(project: Project, stack: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A shipped stack's declaration as component inputs (Python names), and its config as the engine sends it."""
    raw = merge_project_config(project, read_stack_file(project.stack_file(stack)), stack)
    args = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("crosscloud:")}
    return args, engine_config(raw).values


def example(marker: str, language: str) -> str:
    """The README's code block of `language` right after `<!-- consumer: <marker> ... -->`."""
    after = README.split(f"<!-- consumer: {marker} ", 1)[1]
    return after.split(f"```{language}\n", 1)[1].split("```", 1)[0]


# -- the schema -----------------------------------------------------------------------------------------------------


def test_schema_matches_the_snapshot(provider: Provider) -> None:
    """The schema consumers generate their SDKs from. A deliberate change: CROSSCLOUD_UPDATE_SCHEMA=1 rewrites the
    snapshot (then review its diff, and bump the version if inputs changed)."""
    schema = json.loads(provider.schema())
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if os.environ.get("CROSSCLOUD_UPDATE_SCHEMA") == "1":
        SCHEMA_SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCHEMA_SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SCHEMA_SNAPSHOT.read_text(encoding="utf-8"), "schema changed: CROSSCLOUD_UPDATE_SCHEMA=1 rewrites it"
    assert sorted(schema["resources"]) == [
        "crosscloud:index:AwsGpuCapacity",
        "crosscloud:index:AwsIdentity",
        "crosscloud:index:AwsNetwork",
        "crosscloud:index:AzureFoundry",
        "crosscloud:index:AzureGpuCapacity",
        "crosscloud:index:AzureIdentity",
        "crosscloud:index:AzureNetwork",
        "crosscloud:index:BedrockAccess",
        PLATFORM,
    ]
    platform = schema["resources"][PLATFORM]
    assert platform["isComponent"] is True
    assert platform["requiredInputs"] == ["residency"]
    assert {"endpoints", "workloads", "awsInvokeTargets", "azureIdentityPrincipalIds"} <= set(platform["properties"])
    network = schema["types"]["crosscloud:index:AwsNetworkSettings"]["properties"]
    assert network["cidr"] == {"type": "string", "plain": True}, "a CIDR is a string on the wire"
    assert network["zones"]["type"] == "integer"
    environment = schema["types"]["crosscloud:index:Environment"]
    assert [e["value"] for e in environment["enum"]] == ["dev", "staging", "prod"]


def test_plugin_version_is_the_package_version(provider: Provider) -> None:
    """The versioning rule: tag v<version> = pyproject's [project].version = what the plugin and schema report."""
    declared_version = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["version"]
    assert provider.version() == metadata.version("crosscloud") == declared_version
    assert json.loads(provider.schema())["version"] == declared_version
    assert SEMVER.match(declared_version), f"{declared_version!r} is not semver: pulumi package add needs v<semver>"


def test_plugin_manifest_runs_this_entry_point() -> None:
    manifest = yaml.safe_load((CHECKOUT / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert "component_provider_host" in (CHECKOUT / "crosscloud" / "platform" / "provider.py").read_text()
    assert (CHECKOUT / "__main__.py").read_text().count("crosscloud.platform.provider import main") == 1


# -- Construct: the same graph as the Python program ----------------------------------------------------------------


def comparable(resource: Resource) -> dict[str, Any]:
    """What the engine receives for a resource. Two things only the offline engine adds in-process are left out:
    `computed` (read from the SDK classes) and a `name` the provider's Check would auto-name."""
    data = dataclasses.asdict(resource)
    data.pop("computed", None)
    inputs = dict(data.get("inputs") or {})
    if inputs.get("name") == UNKNOWN:
        inputs.pop("name")
    data["inputs"] = inputs
    return data


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_construct_builds_the_python_programs_graph(provider: Provider, project: Project, stack: str) -> None:
    args, config = declared(project, stack)
    built = provider.construct(PLATFORM, "crosscloud", schema_inputs(args), stack=stack, config=config)
    python = synthesize(project, stack, config)
    expected = {r.urn: r for r in python.resources if r.urn.split("::")[2].startswith(PLATFORM)}
    assert built.urn == f"urn:pulumi:{stack}::crosscloud::{PLATFORM}::crosscloud"
    assert sorted(built.by_urn()) == sorted(expected), "the same resources, by URN"
    for urn, resource in built.by_urn().items():
        assert comparable(resource) == comparable(expected[urn]), urn
    assert len(built.resources) == {"dev": 169, "prod": 155}[stack]
    assert {"secrets", "resourceReferences", "aliasSpecs"} <= set(built.features), "asked as the SDK asks an engine"
    assert built.state["residency"] == "eu"
    assert set(built.state["endpoints"]) == {e["name"] for e in args["endpoints"]}
    # The stack outputs of the Python program are the component's outputs, under the schema's names.
    stack_outputs = python.outputs
    assert {k for k in stack_outputs} == {re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), k) for k in built.state}


# -- what the wire does to inputs ------------------------------------------------------------------------------------


def construct_network(provider: Provider, zones: Any, **extra: Any) -> Constructed:
    inputs = {"residency": "eu", "aws": {"region": "eu-central-1", "network": {"cidr": "10.70.0.0/16", "zones": zones}}}
    return provider.construct("crosscloud:index:AwsNetwork", "net", inputs | extra, stack="dev")


def test_integers_arrive_as_floats_and_are_whole_numbers_again(provider: Provider) -> None:
    """A Struct carries every number as a double (3 -> 3.0) and the SDK hands the float on; the declaration's
    integers are strict, so the component turns a whole-number float back into an int."""
    built = construct_network(provider, 3)
    subnets = [r for r in built.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert sorted(r.inputs["availabilityZone"] for r in subnets) == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    with pytest.raises(grpc.RpcError) as failure:
        construct_network(provider, 2.5)
    assert "crosscloud:index:AwsNetwork net: aws.network.zones: 2.5: must be a whole number" in failure.value.details()


def test_enums_arrive_as_their_values(provider: Provider) -> None:
    """`environment: prod` is an enum on the wire: prod protects what holds state, dev does not."""
    protected = {}
    for environment in ("dev", "prod"):
        built = construct_network(provider, 2, environment=environment)
        logs = next(r for r in built.resources if r.type == "aws:cloudwatch/logGroup:LogGroup")
        protected[environment] = logs.protect
    assert protected == {"dev": False, "prod": True}
    with pytest.raises(grpc.RpcError) as failure:
        construct_network(provider, 2, environment="production")
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "environment" in _property_errors(failure.value), "the SDK names the enum property"


def _property_errors(error: grpc.RpcError) -> dict[str, str]:
    """The InputPropertiesError details the SDK attaches (property path -> reason), as the engine reads them."""
    from google.rpc import status_pb2
    from pulumi.runtime.proto import errors_pb2

    found: dict[str, str] = {}
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            errors = errors_pb2.InputPropertiesError()
            if detail.Unpack(errors):
                found |= {e.property_path: e.reason for e in errors.errors}
    return found


def test_a_missing_input_is_named(provider: Provider) -> None:
    with pytest.raises(grpc.RpcError) as failure:
        provider.construct(PLATFORM, "p", {"aws": {"region": "eu-central-1"}}, stack="dev")
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _property_errors(failure.value) == {
        "residency": "Missing required input 'residency' on 'CrossCloudPlatform'"
    }
    with pytest.raises(grpc.RpcError) as nested:
        provider.construct(PLATFORM, "p", {"residency": "eu", "aws": {"network": {"cidr": "10.1.0.0/16"}}}, stack="dev")
    assert list(_property_errors(nested.value)) == ["aws.region"]


def test_a_bad_declaration_names_the_input_as_written(provider: Provider) -> None:
    """The declaration's own checks (structure, then the catalog) name the property path in the schema's spelling,
    one line per problem, before any resource exists."""
    structure = {
        "residency": "eu",
        "aws": {"region": "eu-central-1", "network": {"cidr": "8.8.0.0/16", "flowLogRetentionDays": 31}},
    }
    with pytest.raises(grpc.RpcError) as failure:
        provider.construct(PLATFORM, "p", structure, stack="dev")
    lines = failure.value.details().removeprefix("Unexpected <class 'Exception'>: ").splitlines()
    assert lines[0].startswith("crosscloud:index:CrossCloudPlatform p: aws.network.cidr: '8.8.0.0/16': must lie inside")
    assert lines[1].startswith("crosscloud:index:CrossCloudPlatform p: aws.network.flowLogRetentionDays: 31: must be")
    catalog = {
        "residency": "eu",
        "aws": {"region": "eu-central-1"},
        "endpoints": [{"name": "chat", "aws": {"model": "x"}}],
    }
    with pytest.raises(grpc.RpcError) as unknown:
        provider.construct(PLATFORM, "p", catalog, stack="dev")
    details = unknown.value.details()
    assert "crosscloud:index:CrossCloudPlatform p: endpoints[0].aws.model: 'x'" in details, details
    assert "crosscloud:aws" not in details and "Pulumi.dev.yaml" not in details, "no stack-file names for inputs"


def test_consumers_providers_are_not_used(provider: Provider) -> None:
    """Every custom child names a provider the component created from the declaration, never one the consumer
    passed (a consumer passing several used to lose all but one); their Region and location are the declaration's."""
    theirs = {
        "aws": "urn:pulumi:dev::crosscloud::pulumi:providers:aws::theirs::aws-id",
        "azure-native": "urn:pulumi:dev::crosscloud::pulumi:providers:azure-native::theirs::azure-id",
    }
    inputs = {
        "residency": "eu",
        "aws": {"region": "eu-central-1"},
        "azure": {"location": "swedencentral", "network": {"cidr": "10.71.0.0/16"}},
        "endpoints": [
            {"name": "chat", "aws": {"model": "gpt-oss-120b"}, "azure": {"model": "gpt-5.1"}, "primary": "azure"}
        ],
    }
    built = provider.construct(PLATFORM, "p", inputs, stack="dev", providers=theirs)
    providers = {r.urn: r for r in built.resources if r.type.startswith("pulumi:providers:")}
    assert {(r.type, r.name) for r in providers.values()} == {
        ("pulumi:providers:aws", "aws-eu-central-1"),
        ("pulumi:providers:azure-native", "azure-swedencentral"),
    }
    assert all(r.parent == built.urn for r in providers.values()), "the component's own children"
    used = {r.provider for r in built.resources if r.custom and not r.type.startswith("pulumi:providers:")}
    assert used == set(providers), "no child uses a consumer's provider, none a default provider"
    by_type = {r.type: r for r in providers.values()}
    assert by_type["pulumi:providers:aws"].inputs["region"] == "eu-central-1"
    assert by_type["pulumi:providers:azure-native"].inputs["location"] == "swedencentral"


# -- the README's consumer examples ---------------------------------------------------------------------------------


def check_against_schema(value: Any, spec: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    """What `pulumi` would refuse in a YAML program's properties: unknown or missing properties, wrong types, values
    outside an enum."""
    if "$ref" in spec:
        target = schema["types"][spec["$ref"].removeprefix("#/types/")]
        if "enum" in target:
            allowed = [e["value"] for e in target["enum"]]
            return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
        return check_object(value, target["properties"], target.get("required", []), schema, path)
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for i, v in enumerate(value) for p in check_against_schema(v, spec["items"], schema, f"{path}[{i}]")]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        return [p for k, v in value.items() for p in check_against_schema(v, spec["additionalProperties"], schema, k)]
    python = {"string": str, "integer": int, "number": (int, float), "boolean": bool}[kind]
    return [] if isinstance(value, python) and not (kind != "boolean" and isinstance(value, bool)) else [path]


def check_object(
    value: Any, properties: dict[str, Any], required: list[str], schema: dict[str, Any], path: str
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: not an object"]
    problems = [f"{path}.{k}: unknown property" for k in value if k not in properties]
    problems += [f"{path}.{k}: required" for k in required if k not in value]
    for key, item in value.items():
        if key in properties:
            problems += check_against_schema(item, properties[key], schema, f"{path}.{key}")
    return problems


def test_yaml_example_is_valid_against_the_schema_and_constructs(provider: Provider) -> None:
    program = yaml.safe_load(example("yaml", "yaml"))
    schema = json.loads(provider.schema())
    assert program["packages"]["crosscloud"].endswith("@v" + metadata.version("crosscloud"))
    for name, resource in program["resources"].items():
        component = schema["resources"][resource["type"]]
        properties = resource["properties"]
        inputs = component["inputProperties"]
        assert check_object(properties, inputs, component["requiredInputs"], schema, name) == []
        built = provider.construct(resource["type"], name, properties, stack="dev", project="ai-platform")
        assert built.state["endpoints"]["chat"]["primary"] == "azure"
        assert {"aws:ec2/vpc:Vpc", "azure-native:cognitiveservices:Account"} <= {r.type for r in built.resources}
    for output in program["outputs"].values():
        reference = output.strip("${}").split(".")
        assert reference[0] in program["resources"]
        assert reference[1] in schema["resources"][program["resources"][reference[0]]["type"]]["properties"]
    assert check_object({"residency": 1}, inputs, [], schema, "p") == ["p.residency"], "the check itself can fail"


def python_example_project(tmp_path: Path, marker: str, stack_file: str) -> Path:
    root = tmp_path / marker
    root.mkdir()
    (root / "Pulumi.yaml").write_text(f"name: {marker}\nruntime: python\n", encoding="utf-8")
    (root / "Pulumi.dev.yaml").write_text(stack_file, encoding="utf-8")
    (root / "__main__.py").write_text(example(marker, "python"), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("marker", "stack_file"),
    [
        ("python-platform", (CHECKOUT / "Pulumi.dev.yaml").read_text(encoding="utf-8")),
        ("python-bedrock", "config:\n  crosscloud:residency: eu\n"),
    ],
)
def test_python_examples_preview_clean(
    marker: str, stack_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each README program, as a project of its own (no policies/ folder: the packs crosscloud ships check it), passes
    `crosscloud preview dev` with no finding."""
    from crosscloud.cli import main

    root = python_example_project(tmp_path, marker, stack_file)
    assert main(["preview", "dev", "-C", str(root)]) == 0
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("[")], out
    assert "No policy violations in" in out
    assert "Endpoints:" in out
