"""The Azure half of the shipped stacks, synthesized offline: what `crosscloud synth prod` / `dev` must contain, and
every enum-typed string the Azure components send checked against pulumi-azure-native's own enum classes."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pulumi_azure_native as azure_native
import pytest

from crosscloud.declaration import pulumi_config_map, read_stack_file
from crosscloud.engine.graph import Graph, Resource
from crosscloud.engine.project import Project
from crosscloud.engine.synth import synthesize
from tests.conftest import ROOT


def synth(project: Project, stack: str) -> Graph:
    return synthesize(project, stack, pulumi_config_map(read_stack_file(ROOT / f"Pulumi.{stack}.yaml")))


@pytest.fixture(scope="module")
def prod(project: Project) -> Graph:
    return synth(project, "prod")


@pytest.fixture(scope="module")
def dev(project: Project) -> Graph:
    return synth(project, "dev")


def of_type(graph: Graph, token: str) -> list[Resource]:
    return [r for r in graph.resources if r.type == token]


def test_prod_has_every_azure_component_with_its_secure_settings(prod: Graph) -> None:
    [account] = of_type(prod, "azure-native:cognitiveservices:Account")
    props = account.inputs["properties"]
    assert account.inputs["kind"] == "AIServices" and account.inputs["sku"] == {"name": "S0"}
    assert props["disableLocalAuth"] is True and props["allowProjectManagement"] is True
    assert props["publicNetworkAccess"] == "Disabled" and props["networkAcls"]["defaultAction"] == "Deny"
    assert account.protect is True
    assert {p.inputs["projectName"] for p in of_type(prod, "azure-native:cognitiveservices:Project")} == {
        "default",
        "agents",
    }

    deployments = {d.inputs["deploymentName"]: d for d in of_type(prod, "azure-native:cognitiveservices:Deployment")}
    # One deployment per deployment-route endpoint, each with the resident SKU the catalog resolved, plus the
    # PTU's spillover of the same (regional) processing class.
    assert {n: d.inputs["sku"]["name"] for n, d in deployments.items()} == {
        "chat": "ProvisionedManaged",
        "chat-spillover": "Standard",
        "reasoning": "Standard",
        "summarise": "Standard",
        "embed": "Standard",
    }
    assert deployments["chat"].inputs["properties"]["spilloverDeploymentName"] == "chat-spillover"
    assert all(d.inputs["properties"]["versionUpgradeOption"] == "NoAutoUpgrade" for d in deployments.values())
    # The chain: every deployment but the first waits for exactly one other deployment.
    urns = {d.urn for d in deployments.values()}
    waits = sorted(len(urns & set(d.dependencies)) for d in deployments.values())
    assert waits == [0, 1, 1, 1, 1]

    [endpoint] = of_type(prod, "azure-native:machinelearningservices:ServerlessEndpoint")
    assert endpoint.inputs["properties"]["authMode"] == "AAD"
    assert endpoint.inputs["location"] == "swedencentral"
    kinds = {w.inputs["kind"]: w for w in of_type(prod, "azure-native:machinelearningservices:Workspace")}
    assert set(kinds) == {"Hub", "Project"} and all(w.protect for w in kinds.values())
    [vault] = of_type(prod, "azure-native:keyvault:Vault")
    assert vault.protect is True
    [workspace] = of_type(prod, "azure-native:operationalinsights:Workspace")
    assert workspace.protect is True

    groups = {
        pe.inputs["privateLinkServiceConnections"][0]["groupIds"][0]
        for pe in of_type(prod, "azure-native:network:PrivateEndpoint")
    }
    assert groups == {"account", "amlworkspace"}
    assert len(of_type(prod, "azure-native:network:PrivateDnsZoneGroup")) == 2
    assert {z.inputs["privateZoneName"] for z in of_type(prod, "azure-native:privatedns:PrivateZone")} == {
        "privatelink.cognitiveservices.azure.com",
        "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com",
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
    }
    agents = [s for s in of_type(prod, "azure-native:network:Subnet") if s.inputs["subnetName"] == "agents"]
    assert agents[0].inputs["delegations"][0]["serviceName"] == "Microsoft.App/environments"
    assert len(of_type(prod, "azure-native:monitor:DiagnosticSetting")) == 4

    # rag-api, batch-drafts, the gateway and CI
    assert len(of_type(prod, "azure-native:managedidentity:UserAssignedIdentity")) == 4
    roles = {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        for r in of_type(prod, "azure-native:authorization:RoleAssignment")
    }
    assert roles == {
        "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",  # Cognitive Services OpenAI User (rag-api on the account)
        "53ca6127-db72-4b80-b1b0-d745d6d5456d",  # Azure AI User (rag-api on the project)
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",  # Reader (CI on the resource group)
        "64702f94-c441-49e6-a78b-ef80e0188fee",  # Azure AI Developer (the gateway on the serverless project)
    }
    subjects = {c.inputs["subject"] for c in of_type(prod, "azure-native:managedidentity:FederatedIdentityCredential")}
    # prod's deploy job runs in the GitHub environment 'prod' (crosscloud:identity.ci.environment): its subject.
    assert subjects == {
        "repo:acme/ml-platform:environment:prod",
        "repo:acme/ml-platform:pull_request",
        "arn:aws:iam::123456789012:role/crosscloud/crosscloud-prod-gateway",  # the gateway on AWS (outbound federation)
    }


def test_prod_outputs_describe_each_azure_endpoint(prod: Graph) -> None:
    endpoints = prod.outputs["endpoints"]
    chat = endpoints["chat"]["azure"]
    assert chat["route"] == "deployment" and chat["sku"] == "ProvisionedManaged" and chat["processing"] == "regional"
    assert chat["name"] == "chat" and chat["url"].endswith(".openai.azure.com/openai/deployments/chat")
    cohere = endpoints["embed-multilingual"]["azure"]
    assert cohere["route"] == "serverless" and cohere["sku"] == "Consumption"
    assert cohere["name"].startswith("embed-multilingual-")
    assert "secret" not in str(prod.outputs).lower() and "key" not in str(prod.outputs.get("endpoints")).lower()


def test_dev_exercises_the_targeted_gpu_reservation_and_dns_by_policy(dev: Graph) -> None:
    [reservation] = of_type(dev, "azure-native:compute:CapacityReservation")
    assert reservation.inputs["sku"] == {"name": "Standard_NC24ads_A100_v4", "capacity": 1}
    assert not of_type(dev, "azure-native:privatedns:PrivateZone")
    assert not of_type(dev, "azure-native:network:PrivateDnsZoneGroup")
    # Foundry's and the serverless hub's, then the self-hosted fleet's weights store and registry
    assert len(of_type(dev, "azure-native:network:PrivateEndpoint")) == 4
    [account] = of_type(dev, "azure-native:cognitiveservices:Account")
    assert account.inputs["properties"]["publicNetworkAccess"] == "Enabled"
    assert account.protect is False
    assert len(of_type(dev, "azure-native:machinelearningservices:ServerlessEndpoint")) == 1


# (resource type, dotted input path, the SDK enum the value must belong to). A path ending in [] walks a list.
ENUM_FIELDS: list[tuple[str, str, type[Enum]]] = [
    (
        "azure-native:cognitiveservices:Account",
        "properties.publicNetworkAccess",
        azure_native.cognitiveservices.PublicNetworkAccess,
    ),
    (
        "azure-native:cognitiveservices:Account",
        "properties.networkAcls.defaultAction",
        azure_native.cognitiveservices.NetworkRuleAction,
    ),
    (
        "azure-native:cognitiveservices:Account",
        "properties.networkAcls.bypass",
        azure_native.cognitiveservices.ByPassSelection,
    ),
    ("azure-native:cognitiveservices:Account", "identity.type", azure_native.cognitiveservices.ResourceIdentityType),
    ("azure-native:cognitiveservices:Project", "identity.type", azure_native.cognitiveservices.ResourceIdentityType),
    (
        "azure-native:cognitiveservices:Account",
        "properties.networkInjections[].scenario",
        azure_native.cognitiveservices.ScenarioType,
    ),
    (
        "azure-native:cognitiveservices:Deployment",
        "properties.versionUpgradeOption",
        azure_native.cognitiveservices.DeploymentModelVersionUpgradeOption,
    ),
    ("azure-native:cognitiveservices:RaiPolicy", "properties.mode", azure_native.cognitiveservices.RaiPolicyMode),
    (
        "azure-native:cognitiveservices:RaiPolicy",
        "properties.contentFilters[].source",
        azure_native.cognitiveservices.RaiPolicyContentSource,
    ),
    (
        "azure-native:cognitiveservices:RaiPolicy",
        "properties.contentFilters[].severityThreshold",
        azure_native.cognitiveservices.ContentLevel,
    ),
    (
        "azure-native:machinelearningservices:Workspace",
        "publicNetworkAccess",
        azure_native.machinelearningservices.PublicNetworkAccessType,
    ),
    (
        "azure-native:machinelearningservices:Workspace",
        "identity.type",
        azure_native.machinelearningservices.ManagedServiceIdentityType,
    ),
    ("azure-native:machinelearningservices:Workspace", "sku.tier", azure_native.machinelearningservices.SkuTier),
    (
        "azure-native:machinelearningservices:Workspace",
        "systemDatastoresAuthMode",
        azure_native.machinelearningservices.SystemDatastoresAuthMode,
    ),
    (
        "azure-native:machinelearningservices:Workspace",
        "managedNetwork.isolationMode",
        azure_native.machinelearningservices.IsolationMode,
    ),
    (
        "azure-native:machinelearningservices:ServerlessEndpoint",
        "properties.authMode",
        azure_native.machinelearningservices.ServerlessInferenceEndpointAuthMode,
    ),
    ("azure-native:storage:StorageAccount", "sku.name", azure_native.storage.SkuName),
    ("azure-native:storage:StorageAccount", "kind", azure_native.storage.Kind),
    ("azure-native:storage:StorageAccount", "minimumTlsVersion", azure_native.storage.MinimumTlsVersion),
    ("azure-native:storage:StorageAccount", "publicNetworkAccess", azure_native.storage.PublicNetworkAccess),
    ("azure-native:storage:StorageAccount", "networkRuleSet.defaultAction", azure_native.storage.DefaultAction),
    ("azure-native:storage:StorageAccount", "networkRuleSet.bypass", azure_native.storage.Bypass),
    ("azure-native:keyvault:Vault", "properties.sku.name", azure_native.keyvault.SkuName),
    ("azure-native:keyvault:Vault", "properties.sku.family", azure_native.keyvault.SkuFamily),
    ("azure-native:keyvault:Vault", "properties.publicNetworkAccess", azure_native.keyvault.PublicNetworkAccess),
    ("azure-native:keyvault:Vault", "properties.networkAcls.defaultAction", azure_native.keyvault.NetworkRuleAction),
    ("azure-native:keyvault:Vault", "properties.networkAcls.bypass", azure_native.keyvault.NetworkRuleBypassOptions),
    ("azure-native:operationalinsights:Workspace", "sku.name", azure_native.operationalinsights.WorkspaceSkuNameEnum),
    ("azure-native:authorization:RoleAssignment", "principalType", azure_native.authorization.PrincipalType),
    (
        "azure-native:network:Subnet",
        "privateEndpointNetworkPolicies",
        azure_native.network.VirtualNetworkPrivateEndpointNetworkPolicies,
    ),
]


def _values(value: Any, path: list[str]) -> list[Any]:
    if not path:
        return [value]
    head, rest = path[0], path[1:]
    if head.endswith("[]"):
        items = value.get(head[:-2], []) if isinstance(value, dict) else []
        return [v for item in items for v in _values(item, rest)]
    if not isinstance(value, dict) or head not in value:
        return []
    return _values(value[head], rest)


@pytest.mark.parametrize(
    ("token", "path", "enum"), ENUM_FIELDS, ids=[f"{t.split(':')[-1]}.{p}" for t, p, _ in ENUM_FIELDS]
)
def test_enum_strings_are_values_of_the_sdk_enums(prod: Graph, token: str, path: str, enum: type[Enum]) -> None:
    found = [v for r in of_type(prod, token) for v in _values(r.inputs, path.split("."))]
    assert found, f"prod sends no {token} {path}: the check would be vacuous"
    allowed = {m.value for m in enum}
    assert set(found) <= allowed, f"{token} {path}: {sorted(set(found) - allowed)} not in {enum.__name__}"
