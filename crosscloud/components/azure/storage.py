"""The storage account every crosscloud component creates: keyless (Entra ID only), TLS 1.2, no public blobs, no
cross-tenant replication, zone-redundant in its region (no geo-replica outside the residency set)."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native

STORAGE_SKU = "Standard_ZRS"


def keyless_storage_account(
    name: str,
    *,
    account_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    location: str,
    public: bool,
    bypass: str,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> azure_native.storage.StorageAccount:
    """`public` opens the public endpoint (dev only; otherwise private endpoints alone); `bypass` names the Azure
    services the firewall lets through (`AzureServices` for a hub's own datastores, `None` for a fleet's weights)."""
    return azure_native.storage.StorageAccount(
        name,
        account_name=account_name,
        resource_group_name=resource_group_name,
        location=location,
        kind="StorageV2",
        sku=azure_native.storage.SkuArgs(name=STORAGE_SKU),
        allow_blob_public_access=False,
        allow_shared_key_access=False,  # keyless: every reader uses its identity
        allow_cross_tenant_replication=False,
        enable_https_traffic_only=True,
        minimum_tls_version="TLS1_2",
        public_network_access="Enabled" if public else "Disabled",
        network_rule_set=azure_native.storage.NetworkRuleSetArgs(
            default_action="Allow" if public else "Deny", bypass=bypass
        ),
        tags=tags,
        opts=opts,
    )
