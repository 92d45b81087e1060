"""Serverless API endpoints (Models-as-a-Service) for partner models whose resident Azure route is a hub/project in
a chosen region: prompts are processed in the geography of that region, unlike the partner model's Foundry
deployment (GlobalStandard).

A hub (Machine Learning workspace, kind Hub) needs a storage account and a Key Vault; both are keyless and RBAC-only
here, private in prod, and the hub itself runs a managed network that only allows approved outbound traffic. A model
sold through Azure Marketplace needs a marketplace subscription in the project before its endpoint can be created.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from crosscloud.components.azure.interfaces import diagnostic_setting, private_endpoint
from crosscloud.components.azure.storage import keyless_storage_account
from crosscloud.components.standard import Diagnostics, PrivateEndpoint, StandardArgs, StrInput

HUB_KIND = "Hub"
PROJECT_KIND = "Project"
WORKSPACE_SKU = "Basic"
ENDPOINT_SKU = "Consumption"  # pay-per-token billing of a serverless API endpoint
# Entra ID tokens only (the SDK's ServerlessInferenceEndpointAuthMode has Key, AAD, KeyAndAAD).
ENDPOINT_AUTH_MODE = "AAD"
PRIVATE_ENDPOINT_GROUP = "amlworkspace"
KEY_VAULT_SKU = "standard"


class ServerlessModel(StandardArgs):
    """One serverless endpoint: the logical endpoint it serves (`key`), its Azure name (unique in the region) and the
    model's registry asset ID."""

    key: str
    endpoint_name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{2,31}$")
    # A pinned asset ends in /versions/<n>: the endpoint serves exactly that version.
    model_id: str = Field(pattern=r"^azureml://registries/[^/]+/models/[^/]+(/versions/[0-9A-Za-z.-]+)?$")
    marketplace: bool = False

    @property
    def offer_id(self) -> str:
        """The Marketplace offer is per model, not per version: the asset ID without /versions/<n>."""
        return self.model_id.split("/versions/", 1)[0]


class AzureServerlessArgs(StandardArgs):
    # The hub's region: where prompts are processed. May differ from the stack's main location.
    location: str
    # Where the private endpoint lives (the VNet's region).
    network_location: str
    resource_group_name: StrInput
    tenant_id: StrInput
    hub_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
    project_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
    storage_account_name: str = Field(pattern=r"^[a-z0-9]{3,24}$")
    key_vault_name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
    public_network_access: bool = False
    models: tuple[ServerlessModel, ...] = ()
    private_endpoint: PrivateEndpoint | None = None
    diagnostics: Diagnostics | None = None
    protect: bool = False


class AzureServerless(pulumi.ComponentResource):
    """Hub + project (+ storage, Key Vault) and one serverless endpoint per model."""

    hub_id: pulumi.Output[str]
    project_id: pulumi.Output[str]
    endpoint_names: dict[str, str]  # known before deployment: the names are chosen here
    endpoint_uris: dict[str, pulumi.Output[str | None]]

    def __init__(self, name: str, args: AzureServerlessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Serverless", name, None, opts)
        tags = dict(args.tags)
        rg = args.resource_group_name
        public = "Enabled" if args.public_network_access else "Disabled"
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        storage = keyless_storage_account(
            f"{name}-storage",
            account_name=args.storage_account_name,
            resource_group_name=rg,
            location=args.location,
            public=args.public_network_access,
            bypass="AzureServices",  # the hub reaches its datastores with its identity
            tags=tags,
            opts=stateful,
        )
        vault = azure_native.keyvault.Vault(
            f"{name}-vault",
            vault_name=args.key_vault_name,
            resource_group_name=rg,
            location=args.location,
            properties=azure_native.keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=azure_native.keyvault.SkuArgs(family="A", name=KEY_VAULT_SKU),
                enable_rbac_authorization=True,  # no access policies: RBAC only
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                enable_purge_protection=True,
                public_network_access=public,
                network_acls=azure_native.keyvault.NetworkRuleSetArgs(
                    default_action="Allow" if args.public_network_access else "Deny", bypass="AzureServices"
                ),
            ),
            tags=tags,
            opts=stateful,
        )
        hub = azure_native.machinelearningservices.Workspace(
            f"{name}-hub",
            workspace_name=args.hub_name,
            resource_group_name=rg,
            location=args.location,
            kind=HUB_KIND,
            sku=azure_native.machinelearningservices.SkuArgs(name=WORKSPACE_SKU, tier=WORKSPACE_SKU),
            identity=azure_native.machinelearningservices.ManagedServiceIdentityArgs(type="SystemAssigned"),
            friendly_name=args.hub_name,
            storage_account=storage.id,
            key_vault=vault.id,
            public_network_access=public,
            system_datastores_auth_mode="Identity",
            managed_network=azure_native.machinelearningservices.ManagedNetworkSettingsArgs(
                isolation_mode="AllowOnlyApprovedOutbound"
            ),
            tags=tags,
            opts=stateful,
        )
        project = azure_native.machinelearningservices.Workspace(
            f"{name}-project",
            workspace_name=args.project_name,
            resource_group_name=rg,
            location=args.location,
            kind=PROJECT_KIND,
            hub_resource_id=hub.id,
            sku=azure_native.machinelearningservices.SkuArgs(name=WORKSPACE_SKU, tier=WORKSPACE_SKU),
            identity=azure_native.machinelearningservices.ManagedServiceIdentityArgs(type="SystemAssigned"),
            friendly_name=args.project_name,
            public_network_access=public,
            tags=tags,
            opts=stateful,
        )

        self.endpoint_names, self.endpoint_uris = {}, {}
        for model in args.models:
            depends: list[pulumi.Resource] = []
            if model.marketplace:
                depends.append(
                    azure_native.machinelearningservices.MarketplaceSubscription(
                        f"{name}-marketplace-{model.endpoint_name}",
                        name=model.endpoint_name,
                        workspace_name=project.name,
                        resource_group_name=rg,
                        properties=azure_native.machinelearningservices.MarketplaceSubscriptionPropertiesArgs(
                            model_id=model.offer_id
                        ),
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
            endpoint = azure_native.machinelearningservices.ServerlessEndpoint(
                f"{name}-endpoint-{model.endpoint_name}",
                name=model.endpoint_name,
                workspace_name=project.name,
                resource_group_name=rg,
                location=args.location,
                sku=azure_native.machinelearningservices.SkuArgs(name=ENDPOINT_SKU),
                properties=azure_native.machinelearningservices.ServerlessEndpointPropertiesArgs(
                    auth_mode=ENDPOINT_AUTH_MODE,
                    model_settings=azure_native.machinelearningservices.ModelSettingsArgs(model_id=model.model_id),
                ),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
            self.endpoint_names[model.key] = model.endpoint_name
            self.endpoint_uris[model.key] = endpoint.properties.apply(_inference_uri)

        if args.private_endpoint is not None:
            private_endpoint(
                f"{name}-hub",
                target_id=hub.id,
                group_id=PRIVATE_ENDPOINT_GROUP,
                endpoint=args.private_endpoint,
                resource_group_name=rg,
                location=args.network_location,
                tags=tags,
                parent=self,
            )
        diagnostic_setting(f"{name}-hub", hub.id, args.diagnostics, self)
        diagnostic_setting(f"{name}-project", project.id, args.diagnostics, self)
        diagnostic_setting(f"{name}-vault", vault.id, args.diagnostics, self)

        self.hub_id = hub.id
        self.project_id = project.id
        self.register_outputs(
            {
                "hub_id": self.hub_id,
                "project_id": self.project_id,
                "endpoint_names": self.endpoint_names,
                "endpoint_uris": self.endpoint_uris,
            }
        )


def _inference_uri(properties: Any) -> str | None:
    """The URI applications call; computed by Azure once the endpoint exists (None until Azure reports it)."""
    endpoint = properties.inference_endpoint if properties is not None else None
    return endpoint.uri if endpoint is not None else None
