"""The Azure half of the stack program: every Azure component the declaration asks for.

Returns, per logical endpoint, what applications need to call it on Azure (the stack output `endpoints.<name>.azure`).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.azure import AzureNetwork, AzureNetworkArgs
from components.providers import azure_provider, with_provider
from crosscloud.declaration import Declaration


def build(declaration: Declaration, tags: dict[str, str]) -> dict[str, dict[str, Any]]:
    spec = declaration.spec
    if spec.azure is None:
        return {}
    project, stack = pulumi.get_project(), pulumi.get_stack()
    azure = azure_provider(f"azure-{spec.azure.location}", spec.azure)
    if spec.azure.network is not None:
        vnet = AzureNetwork(
            "azure-network",
            AzureNetworkArgs(
                location=spec.azure.location,
                cidr=spec.azure.network.cidr,
                resource_group_name=spec.azure.resource_group or f"rg-{project}-{stack}",
                protect=spec.protect_stateful,
                tags=tags,
            ),
            opts=with_provider(azure),
        )
        pulumi.export("azure_resource_group", vnet.resource_group_name)
        pulumi.export("azure_vnet_id", vnet.vnet_id)
    return {
        e.name: {
            "deployment_sku": e.azure.sku,
            "model": e.azure.name,
            "version": e.azure.version,
            "location": e.azure.region,
        }
        for e in declaration.endpoints
        if e.azure is not None
    }
