"""Azure components under the SDK mock monitor: the inputs each child would send to the engine."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

import crosscloud.engine.synth as synth
from crosscloud.components.azure import (
    AzureFoundry,
    AzureFoundryArgs,
    AzureGpuCapacity,
    AzureGpuCapacityArgs,
    AzureIdentity,
    AzureIdentityArgs,
    AzureMonitoring,
    AzureMonitoringArgs,
    AzureNetwork,
    AzureNetworkArgs,
    AzureServerless,
    AzureServerlessArgs,
    FoundryDeployment,
    Grant,
    IdentitySpec,
    ServerlessModel,
)
from crosscloud.components.azure import gpu as gpu_module
from crosscloud.components.azure.identity import github_actions_credentials
from crosscloud.components.azure.interfaces import assignment_name
from crosscloud.components.azure.roles import BUILTIN_ROLES
from crosscloud.components.providers import azure_provider, with_provider
from crosscloud.components.standard import CustomerManagedKey, Diagnostics, PrivateEndpoint
from crosscloud.declaration.spec import FOUNDRY_DNS_ZONES, ML_DNS_ZONES, AzureSettings
from crosscloud.engine.graph import UNKNOWN, Resource
from crosscloud.engine.synth import DEFAULT_SUBSCRIPTION_ID, record

TAGS = {"owner": "ml-platform", "managed-by": "crosscloud"}
RG = "rg-crosscloud-test"
SUB = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups"
WORKSPACE = f"{SUB}/rg/providers/Microsoft.OperationalInsights/workspaces/log"
ZONE_IDS = {
    z: f"{SUB}/dns/providers/Microsoft.Network/privateDnsZones/{z}" for z in (*FOUNDRY_DNS_ZONES, *ML_DNS_ZONES)
}
SUBNET = f"{SUB}/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/private-endpoints"


def run(body: Callable[[], object]) -> list[Resource]:
    resources, _ = record("crosscloud", "test", {}, body)
    return resources


def with_azure(build: Callable[[Any], object]) -> Callable[[], object]:
    def body() -> None:
        build(with_provider(azure_provider("azure", AzureSettings(location="swedencentral"))))

    return body


def of_type(resources: list[Resource], token: str) -> list[Resource]:
    return [r for r in resources if r.type == token]


def named(resources: list[Resource], name: str) -> Resource:
    [found] = [r for r in resources if r.name == name]
    return found


# -- network -----------------------------------------------------------------------------------------------------


def network(**extra: Any) -> list[Resource]:
    args = AzureNetworkArgs(
        location="swedencentral",
        cidr=ipaddress.IPv4Network("10.51.0.0/16"),
        resource_group_name=RG,
        dns_zones=FOUNDRY_DNS_ZONES,
        tags=TAGS,
        **extra,
    )
    return run(with_azure(lambda opts: AzureNetwork("net", args, opts=opts)))


def test_agent_subnet_is_delegated_to_container_apps_environments_with_exact_casing() -> None:
    resources = network(agent_subnet=True)
    subnets = {s.inputs["subnetName"]: s for s in of_type(resources, "azure-native:network:Subnet")}
    assert set(subnets) == {"private-endpoints", "workloads", "agents"}
    assert subnets["agents"].inputs["delegations"] == [
        {"name": "Microsoft.App/environments", "serviceName": "Microsoft.App/environments"}
    ]
    assert subnets["agents"].inputs["addressPrefix"] == "10.51.32.0/20"
    assert "delegations" not in subnets["workloads"].inputs
    assert subnets["workloads"].urn in subnets["agents"].dependencies, "subnet writes stay serialised"


def test_no_agent_subnet_unless_asked() -> None:
    names = {s.inputs["subnetName"] for s in of_type(network(), "azure-native:network:Subnet")}
    assert names == {"private-endpoints", "workloads"}


def test_dns_mode_create_makes_the_three_foundry_zones_linked_to_the_vnet() -> None:
    resources = network()
    zones = of_type(resources, "azure-native:privatedns:PrivateZone")
    assert sorted(z.inputs["privateZoneName"] for z in zones) == [
        "privatelink.cognitiveservices.azure.com",
        "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com",
    ]
    assert {z.inputs["location"] for z in zones} == {"global"}
    links = of_type(resources, "azure-native:privatedns:VirtualNetworkLink")
    assert len(links) == 3
    [vnet] = of_type(resources, "azure-native:network:VirtualNetwork")
    for link in links:
        assert link.inputs["registrationEnabled"] is False
        assert link.inputs["virtualNetwork"] == {"id": UNKNOWN}
        assert vnet.urn in link.property_dependencies["virtualNetwork"]


def test_dns_mode_existing_and_policy_create_no_zone() -> None:
    existing = network(dns_mode="existing", existing_zone_ids={z: ZONE_IDS[z] for z in FOUNDRY_DNS_ZONES})
    assert not of_type(existing, "azure-native:privatedns:PrivateZone")
    policy = network(dns_mode="policy")
    assert not of_type(policy, "azure-native:privatedns:PrivateZone")
    assert not of_type(policy, "azure-native:privatedns:VirtualNetworkLink")


# -- Foundry -----------------------------------------------------------------------------------------------------

PTU = FoundryDeployment(
    name="chat",
    model_format="OpenAI",
    model_name="gpt-4.1",
    model_version="2025-04-14",
    sku="ProvisionedManaged",
    capacity=50,
    processing="regional",
    provisioned=True,
    spillover_sku="Standard",
    spillover_capacity=50,
)
EMBED = FoundryDeployment(
    name="embed",
    model_format="OpenAI",
    model_name="text-embedding-3-large",
    model_version="1",
    sku="Standard",
    capacity=100,
    processing="regional",
)


def foundry(**extra: Any) -> list[Resource]:
    fields: dict[str, Any] = {
        "location": "swedencentral",
        "resource_group_name": RG,
        "custom_subdomain": "cc-crosscloud-test-1a2b3c4d",
        "projects": ("default", "agents"),
        "deployments": (PTU, EMBED),
        "private_endpoint": PrivateEndpoint(subnet_id=SUBNET, dns_zone_ids={z: ZONE_IDS[z] for z in FOUNDRY_DNS_ZONES}),
        "diagnostics": Diagnostics(workspace_id=WORKSPACE),
        "protect": True,
        "tags": TAGS,
    }
    fields.update(extra)
    args = AzureFoundryArgs(**fields)
    return run(with_azure(lambda opts: AzureFoundry("ai", args, opts=opts)))


def test_foundry_account_is_keyless_private_and_allows_projects() -> None:
    resources = foundry()
    [account] = of_type(resources, "azure-native:cognitiveservices:Account")
    assert account.inputs["kind"] == "AIServices"
    assert account.inputs["sku"] == {"name": "S0"}
    assert account.inputs["accountName"] == "cc-crosscloud-test-1a2b3c4d"
    props = account.inputs["properties"]
    assert props["allowProjectManagement"] is True
    assert props["customSubDomainName"] == "cc-crosscloud-test-1a2b3c4d"
    assert props["disableLocalAuth"] is True
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    assert account.inputs["identity"] == {"type": "SystemAssigned"}
    assert "encryption" not in props
    assert account.protect is True
    projects = of_type(resources, "azure-native:cognitiveservices:Project")
    assert sorted(p.inputs["projectName"] for p in projects) == ["agents", "default"]
    assert all(p.inputs["identity"] == {"type": "SystemAssigned"} for p in projects)


def test_agent_subnet_is_injected_into_the_account() -> None:
    agents = f"{SUB}/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/agents"
    [account] = of_type(foundry(agent_subnet_id=agents), "azure-native:cognitiveservices:Account")
    assert account.inputs["properties"]["networkInjections"] == [
        {"scenario": "agent", "subnetArmId": agents, "useMicrosoftManagedNetwork": False}
    ]
    [plain] = of_type(foundry(), "azure-native:cognitiveservices:Account")
    assert "networkInjections" not in plain.inputs["properties"]


def test_foundry_public_access_only_when_asked() -> None:
    [account] = of_type(foundry(public_network_access=True), "azure-native:cognitiveservices:Account")
    assert account.inputs["properties"]["publicNetworkAccess"] == "Enabled"
    assert account.inputs["properties"]["networkAcls"]["defaultAction"] == "Allow"
    assert account.inputs["properties"]["disableLocalAuth"] is True


def test_deployments_carry_the_resolved_offering_and_form_one_chain() -> None:
    resources = foundry()
    [rai] = of_type(resources, "azure-native:cognitiveservices:RaiPolicy")
    assert rai.inputs["raiPolicyName"] == "crosscloud-default"
    assert rai.inputs["properties"]["basePolicyName"] == "Microsoft.DefaultV2"
    filters = rai.inputs["properties"]["contentFilters"]
    assert {(f["name"], f["source"]) for f in filters if "severityThreshold" in f} == {
        (c, s) for c in ("Hate", "Sexual", "Violence", "Selfharm") for s in ("Prompt", "Completion")
    }
    assert all(f["blocking"] and f["enabled"] for f in filters)

    deployments = {
        d.inputs["deploymentName"]: d for d in of_type(resources, "azure-native:cognitiveservices:Deployment")
    }
    assert list(deployments) == ["chat", "chat-spillover", "embed"] or set(deployments) == {
        "chat",
        "chat-spillover",
        "embed",
    }
    chat, spill, embed = deployments["chat"], deployments["chat-spillover"], deployments["embed"]
    assert chat.inputs["sku"] == {"name": "ProvisionedManaged", "capacity": 50}
    assert chat.inputs["properties"] == {
        "model": {"format": "OpenAI", "name": "gpt-4.1", "version": "2025-04-14"},
        "raiPolicyName": "crosscloud-default",
        "versionUpgradeOption": "NoAutoUpgrade",
        "spilloverDeploymentName": "chat-spillover",
    }
    assert spill.inputs["sku"] == {"name": "Standard", "capacity": 50}
    assert "spilloverDeploymentName" not in spill.inputs["properties"]
    assert embed.inputs["sku"] == {"name": "Standard", "capacity": 100}
    assert embed.inputs["properties"]["model"] == {"format": "OpenAI", "name": "text-embedding-3-large", "version": "1"}
    # The chain: RAI policy -> spillover -> PTU -> next deployment; each waits for the one before.
    assert rai.urn in spill.dependencies
    assert spill.urn in chat.dependencies
    assert chat.urn in embed.dependencies
    assert all(rai.urn in d.dependencies for d in deployments.values())


def test_version_upgrade_follows_the_pin_choice() -> None:
    resources = foundry(pin_model_versions=False, deployments=(EMBED,))
    [embed] = of_type(resources, "azure-native:cognitiveservices:Deployment")
    assert embed.inputs["properties"]["versionUpgradeOption"] == "OnceCurrentVersionExpired"


def test_foundry_private_endpoint_dns_zone_group_and_diagnostics() -> None:
    resources = foundry()
    [pe] = of_type(resources, "azure-native:network:PrivateEndpoint")
    [connection] = pe.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["account"]
    assert pe.inputs["subnet"]["id"] == SUBNET
    [group] = of_type(resources, "azure-native:network:PrivateDnsZoneGroup")
    assert sorted(c["privateDnsZoneId"] for c in group.inputs["privateDnsZoneConfigs"]) == sorted(
        ZONE_IDS[z] for z in FOUNDRY_DNS_ZONES
    )
    [diag] = of_type(resources, "azure-native:monitor:DiagnosticSetting")
    assert diag.inputs["workspaceId"] == WORKSPACE
    assert diag.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert diag.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]


def test_dns_left_to_policy_means_no_zone_group() -> None:
    resources = foundry(private_endpoint=PrivateEndpoint(subnet_id=SUBNET))
    assert len(of_type(resources, "azure-native:network:PrivateEndpoint")) == 1
    assert not of_type(resources, "azure-native:network:PrivateDnsZoneGroup")


class _IdentityMapMocks(synth.PreviewMocks):
    """The azure-native provider turns `userAssignedIdentities: [id]` into `{id: {}}`; echoing mocks do not, so the
    SDK's typed output would reject the list. Do what the provider does, for this test only."""

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        identity = outputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            outputs["identity"] = {**identity, "userAssignedIdentities": {}}
        return resource_id, outputs


def test_customer_managed_key_uses_a_user_assigned_identity_granted_on_the_vault(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(synth, "PreviewMocks", _IdentityMapMocks)
    vault_id = f"{SUB}/keys/providers/Microsoft.KeyVault/vaults/kv-acme"
    cmk = CustomerManagedKey(
        key_vault_id=vault_id,
        key_vault_uri="https://kv-acme.vault.azure.net/",
        key_name="foundry",
        identity_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-cmk",
        identity_client_id="11111111-1111-1111-1111-111111111111",
        identity_principal_id="22222222-2222-2222-2222-222222222222",
    )
    resources = foundry(cmk=cmk, deployments=())
    [account] = of_type(resources, "azure-native:cognitiveservices:Account")
    assert account.inputs["identity"] == {
        "type": "SystemAssigned, UserAssigned",
        "userAssignedIdentities": [cmk.identity_id],
    }
    assert account.inputs["properties"]["encryption"] == {
        "keySource": "Microsoft.KeyVault",
        "keyVaultProperties": {
            "keyVaultUri": "https://kv-acme.vault.azure.net/",
            "keyName": "foundry",
            "identityClientId": "11111111-1111-1111-1111-111111111111",
        },
    }
    [grant] = of_type(resources, "azure-native:authorization:RoleAssignment")
    assert grant.inputs["scope"] == vault_id
    assert grant.inputs["roleDefinitionId"].endswith("/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6")
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.urn in account.dependencies, "the key must be readable before the account uses it"
    assert grant.inputs["roleAssignmentName"] == assignment_name(
        vault_id, "22222222-2222-2222-2222-222222222222", "Key Vault Crypto Service Encryption User"
    )
    assert assignment_name(vault_id, "x", "Reader") != assignment_name(vault_id, "y", "Reader")


# -- serverless --------------------------------------------------------------------------------------------------

COHERE_OFFER = "azureml://registries/azureml-cohere/models/Cohere-embed-v3-multilingual"
COHERE = f"{COHERE_OFFER}/versions/1"


def serverless(**extra: Any) -> list[Resource]:
    fields: dict[str, Any] = {
        "location": "swedencentral",
        "network_location": "swedencentral",
        "resource_group_name": RG,
        "tenant_id": "00000000-0000-0000-0000-00000000c0de",
        "hub_name": "hub-test",
        "project_name": "proj-test",
        "storage_account_name": "st0123456789abcdef",
        "key_vault_name": "kv-0123456789abcdef",
        "models": (
            ServerlessModel(key="embed-eu", endpoint_name="embed-eu-1a2b3c4d", model_id=COHERE, marketplace=True),
        ),
        "private_endpoint": PrivateEndpoint(subnet_id=SUBNET, dns_zone_ids={z: ZONE_IDS[z] for z in ML_DNS_ZONES}),
        "diagnostics": Diagnostics(workspace_id=WORKSPACE),
        "protect": True,
        "tags": TAGS,
    }
    fields.update(extra)
    args = AzureServerlessArgs(**fields)
    return run(with_azure(lambda opts: AzureServerless("maas", args, opts=opts)))


def test_serverless_endpoint_is_keyless_in_a_private_hub_project() -> None:
    resources = serverless()
    workspaces = {w.inputs["kind"]: w for w in of_type(resources, "azure-native:machinelearningservices:Workspace")}
    hub, project = workspaces["Hub"], workspaces["Project"]
    assert hub.inputs["location"] == project.inputs["location"] == "swedencentral"
    assert hub.inputs["publicNetworkAccess"] == project.inputs["publicNetworkAccess"] == "Disabled"
    assert hub.inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert hub.inputs["systemDatastoresAuthMode"] == "Identity"
    assert hub.inputs["identity"] == {"type": "SystemAssigned"}
    assert project.inputs["hubResourceId"] == UNKNOWN and hub.urn in project.dependencies
    assert hub.protect and project.protect

    [storage] = of_type(resources, "azure-native:storage:StorageAccount")
    assert storage.inputs["allowSharedKeyAccess"] is False and storage.inputs["allowBlobPublicAccess"] is False
    assert storage.inputs["publicNetworkAccess"] == "Disabled"
    assert storage.inputs["networkRuleSet"]["defaultAction"] == "Deny"
    [vault] = of_type(resources, "azure-native:keyvault:Vault")
    props = vault.inputs["properties"]
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["sku"] == {"family": "A", "name": "standard"}
    assert vault.protect is True

    [subscription] = of_type(resources, "azure-native:machinelearningservices:MarketplaceSubscription")
    assert subscription.inputs["properties"] == {"modelId": COHERE_OFFER}, "the Marketplace offer has no version"
    [endpoint] = of_type(resources, "azure-native:machinelearningservices:ServerlessEndpoint")
    assert endpoint.inputs["name"] == "embed-eu-1a2b3c4d"
    assert endpoint.inputs["sku"] == {"name": "Consumption"}
    assert endpoint.inputs["properties"] == {"authMode": "AAD", "modelSettings": {"modelId": COHERE}}
    assert subscription.urn in endpoint.dependencies, "the marketplace subscription comes first"

    [pe] = of_type(resources, "azure-native:network:PrivateEndpoint")
    assert pe.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["amlworkspace"]
    [group] = of_type(resources, "azure-native:network:PrivateDnsZoneGroup")
    assert len(group.inputs["privateDnsZoneConfigs"]) == 2
    assert len(of_type(resources, "azure-native:monitor:DiagnosticSetting")) == 3


def test_serverless_without_marketplace_needs_no_subscription() -> None:
    model = ServerlessModel(key="embed", endpoint_name="embed-1a2b3c4d", model_id=COHERE)
    resources = serverless(models=(model,), public_network_access=True, protect=False)
    assert not of_type(resources, "azure-native:machinelearningservices:MarketplaceSubscription")
    assert len(of_type(resources, "azure-native:machinelearningservices:ServerlessEndpoint")) == 1


# -- GPU capacity ------------------------------------------------------------------------------------------------


def test_targeted_reservation_for_a_size_that_allows_it() -> None:
    args = AzureGpuCapacityArgs(
        location="swedencentral",
        resource_group_name=RG,
        vm_size="Standard_NC24ads_A100_v4",
        count=2,
        zone="1",
        protect=True,
        tags=TAGS,
    )
    resources = run(with_azure(lambda opts: AzureGpuCapacity("gpu", args, opts=opts)))
    [group] = of_type(resources, "azure-native:compute:CapacityReservationGroup")
    [reservation] = of_type(resources, "azure-native:compute:CapacityReservation")
    assert group.inputs["zones"] == ["1"] and reservation.inputs["zones"] == ["1"]
    assert reservation.inputs["sku"] == {"name": "Standard_NC24ads_A100_v4", "capacity": 2}
    assert reservation.protect is True


def test_nd_series_is_refused_where_the_catalog_lists_no_block_region() -> None:
    with pytest.raises(ValidationError, match="no targeted capacity reservation in swedencentral"):
        AzureGpuCapacityArgs(
            location="swedencentral", resource_group_name=RG, vm_size="Standard_ND96isr_H100_v5", count=1
        )
    with pytest.raises(ValidationError, match="no block capacity reservation"):
        AzureGpuCapacityArgs(
            location="swedencentral",
            resource_group_name=RG,
            vm_size="Standard_ND96isr_H100_v5",
            count=1,
            reservation="block",
            starts=dt.date(2030, 12, 7),
            ends=dt.date(2030, 12, 21),
        )


class _BlockCatalog:
    def gpu_reservation_types(self, cloud: str, sku: str, region: str) -> list[str]:
        return ["block"] if (cloud, sku, region) == ("azure", "Standard_ND96isr_H100_v5", "eastus2") else []


def test_block_reservation_goes_through_the_generic_resource_at_compute_2025_04_01(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gpu_module, "load_catalog", _BlockCatalog)
    args = AzureGpuCapacityArgs(
        location="eastus2",
        resource_group_name=RG,
        vm_size="Standard_ND96isr_H100_v5",
        count=4,
        reservation="block",
        starts=dt.date(2030, 12, 7),
        ends=dt.date(2030, 12, 21),
        protect=True,
        tags=TAGS,
    )
    resources = run(with_azure(lambda opts: AzureGpuCapacity("h100", args, opts=opts)))
    assert not of_type(resources, "azure-native:compute:CapacityReservation")
    generic = {r.name: r for r in of_type(resources, "azure-native:resources:Resource")}
    group, reservation = generic["h100-group"], generic["h100-reservation"]
    assert group.inputs == {
        "resourceProviderNamespace": "Microsoft.Compute",
        "parentResourcePath": "",
        "resourceType": "capacityReservationGroups",
        "resourceName": "h100-crg",
        "apiVersion": "2025-04-01",
        "resourceGroupName": RG,
        "location": "eastus2",
        "properties": {"reservationType": "Block"},
        "tags": TAGS,
    }
    assert reservation.inputs["apiVersion"] == "2025-04-01"
    assert reservation.inputs["parentResourcePath"] == "capacityReservationGroups/h100-crg"
    assert reservation.inputs["resourceType"] == "capacityReservations"
    assert reservation.inputs["sku"] == {"name": "Standard_ND96isr_H100_v5", "capacity": 4}
    assert reservation.inputs["properties"] == {"scheduleProfile": {"start": "2030-12-07", "end": "2030-12-21"}}
    assert group.urn in reservation.dependencies
    assert reservation.retain_on_delete is True and reservation.protect is True


# -- identity ----------------------------------------------------------------------------------------------------


def test_identities_grants_and_github_federation() -> None:
    account = f"{SUB}/rg/providers/Microsoft.CognitiveServices/accounts/cc"
    project = f"{account}/projects/default"
    args = AzureIdentityArgs(
        location="swedencentral",
        resource_group_name=RG,
        identities=(
            IdentitySpec(
                name="workload-rag",
                grants=(
                    Grant(key="openai-user", role="Cognitive Services OpenAI User", scope=account),
                    Grant(key="ai-user", role="Azure AI User", scope=project),
                ),
            ),
            IdentitySpec(name="ci", federated=github_actions_credentials("acme/ml-platform", "main")),
        ),
        tags=TAGS,
    )
    resources = run(with_azure(lambda opts: AzureIdentity("id", args, opts=opts)))
    identities = of_type(resources, "azure-native:managedidentity:UserAssignedIdentity")
    assert sorted(i.inputs["resourceName"] for i in identities) == ["id-ci", "id-workload-rag"]

    assignments = {a.name: a for a in of_type(resources, "azure-native:authorization:RoleAssignment")}
    openai, ai_user = assignments["id-workload-rag-role-openai-user"], assignments["id-workload-rag-role-ai-user"]
    prefix = f"/subscriptions/{DEFAULT_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
    assert openai.inputs["roleDefinitionId"] == prefix + "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    assert ai_user.inputs["roleDefinitionId"] == prefix + "53ca6127-db72-4b80-b1b0-d745d6d5456d"
    assert openai.inputs["scope"] == account and ai_user.inputs["scope"] == project
    for a in (openai, ai_user):
        assert a.inputs["principalType"] == "ServicePrincipal"
        assert a.inputs["principalId"] == UNKNOWN  # the identity's principal, known once it exists
    # The GUID name derives from (scope, principal, role): unknown until the identity's principal exists.
    assert openai.inputs["roleAssignmentName"] == UNKNOWN

    credentials = sorted(
        of_type(resources, "azure-native:managedidentity:FederatedIdentityCredential"), key=lambda c: c.name
    )
    assert [(c.inputs["issuer"], c.inputs["subject"], c.inputs["audiences"]) for c in credentials] == [
        (
            "https://token.actions.githubusercontent.com",
            "repo:acme/ml-platform:ref:refs/heads/main",
            ["api://AzureADTokenExchange"],
        ),
        (
            "https://token.actions.githubusercontent.com",
            "repo:acme/ml-platform:pull_request",
            ["api://AzureADTokenExchange"],
        ),
    ]
    branch, pull_request = credentials
    assert branch.urn in pull_request.dependencies, "credentials of one identity are written one at a time"


def test_role_table_has_the_documented_guids() -> None:
    assert BUILTIN_ROLES["Cognitive Services OpenAI User"] == "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    assert BUILTIN_ROLES["Azure AI User"] == "53ca6127-db72-4b80-b1b0-d745d6d5456d"
    assert BUILTIN_ROLES["Cognitive Services User"] == "a97b65f3-24c7-4388-baec-2e87135dc908"
    assert BUILTIN_ROLES["Azure AI Developer"] == "64702f94-c441-49e6-a78b-ef80e0188fee"
    with pytest.raises(ValidationError):
        Grant(key="Bad Key", role="Reader", scope="x")


# -- monitoring --------------------------------------------------------------------------------------------------


def test_log_analytics_workspace_is_entra_only_and_protected() -> None:
    args = AzureMonitoringArgs(
        location="swedencentral", resource_group_name=RG, workspace_name="log-test", retention_days=365, protect=True
    )
    resources = run(with_azure(lambda opts: AzureMonitoring("mon", args, opts=opts)))
    [workspace] = of_type(resources, "azure-native:operationalinsights:Workspace")
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.inputs["retentionInDays"] == 365
    assert workspace.inputs["features"]["disableLocalAuth"] is True
    assert workspace.protect is True
