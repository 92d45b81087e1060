"""Azure AI Foundry: one AIServices account with its projects, a custom content filter, and one model deployment per
logical endpoint on the deployment route.

Why it looks the way it does:
- keyless only (`disableLocalAuth`), reachable only through its private endpoint unless the stack allows public access
  (never in prod), with a default-deny network ACL;
- deployments of one account are created one after another: Azure rejects concurrent changes to deployments of the
  same account, so each depends on the previous one;
- a provisioned (PTU) deployment spills over into a pay-per-token deployment of the same processing class, so a burst
  never leaves the residency the PTU SKU was chosen for;
- in prod, model versions are pinned (`NoAutoUpgrade`): a model upgrade is a reviewed change, not a surprise.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field

from crosscloud.components.azure.interfaces import diagnostic_setting, private_endpoint, role_assignments
from crosscloud.components.standard import (
    CustomerManagedKey,
    Diagnostics,
    PrivateEndpoint,
    RoleAssignment,
    StandardArgs,
    StrInput,
)

ACCOUNT_KIND = "AIServices"
ACCOUNT_SKU = "S0"
PRIVATE_ENDPOINT_GROUP = "account"
RAI_POLICY_NAME = "crosscloud-default"
RAI_BASE_POLICY = "Microsoft.DefaultV2"
# Harm categories filtered on both prompts and completions, plus prompt shields and protected-material detection.
_HARM_CATEGORIES = ("Hate", "Sexual", "Violence", "Selfharm")

Processing = Literal["global", "data_zone", "regional"]


class FoundryDeployment(StandardArgs):
    """One model deployment: what the catalog resolved for a logical endpoint."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$")
    model_format: str
    model_name: str
    model_version: str
    sku: str
    capacity: int = Field(ge=1)
    processing: Processing
    provisioned: bool = False
    # For a provisioned deployment: the pay-per-token SKU of the same processing class that takes the overflow.
    spillover_sku: str | None = None
    spillover_capacity: int | None = Field(default=None, ge=1)


class AzureFoundryArgs(StandardArgs):
    location: str
    resource_group_name: StrInput
    # Globally unique: the account's DNS name (`<sub>.cognitiveservices.azure.com`).
    custom_subdomain: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
    projects: tuple[str, ...] = ("default",)
    public_network_access: bool = False
    pin_model_versions: bool = True
    content_filter: Literal["Low", "Medium", "High"] = "Medium"
    deployments: tuple[FoundryDeployment, ...] = ()
    cmk: CustomerManagedKey | None = None
    # A subnet delegated to Microsoft.App/environments: Agent Service runs its containers there (network injection).
    agent_subnet_id: StrInput | None = None
    private_endpoint: PrivateEndpoint | None = None
    diagnostics: Diagnostics | None = None
    role_assignments: tuple[RoleAssignment, ...] = ()
    protect: bool = False


def unique_subdomain(*parts: str, prefix: str = "cc") -> str:
    """A stable, globally unlikely-to-collide subdomain from the stack's identity (no random provider needed)."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]
    readable = "-".join(p.lower() for p in parts[:2] if p)
    cleaned = "".join(c if c.isalnum() else "-" for c in readable).strip("-")[:40]
    return f"{prefix}-{cleaned}-{digest}"


class AzureFoundry(pulumi.ComponentResource):
    """A Foundry (AIServices) account, its projects, a RAI policy and the chained model deployments."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    endpoint: str
    project_ids: dict[str, pulumi.Output[str]]
    deployment_names: dict[str, str]  # logical endpoint -> deployment name (chosen here, known at preview)

    def __init__(self, name: str, args: AzureFoundryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:Foundry", name, None, opts)
        tags = dict(args.tags)
        rg = args.resource_group_name
        cmk_grant = self._cmk_grant(name, args) if args.cmk else None
        identity = azure_native.cognitiveservices.IdentityArgs(type="SystemAssigned")
        encryption = None
        if args.cmk is not None:
            identity = azure_native.cognitiveservices.IdentityArgs(
                type="SystemAssigned, UserAssigned", user_assigned_identities=[args.cmk.identity_id]
            )
            encryption = azure_native.cognitiveservices.EncryptionArgs(
                key_source="Microsoft.KeyVault",
                key_vault_properties=azure_native.cognitiveservices.KeyVaultPropertiesArgs(
                    key_vault_uri=args.cmk.key_vault_uri,
                    key_name=args.cmk.key_name,
                    key_version=args.cmk.key_version,
                    identity_client_id=args.cmk.identity_client_id,
                ),
            )
        account = azure_native.cognitiveservices.Account(
            f"{name}-account",
            account_name=args.custom_subdomain,
            resource_group_name=rg,
            location=args.location,
            kind=ACCOUNT_KIND,
            sku=azure_native.cognitiveservices.SkuArgs(name=ACCOUNT_SKU),
            identity=identity,
            properties=azure_native.cognitiveservices.AccountPropertiesArgs(
                allow_project_management=True,
                custom_sub_domain_name=args.custom_subdomain,
                disable_local_auth=True,
                public_network_access="Enabled" if args.public_network_access else "Disabled",
                network_acls=azure_native.cognitiveservices.NetworkRuleSetArgs(
                    default_action="Allow" if args.public_network_access else "Deny",
                    bypass="AzureServices",
                    ip_rules=[],
                    virtual_network_rules=[],
                ),
                encryption=encryption,
                network_injections=(
                    [
                        azure_native.cognitiveservices.NetworkInjectionArgs(
                            scenario="agent", subnet_arm_id=args.agent_subnet_id, use_microsoft_managed_network=False
                        )
                    ]
                    if args.agent_subnet_id is not None
                    else None
                ),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=[cmk_grant] if cmk_grant is not None else []
            ),
        )

        self.project_ids = {}
        previous_project: pulumi.Resource | None = None
        for project in args.projects:
            created = azure_native.cognitiveservices.Project(
                f"{name}-project-{project}",
                project_name=project,
                account_name=account.name,
                resource_group_name=rg,
                location=args.location,
                identity=azure_native.cognitiveservices.IdentityArgs(type="SystemAssigned"),
                properties=azure_native.cognitiveservices.ProjectPropertiesArgs(
                    display_name=project, description=f"crosscloud project {project}"
                ),
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[previous_project] if previous_project is not None else []
                ),
            )
            self.project_ids[project] = created.id
            previous_project = created

        rai = azure_native.cognitiveservices.RaiPolicy(
            f"{name}-rai",
            rai_policy_name=RAI_POLICY_NAME,
            account_name=account.name,
            resource_group_name=rg,
            properties=azure_native.cognitiveservices.RaiPolicyPropertiesArgs(
                base_policy_name=RAI_BASE_POLICY, mode="Default", content_filters=_content_filters(args.content_filter)
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.deployment_names = {}
        previous: pulumi.Resource = rai
        for d in args.deployments:
            spillover_name: str | None = None
            if d.provisioned and d.spillover_sku is not None:
                spillover_name = f"{d.name}-spillover"
                previous = self._deployment(
                    name,
                    args,
                    account.name,
                    rai,
                    previous,
                    d,
                    deployment_name=spillover_name,
                    sku=d.spillover_sku,
                    capacity=d.spillover_capacity or d.capacity,
                    spillover_to=None,
                )
            created = self._deployment(
                name,
                args,
                account.name,
                rai,
                previous,
                d,
                deployment_name=d.name,
                sku=d.sku,
                capacity=d.capacity,
                spillover_to=spillover_name,
            )
            self.deployment_names[d.name] = d.name
            previous = created

        if args.private_endpoint is not None:
            private_endpoint(
                name,
                target_id=account.id,
                group_id=PRIVATE_ENDPOINT_GROUP,
                endpoint=args.private_endpoint,
                resource_group_name=rg,
                location=args.location,
                tags=tags,
                parent=self,
            )
        diagnostic_setting(f"{name}-account", account.id, args.diagnostics, self)
        role_assignments(f"{name}-account", account.id, args.role_assignments, self)

        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = f"https://{args.custom_subdomain}.cognitiveservices.azure.com/"
        self.register_outputs(
            {
                "account_id": self.account_id,
                "account_name": self.account_name,
                "endpoint": self.endpoint,
                "project_ids": self.project_ids,
                "deployment_names": self.deployment_names,
            }
        )

    def _cmk_grant(self, name: str, args: AzureFoundryArgs) -> pulumi.Resource:
        """The CMK identity may wrap keys in the vault before the account first uses it."""
        assert args.cmk is not None
        grants = role_assignments(
            f"{name}-cmk",
            pulumi.Output.from_input(args.cmk.key_vault_id),
            [
                RoleAssignment(
                    key="key-vault-crypto",
                    role="Key Vault Crypto Service Encryption User",
                    principal_id=args.cmk.identity_principal_id,
                )
            ],
            self,
        )
        grant: pulumi.Resource = grants[0]
        return grant

    def _deployment(
        self,
        name: str,
        args: AzureFoundryArgs,
        account_name: pulumi.Output[str],
        rai: pulumi.Resource,
        previous: pulumi.Resource,
        d: FoundryDeployment,
        *,
        deployment_name: str,
        sku: str,
        capacity: int,
        spillover_to: str | None,
    ) -> azure_native.cognitiveservices.Deployment:
        return azure_native.cognitiveservices.Deployment(
            f"{name}-deployment-{deployment_name}",
            deployment_name=deployment_name,
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            sku=azure_native.cognitiveservices.SkuArgs(name=sku, capacity=capacity),
            properties=azure_native.cognitiveservices.DeploymentPropertiesArgs(
                model=azure_native.cognitiveservices.DeploymentModelArgs(
                    format=d.model_format, name=d.model_name, version=d.model_version
                ),
                rai_policy_name=RAI_POLICY_NAME,
                version_upgrade_option="NoAutoUpgrade" if args.pin_model_versions else "OnceCurrentVersionExpired",
                spillover_deployment_name=spillover_to,
            ),
            tags={**args.tags, **d.tags, "crosscloud-processing": d.processing},
            # One deployment change at a time per account; the RAI policy must exist before it is referenced.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[previous, rai]),
        )


def _content_filters(threshold: str) -> list[azure_native.cognitiveservices.RaiPolicyContentFilterArgs]:
    filters = [
        azure_native.cognitiveservices.RaiPolicyContentFilterArgs(
            name=category, source=source, severity_threshold=threshold, blocking=True, enabled=True
        )
        for source in ("Prompt", "Completion")
        for category in _HARM_CATEGORIES
    ]
    filters.append(
        azure_native.cognitiveservices.RaiPolicyContentFilterArgs(
            name="Jailbreak", source="Prompt", blocking=True, enabled=True
        )
    )
    filters.extend(
        azure_native.cognitiveservices.RaiPolicyContentFilterArgs(
            name=category, source="Completion", blocking=True, enabled=True
        )
        for category in ("Protected Material Text", "Protected Material Code")
    )
    return filters
