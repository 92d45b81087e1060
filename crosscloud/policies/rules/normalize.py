"""One normalisation of type tokens and inputs, so every rule judges a resource the same way whichever token made it.

The rules compare the canonical token of the provider SDKs crosscloud uses (`aws:<module>/<name>:<Kind>`,
`azure-native:<module>:<Kind>`) and read the inputs in that provider's shape. This module maps onto that:

- typed tokens, as they are;
- explicitly versioned ones (`azure-native:cognitiveservices/v20250601:Deployment`) and parameterized local packages
  (`azure-native_cognitiveservices_v20250601:cognitiveservices/v20250601:Deployment`): the same inputs, version dropped;
- the generic `azure-native:resources:Resource` (resourceProviderNamespace, parentResourcePath, resourceType,
  resourceName, `properties`): the typed token of its ARM type where one is modelled below, its inputs rebuilt in the
  typed shape (parent names from the path; ARM `properties` nested or flattened as the typed resource has them);
- the classic `azure:` provider and `aws-native:`: translated where the shape is known (input names checked against
  pulumi/pulumi-azure and pulumi/pulumi-aws-native sdk/python, 2026-07 and 2026-08 heads).

Anything else keeps its own token with `mapped=False`; the coverage rule (`policy-coverage`) flags every such resource
that can hold data, so no token passes silently. The token is classified once (cached), the inputs are translated
only when a rule reads them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from crosscloud.policies.rules.wire import is_unknown

Cloud = Literal["aws", "azure"]
How = Literal["typed", "versioned", "parameterized", "generic", "classic", "aws-native", "provider", "other"]
Mapper = Callable[[Mapping[str, Any]], dict[str, Any]]

AZURE_NATIVE = "azure-native"
GENERIC_RESOURCE = "azure-native:resources:Resource"
PROVIDER_PREFIX = "pulumi:providers:"
_VERSION = re.compile(r"^v\d{8}(?:preview|privatepreview)?$")


@dataclass(frozen=True)
class TypeInfo:
    """What a type token is: the canonical token the rules compare, its cloud, and how to read its inputs."""

    token: str
    type: str
    cloud: Cloud | None
    package: str
    namespace: str
    kind: str
    how: How
    mapped: bool = True  # the inputs are in (or translated to) the canonical provider's shape
    mapper: Mapper | None = None
    dependency_keys: Mapping[str, str] = field(default_factory=dict)
    arm_type: str | None = (
        None  # generic resources: the ARM type, e.g. Microsoft.CognitiveServices/accounts/deployments
    )

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_PREFIX)


# -- helpers for mappers ---------------------------------------------------------------------------------------------


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Absent stays absent: a mapper never turns a missing input into an explicit None."""
    return {k: v for k, v in values.items() if v is not None}


def _negated(value: Any, default: bool) -> Any:
    """Classic `xEnabled` booleans as azure-native's `disableX` (unknown stays unknown)."""
    if is_unknown(value):
        return value
    return not (default if value is None else bool(value))


def _enabled_state(value: Any, default: bool) -> Any:
    """Classic `publicNetworkAccessEnabled` as azure-native's `publicNetworkAccess` Enabled/Disabled."""
    if is_unknown(value):
        return value
    return "Enabled" if (default if value is None else bool(value)) else "Disabled"


def _aws_native_tags(value: Any) -> Any:
    """aws-native tags are [{key, value}]; the rules read the aws provider's map."""
    if isinstance(value, list):
        return {str(t.get("key")): t.get("value") for t in value if isinstance(t, Mapping) and "key" in t}
    return value


def arm_segments(resource_id: Any) -> dict[str, str]:
    """An ARM resource ID's type/name pairs in lower case ('resourcegroups' -> 'rg-1', 'accounts' -> 'ai-1')."""
    if not isinstance(resource_id, str) or is_unknown(resource_id):
        return {}
    parts = [p for p in resource_id.split("/") if p]
    found: dict[str, str] = {}
    for i in range(0, len(parts) - 1, 2):
        found[parts[i].lower()] = parts[i + 1]
    return found


def _name_from_id(resource_id: Any, segment: str) -> Any:
    if is_unknown(resource_id):
        return resource_id
    return arm_segments(resource_id).get(segment.lower())


# -- classic azure (pulumi-azure) ------------------------------------------------------------------------------------


def _classic_account(p: Mapping[str, Any]) -> dict[str, Any]:
    acls = p.get("networkAcls")
    network: Any = acls
    if isinstance(acls, Mapping):
        ips = acls.get("ipRules")
        network = _clean(
            {
                "defaultAction": acls.get("defaultAction"),
                "bypass": acls.get("bypass"),
                "ipRules": [{"value": ip} for ip in ips] if isinstance(ips, list) else ips,
                "virtualNetworkRules": acls.get("virtualNetworkRules"),
            }
        )
    properties = _clean(
        {
            "disableLocalAuth": _negated(p.get("localAuthEnabled"), default=True),
            "publicNetworkAccess": _enabled_state(p.get("publicNetworkAccessEnabled"), default=True),
            "networkAcls": network,
            "customSubDomainName": p.get("customSubdomainName"),
        }
    )
    return _clean(
        {
            "accountName": p.get("name"),
            "location": p.get("location"),
            "resourceGroupName": p.get("resourceGroupName"),
            "kind": p.get("kind"),
            "sku": {"name": p["skuName"]} if p.get("skuName") is not None else None,
            "identity": p.get("identity"),
            "tags": p.get("tags"),
            "properties": properties,
        }
    )


def _classic_deployment(p: Mapping[str, Any]) -> dict[str, Any]:
    account_id = p.get("cognitiveAccountId")
    return _clean(
        {
            "accountName": _name_from_id(account_id, "accounts"),
            "resourceGroupName": _name_from_id(account_id, "resourceGroups"),
            "deploymentName": p.get("name"),
            "sku": p.get("sku"),
            "properties": _clean(
                {
                    "model": p.get("model"),
                    "raiPolicyName": p.get("raiPolicyName"),
                    "versionUpgradeOption": p.get("versionUpgradeOption"),
                }
            ),
        }
    )


def _classic_resource_group(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean({"resourceGroupName": p.get("name"), "location": p.get("location"), "tags": p.get("tags")})


def _classic_workspace(kind: str | None) -> Mapper:
    def mapper(p: Mapping[str, Any]) -> dict[str, Any]:
        if "publicNetworkAccess" in p:  # aifoundry Hub: "Enabled" / "Disabled"
            public = p.get("publicNetworkAccess") or "Enabled"
        elif kind == "Project":
            public = None  # an AI Foundry project takes its hub's network isolation
        else:
            public = _enabled_state(p.get("publicNetworkAccessEnabled"), default=True)
        return _clean(
            {
                "workspaceName": p.get("name"),
                "location": p.get("location"),
                "resourceGroupName": p.get("resourceGroupName"),
                "kind": kind or p.get("kind") or "Default",
                "identity": p.get("identity"),
                "publicNetworkAccess": public,
                "tags": p.get("tags"),
            }
        )

    return mapper


def _classic_storage_account(p: Mapping[str, Any]) -> dict[str, Any]:
    tier, replication = p.get("accountTier"), p.get("accountReplicationType")
    sku: Any = None
    if is_unknown(tier) or is_unknown(replication):
        sku = {"name": tier if is_unknown(tier) else replication}
    elif tier is not None and replication is not None:
        sku = {"name": f"{tier}_{replication}"}
    return _clean(
        {
            "accountName": p.get("name"),
            "location": p.get("location"),
            "resourceGroupName": p.get("resourceGroupName"),
            "sku": sku,
            "allowCrossTenantReplication": p.get("crossTenantReplicationEnabled"),
            "tags": p.get("tags"),
        }
    )


def _classic_diagnostics(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "name": p.get("name"),
            "resourceUri": p.get("targetResourceId"),
            "workspaceId": p.get("logAnalyticsWorkspaceId"),
            "storageAccountId": p.get("storageAccountId"),
            "eventHubAuthorizationRuleId": p.get("eventhubAuthorizationRuleId"),
            "eventHubName": p.get("eventhubName"),
            "marketplacePartnerId": p.get("partnerSolutionId"),
        }
    )


def _classic_object_replication(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {"sourceAccount": p.get("sourceStorageAccountId"), "destinationAccount": p.get("destinationStorageAccountId")}
    )


# classic token -> (canonical token, mapper, dependency keys: classic input -> canonical input)
CLASSIC_AZURE: dict[str, tuple[str, Mapper, dict[str, str]]] = {
    "azure:cognitive/account:Account": (
        "azure-native:cognitiveservices:Account",
        _classic_account,
        {"resourceGroupName": "resourceGroupName"},
    ),
    "azure:cognitive/deployment:Deployment": (
        "azure-native:cognitiveservices:Deployment",
        _classic_deployment,
        {"cognitiveAccountId": "accountName"},
    ),
    "azure:core/resourceGroup:ResourceGroup": ("azure-native:resources:ResourceGroup", _classic_resource_group, {}),
    "azure:machinelearning/workspace:Workspace": (
        "azure-native:machinelearningservices:Workspace",
        _classic_workspace(None),
        {},
    ),
    "azure:aifoundry/hub:Hub": ("azure-native:machinelearningservices:Workspace", _classic_workspace("Hub"), {}),
    "azure:aifoundry/project:Project": (
        "azure-native:machinelearningservices:Workspace",
        _classic_workspace("Project"),
        {},
    ),
    "azure:storage/account:Account": ("azure-native:storage:StorageAccount", _classic_storage_account, {}),
    "azure:monitoring/diagnosticSetting:DiagnosticSetting": (
        "azure-native:monitor:DiagnosticSetting",
        _classic_diagnostics,
        {
            "targetResourceId": "resourceUri",
            "logAnalyticsWorkspaceId": "workspaceId",
            "eventhubAuthorizationRuleId": "eventHubAuthorizationRuleId",
            "partnerSolutionId": "marketplacePartnerId",
        },
    ),
    "azure:storage/objectReplication:ObjectReplication": (
        "azure-native:storage:ObjectReplicationPolicy",
        _classic_object_replication,
        {"sourceStorageAccountId": "sourceAccount", "destinationStorageAccountId": "destinationAccount"},
    ),
}


# -- aws-native ------------------------------------------------------------------------------------------------------


def _native_profile(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "name": p.get("inferenceProfileName"),
            "description": p.get("description"),
            "modelSource": p.get("modelSource"),
            "tags": _aws_native_tags(p.get("tags")),
        }
    )


def _native_guardrail(p: Mapping[str, Any]) -> dict[str, Any]:
    cross = p.get("crossRegionConfig")
    mapped = dict(p)
    if isinstance(cross, Mapping):
        mapped["crossRegionConfig"] = {"guardrailProfileIdentifier": cross.get("guardrailProfileArn")}
    mapped["tags"] = _aws_native_tags(p.get("tags"))
    return _clean(mapped)


def _native_inline(policies: Any) -> Any:
    if isinstance(policies, list):
        return [
            {"name": x.get("policyName"), "policy": x.get("policyDocument")} if isinstance(x, Mapping) else x
            for x in policies
        ]
    return policies


def _native_principal(name_key: str) -> Mapper:
    def mapper(p: Mapping[str, Any]) -> dict[str, Any]:
        return _clean(
            {
                "name": p.get(name_key),
                "path": p.get("path"),
                "assumeRolePolicy": p.get("assumeRolePolicyDocument"),
                "inlinePolicies": _native_inline(p.get("policies")),
                "managedPolicyArns": p.get("managedPolicyArns"),
                "permissionsBoundary": p.get("permissionsBoundary"),
                "tags": _aws_native_tags(p.get("tags")),
            }
        )

    return mapper


def _native_document(principal_key: str | None, principal_input: str | None) -> Mapper:
    def mapper(p: Mapping[str, Any]) -> dict[str, Any]:
        mapped = {
            "policy": p.get("policyDocument"),
            "name": p.get("policyName") or p.get("managedPolicyName"),
            "path": p.get("path"),
        }
        if principal_key and principal_input:
            mapped[principal_key] = p.get(principal_input)
        return _clean(mapped)

    return mapper


def _native_bucket(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "bucket": p.get("bucketName"),
            "replicationConfiguration": p.get("replicationConfiguration"),
            "tags": _aws_native_tags(p.get("tags")),
        }
    )


def _native_global_table(p: Mapping[str, Any]) -> dict[str, Any]:
    replicas = p.get("replicas")
    if isinstance(replicas, list):
        replicas = [{"regionName": r.get("region")} if isinstance(r, Mapping) else r for r in replicas]
    return _clean({"name": p.get("tableName"), "replicas": replicas})


def _native_subscription_filter(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {"destinationArn": p.get("destinationArn"), "logGroup": p.get("logGroupName"), "name": p.get("filterName")}
    )


def _native_endpoint(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "serviceName": p.get("serviceName"),
            "serviceRegion": p.get("serviceRegion"),
            "policy": p.get("policyDocument"),
            "vpcEndpointType": p.get("vpcEndpointType"),
            "vpcId": p.get("vpcId"),
            "tags": _aws_native_tags(p.get("tags")),
        }
    )


def _native_permission_set(p: Mapping[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "name": p.get("name"),
            "inlinePolicy": p.get("inlinePolicy"),
            "managedPolicyArns": p.get("managedPolicies"),
            "customerManagedPolicyReferences": p.get("customerManagedPolicyReferences"),
            "tags": _aws_native_tags(p.get("tags")),
        }
    )


AWS_NATIVE: dict[str, tuple[str, Mapper, dict[str, str]]] = {
    "aws-native:bedrock:ApplicationInferenceProfile": (
        "aws:bedrock/inferenceProfile:InferenceProfile",
        _native_profile,
        {"inferenceProfileName": "name"},
    ),
    "aws-native:bedrock:Guardrail": ("aws:bedrock/guardrail:Guardrail", _native_guardrail, {}),
    "aws-native:iam:ManagedPolicy": (
        "aws:iam/policy:Policy",
        _native_document(None, None),
        {"policyDocument": "policy"},
    ),
    "aws-native:iam:RolePolicy": (
        "aws:iam/rolePolicy:RolePolicy",
        _native_document("role", "roleName"),
        {"policyDocument": "policy", "roleName": "role"},
    ),
    "aws-native:iam:UserPolicy": (
        "aws:iam/userPolicy:UserPolicy",
        _native_document("user", "userName"),
        {"policyDocument": "policy", "userName": "user"},
    ),
    "aws-native:iam:GroupPolicy": (
        "aws:iam/groupPolicy:GroupPolicy",
        _native_document("group", "groupName"),
        {"policyDocument": "policy", "groupName": "group"},
    ),
    "aws-native:iam:Role": (
        "aws:iam/role:Role",
        _native_principal("roleName"),
        {"policies": "inlinePolicies", "roleName": "name"},
    ),
    "aws-native:iam:User": ("aws:iam/user:User", _native_principal("userName"), {"policies": "inlinePolicies"}),
    "aws-native:iam:Group": ("aws:iam/group:Group", _native_principal("groupName"), {"policies": "inlinePolicies"}),
    "aws-native:s3:Bucket": ("aws:s3/bucket:Bucket", _native_bucket, {"bucketName": "bucket"}),
    "aws-native:dynamodb:GlobalTable": ("aws:dynamodb/table:Table", _native_global_table, {}),
    "aws-native:logs:SubscriptionFilter": (
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        _native_subscription_filter,
        {},
    ),
    "aws-native:ec2:VpcEndpoint": ("aws:ec2/vpcEndpoint:VpcEndpoint", _native_endpoint, {"policyDocument": "policy"}),
    "aws-native:sso:PermissionSet": (
        "aws:ssoadmin/permissionSet:PermissionSet",
        _native_permission_set,
        {"managedPolicies": "managedPolicyArns"},
    ),
}


# -- the generic azure-native:resources:Resource ---------------------------------------------------------------------

# ARM type (lower case) -> (typed token, the typed resource's name inputs, parents first; ARM `properties` flattened?)
ARM_TYPES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "microsoft.cognitiveservices/accounts": ("azure-native:cognitiveservices:Account", ("accountName",), False),
    "microsoft.cognitiveservices/accounts/deployments": (
        "azure-native:cognitiveservices:Deployment",
        ("accountName", "deploymentName"),
        False,
    ),
    "microsoft.cognitiveservices/accounts/projects": (
        "azure-native:cognitiveservices:Project",
        ("accountName", "projectName"),
        False,
    ),
    "microsoft.cognitiveservices/accounts/raipolicies": (
        "azure-native:cognitiveservices:RaiPolicy",
        ("accountName", "raiPolicyName"),
        False,
    ),
    "microsoft.machinelearningservices/workspaces": (
        "azure-native:machinelearningservices:Workspace",
        ("workspaceName",),
        True,
    ),
    "microsoft.machinelearningservices/workspaces/serverlessendpoints": (
        "azure-native:machinelearningservices:ServerlessEndpoint",
        ("workspaceName", "name"),
        False,
    ),
    "microsoft.storage/storageaccounts": ("azure-native:storage:StorageAccount", ("accountName",), True),
    # Self-hosted serving (issue 27) and GPU capacity: the scale set, its load balancer, the registry, the
    # reservation (Block reservations are created as generic resources, crosscloud/components/azure/gpu.py).
    "microsoft.compute/virtualmachinescalesets": (
        "azure-native:compute:VirtualMachineScaleSet",
        ("vmScaleSetName",),
        True,
    ),
    "microsoft.network/loadbalancers": ("azure-native:network:LoadBalancer", ("loadBalancerName",), True),
    "microsoft.containerregistry/registries": ("azure-native:containerregistry:Registry", ("registryName",), True),
    "microsoft.compute/capacityreservationgroups": (
        "azure-native:compute:CapacityReservationGroup",
        ("capacityReservationGroupName",),
        True,
    ),
    "microsoft.compute/capacityreservationgroups/capacityreservations": (
        "azure-native:compute:CapacityReservation",
        ("capacityReservationGroupName", "capacityReservationName"),
        True,
    ),
}


def _split_path(value: Any) -> list[str]:
    return [p for p in str(value or "").split("/") if p]


def generic_arm_type(props: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """(ARM type, resource names parents first) of a generic Resource; (None, []) if any part is unknown."""
    namespace = props.get("resourceProviderNamespace")
    parent = props.get("parentResourcePath")
    rtype = props.get("resourceType")
    name = props.get("resourceName")
    if any(is_unknown(v) for v in (namespace, parent, rtype, name)) or not namespace or not rtype:
        return None, []
    parent_parts = _split_path(parent)
    types = parent_parts[0::2] + _split_path(rtype)
    names = parent_parts[1::2] + _split_path(name)
    return "/".join([str(namespace), *types]), names


def _generic_mapper(typed: str, name_keys: tuple[str, ...], flatten: bool, names: list[str]) -> Mapper:
    def mapper(p: Mapping[str, Any]) -> dict[str, Any]:
        mapped: dict[str, Any] = {}
        properties = p.get("properties")
        if flatten and isinstance(properties, Mapping):
            mapped.update(properties)
        elif properties is not None:
            mapped["properties"] = properties
        for key in ("location", "resourceGroupName", "sku", "kind", "identity", "tags"):
            if p.get(key) is not None:
                mapped[key] = p[key]
        for key, value in zip(name_keys, names[-len(name_keys) :], strict=False):
            mapped[key] = value
        return mapped

    return mapper


@functools.lru_cache(maxsize=256)
def _generic_info(arm_type: str | None, names: tuple[str, ...]) -> TypeInfo:
    known = ARM_TYPES.get(arm_type.lower()) if arm_type else None
    if known is None or len(names) != len(known[1]):
        return TypeInfo(
            GENERIC_RESOURCE,
            GENERIC_RESOURCE,
            "azure",
            AZURE_NATIVE,
            "resources",
            "Resource",
            "generic",
            mapped=False,
            arm_type=arm_type,
        )
    typed, name_keys, flatten = known
    _, module, kind = typed.split(":")
    return TypeInfo(
        GENERIC_RESOURCE,
        typed,
        "azure",
        AZURE_NATIVE,
        module,
        kind,
        "generic",
        mapper=_generic_mapper(typed, name_keys, flatten, list(names)),
        dependency_keys={"parentResourcePath": name_keys[0], "resourceName": name_keys[-1]},
        arm_type=arm_type,
    )


def generic_info(props: Mapping[str, Any]) -> TypeInfo:
    """The TypeInfo of one generic Resource, from its ARM type inputs."""
    arm_type, names = generic_arm_type(props)
    return _generic_info(arm_type, tuple(names))


# -- classification --------------------------------------------------------------------------------------------------


def _provider_info(token: str) -> TypeInfo:
    package = token.removeprefix(PROVIDER_PREFIX)
    if package.startswith(AZURE_NATIVE):
        return TypeInfo(token, f"{PROVIDER_PREFIX}{AZURE_NATIVE}", "azure", AZURE_NATIVE, "", "", "provider")
    cloud: Cloud | None = "aws" if package in ("aws", "aws-native") else "azure" if package == "azure" else None
    return TypeInfo(token, token, cloud, package, "", "", "provider")


@functools.lru_cache(maxsize=4096)
def classify(token: str) -> TypeInfo:
    """The TypeInfo of a type token (cached: a stack has few distinct tokens). A generic Resource needs its inputs
    too: see `generic_info`."""
    if token.startswith(PROVIDER_PREFIX):
        return _provider_info(token)
    parts = token.split(":")
    if len(parts) != 3:
        return TypeInfo(token, token, None, parts[0], "", "", "other", mapped=False)
    package, module, kind = parts
    if package == "aws":
        return TypeInfo(token, token, "aws", package, module, kind, "typed")
    if package.startswith(AZURE_NATIVE):
        base, _, version = module.partition("/")
        versioned = bool(version) and _VERSION.match(version) is not None
        canonical = f"{AZURE_NATIVE}:{base if versioned else module}:{kind}"
        how: How = "parameterized" if package != AZURE_NATIVE else ("versioned" if versioned else "typed")
        return TypeInfo(token, canonical, "azure", AZURE_NATIVE, base if versioned else module, kind, how)
    if package == "azure":
        known = CLASSIC_AZURE.get(token)
        if known is None:
            return TypeInfo(token, token, "azure", package, module, kind, "classic", mapped=False)
        typed, mapper, deps = known
        return TypeInfo(token, typed, "azure", package, module, kind, "classic", mapper=mapper, dependency_keys=deps)
    if package == "aws-native":
        known = AWS_NATIVE.get(token)
        if known is None:
            return TypeInfo(token, token, "aws", package, module, kind, "aws-native", mapped=False)
        typed, mapper, deps = known
        return TypeInfo(token, typed, "aws", package, module, kind, "aws-native", mapper=mapper, dependency_keys=deps)
    return TypeInfo(token, token, None, package, module, kind, "other", mapped=False)


def needs_inputs(info: TypeInfo) -> bool:
    """A generic Resource's canonical token depends on its inputs."""
    return info.type == GENERIC_RESOURCE and info.how == "typed"


class OnDemand(Mapping[str, Any]):
    """`convert(source)`, computed on first use: a stack policy is handed every resource, but a rule reads the inputs
    of only the few types it is about, and converting all of them for each of a pack's policies cost more than the
    rules."""

    __slots__ = ("_convert", "_converted", "_source")

    def __init__(self, source: Any, convert: Callable[[Any], dict[str, Any]]) -> None:
        self._source: Any = source
        self._convert = convert
        self._converted: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._converted is None:
            self._converted = self._convert(self._source)
            self._source = None
        return self._converted

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __contains__(self, key: object) -> bool:
        return key in self._data()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data().get(key, default)

    def __repr__(self) -> str:
        return repr(self._data())
