"""The declaration as Pulumi components: `CrossCloudPlatform` builds both clouds from one declaration; the
single-concern components build one part of one cloud from the same declaration.

Each takes the declaration (`args.DeclarationArgs`, the keys of `Pulumi.<stack>.yaml`), checks it with the same
models and catalog as `crosscloud preview` before creating anything, and creates its own explicit providers from it
(`aws` per Region, `azure-native` per location): providers a consumer passes are not used, because a program that
passed several providers to a remote component used to lose all but one, and because the declaration, not ambient
configuration, says where everything runs. Credentials still come from the environment.

The types are `crosscloud:index:<Class>` in every language (the component provider hosts these classes). This module
must not use `from __future__ import annotations`: the provider infers the schema from these annotations.
"""

from typing import Any, ClassVar

import pulumi

from crosscloud.declaration import ConfigIssue, Declaration
from crosscloud.platform.args import DeclarationArgs
from crosscloud.platform.build import build
from crosscloud.platform.inputs import DeclarationInputError, check
from crosscloud.platform.scope import Parts, Scope

PACKAGE = "crosscloud"


class _Declared(pulumi.ComponentResource):
    """What every crosscloud component outputs: the stack outputs of the repository's program, each where the
    component builds it (None otherwise)."""

    residency: str
    """The residency set the declaration names (`eu`, `eea`, ...)."""
    endpoints: dict[str, Any] | None
    """Per logical endpoint, what it resolves to on each cloud: the contract `crosscloud endpoints` renders."""
    workloads: dict[str, Any] | None
    """Per workload, its identities and how it federates across clouds."""
    aws_vpc_id: pulumi.Output[str] | None
    aws_private_subnet_ids: pulumi.Output[list[str]] | None
    aws_invocation_log_bucket: str | None
    aws_gpu_launch_templates: dict[str, pulumi.Output[str]] | None
    aws_role_arns: dict[str, pulumi.Output[str]] | None
    aws_invoke_targets: dict[str, pulumi.Output[str]] | None
    """Per endpoint, its application inference profile ARN (known after `pulumi up`)."""
    aws_outbound_issuer: pulumi.Output[str] | None
    azure_resource_group: pulumi.Output[str] | None
    azure_vnet_id: pulumi.Output[str] | None
    azure_identity_client_ids: dict[str, pulumi.Output[str]] | None
    azure_identity_principal_ids: dict[str, pulumi.Output[str]] | None

    _parts: ClassVar[Parts] = Parts()
    # Children used to be the stack's own in the repository's program: alias them to their old URNs.
    _moved: ClassVar[bool] = False
    _exports: dict[str, Any]

    def __init__(self, name: str, args: DeclarationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        token = f"{PACKAGE}:index:{type(self).__name__}"
        try:
            declaration = check(args, f"{token} {name}")
            self._refuse(declaration, f"{token} {name}")
        except DeclarationInputError as exc:
            # Raised afresh here: a provider host shows the frames of the error's traceback after its message.
            raise DeclarationInputError(exc.issues) from None
        super().__init__(token, name, None, opts)
        scope = Scope(parent=self, parts=self._parts, moved=self._moved)
        build(declaration, scope)
        self._exports = scope.exports
        for key in _Declared.__annotations__:
            if not key.startswith("_"):
                setattr(self, key, scope.exports.get(key))
        self.register_outputs(scope.exports)

    def exports(self) -> dict[str, Any]:
        """The stack outputs this component built, in order: `for k, v in c.exports().items(): pulumi.export(k, v)`
        gives the outputs of the repository's own program."""
        return dict(self._exports)

    def _refuse(self, declaration: Declaration, where: str) -> None:
        """What one cloud's part cannot build without the other cloud's half (only CrossCloudPlatform has both)."""
        parts, identity = self._parts, declaration.spec.identity
        issues = []
        if parts.aws_identity and not parts.azure and identity.federation.entra_tenant_id is None:
            issues += [
                ConfigIssue(
                    where,
                    f"identity.workloads[{i}].federation.azureToAws",
                    "needs identity.federation.entraTenantId here (CrossCloudPlatform reads it from its Azure "
                    "provider)",
                )
                for i, w in enumerate(identity.workloads)
                if w.federation.azure_to_aws is not None
            ]
        if parts.azure_identity and not parts.aws:
            issues += [
                ConfigIssue(
                    where,
                    f"identity.workloads[{i}].federation.awsToAzure",
                    "signs in from an AWS role the AWS half creates: use CrossCloudPlatform",
                )
                for i, w in enumerate(identity.workloads)
                if w.federation.aws_to_azure is not None
            ]
        if issues:
            raise DeclarationInputError(issues)


class CrossCloudPlatform(_Declared):
    """Both clouds from one declaration: networks, Bedrock access, Azure AI Foundry and serverless endpoints, GPU
    capacity, self-hosted serving, keyless identity and federation across clouds, and the endpoint contract.

    One per stack: its children keep the names (and URNs) the repository's own program gives them."""

    _parts = Parts.everything()
    _moved = True


class AwsNetwork(_Declared):
    """The declaration's VPC (`aws.network`): private subnets, Bedrock interface endpoints whose policies allow only
    the declared models, the S3 gateway endpoint and flow logs."""

    _parts = Parts(aws_network=True)


class BedrockAccess(_Declared):
    """Bedrock access for the declaration's AWS endpoints: least-privilege invoke policies, application inference
    profiles, the guardrail and its version, provisioned throughput, and invocation logging when enabled."""

    _parts = Parts(bedrock=True)


class AwsGpuCapacity(_Declared):
    """The declaration's AWS GPU reservations (`gpu` with `cloud: aws`): capacity reservations and Capacity Blocks
    with their launch templates."""

    _parts = Parts(aws_gpu=True)


class AwsIdentity(_Declared):
    """Keyless identity on AWS: GitHub OIDC roles for CI and a role per workload granted exactly its endpoints, with
    the Bedrock access those grants name (do not add BedrockAccess for the same declaration)."""

    _parts = Parts(bedrock=True, aws_identity=True)


class AzureNetwork(_Declared):
    """The declaration's VNet (`azure.network`) with its resource group and Private Link DNS zones, or the resource
    group alone when no network is declared."""

    _parts = Parts(azure_network=True)


class AzureFoundry(_Declared):
    """Azure AI Foundry for the declaration's Azure endpoints: the account, projects, RAI policy and deployments, the
    serverless API endpoints, diagnostics, and the resource group (and VNet, when declared) they live in."""

    _parts = Parts(azure_network=True, azure_monitoring=True, foundry=True)


class AzureGpuCapacity(_Declared):
    """The declaration's Azure GPU reservations (`gpu` with `cloud: azure`): capacity reservation groups, in the
    resource group (and VNet, when declared)."""

    _parts = Parts(azure_network=True, azure_gpu=True)


class AzureIdentity(_Declared):
    """Keyless identity on Azure: a managed identity per workload granted exactly its endpoints and federated
    credentials for CI, with the Foundry resources those grants name (do not add AzureFoundry for the same
    declaration)."""

    _parts = Parts(azure_network=True, azure_monitoring=True, foundry=True, azure_identity=True)


# What the component provider hosts, in schema order.
COMPONENTS: tuple[type[_Declared], ...] = (
    CrossCloudPlatform,
    AwsNetwork,
    AzureNetwork,
    BedrockAccess,
    AzureFoundry,
    AwsGpuCapacity,
    AzureGpuCapacity,
    AwsIdentity,
    AzureIdentity,
)
