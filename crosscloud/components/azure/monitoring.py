"""A Log Analytics workspace for the stack's diagnostic settings: resource logs stay in the stack's region."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from crosscloud.components.standard import StandardArgs, StrInput

WORKSPACE_SKU = "PerGB2018"


class AzureMonitoringArgs(StandardArgs):
    location: str
    resource_group_name: StrInput
    workspace_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
    retention_days: int = Field(default=90, ge=30, le=730)
    protect: bool = False


class AzureMonitoring(pulumi.ComponentResource):
    """The workspace every Azure component's diagnostic settings point at; `workspace_id` is its resource ID."""

    workspace_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Monitoring", name, None, opts)
        workspace = azure_native.operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=azure_native.operationalinsights.WorkspaceSkuArgs(name=WORKSPACE_SKU),
            retention_in_days=args.retention_days,
            features=azure_native.operationalinsights.WorkspaceFeaturesArgs(
                # Entra ID only for ingestion and queries; who may read a resource's logs follows who may read it.
                disable_local_auth=True,
                enable_log_access_using_only_resource_permissions=True,
            ),
            tags=dict(args.tags),
            # Audit history: deleting the workspace deletes the evidence.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.workspace_id = workspace.id
        self.register_outputs({"workspace_id": self.workspace_id})
