"""Where a resource runs: the AWS region and the Azure location, resolved the way the providers resolve them.

AWS: the resource's `region` input (pulumi-aws v7), then its provider's, then the stack config (`aws:region`, then
`crosscloud:aws.region`). Azure: the resource's `location`, then its parent's (the Foundry account of a deployment,
found by `accountName`), then its resource group's (matched by `resourceGroupName` or by the property dependency on
it), then its provider's. Nothing found anywhere is reported by the rules, never skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.rules.base import ResourceView, RuleContext, StackView, Unknown, get, is_unknown

AWS_PROVIDER = "pulumi:providers:aws"
AZURE_PROVIDER = "pulumi:providers:azure-native"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
FOUNDRY_ACCOUNT = "azure-native:cognitiveservices:Account"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
# Azure resource types whose location is legitimately "global" (DNS data, not workload data).
AZURE_GLOBAL_TYPES = frozenset(
    {
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:privatedns:PrivateRecordSet",
    }
)
# Parents found by a name input: (input naming the parent, parent types, the parent's own name input).
_PARENTS = (
    ("accountName", (FOUNDRY_ACCOUNT,), "accountName"),
    ("workspaceName", (ML_WORKSPACE,), "workspaceName"),
)


def is_aws(view: ResourceView) -> bool:
    return view.type.startswith("aws:") or view.type == AWS_PROVIDER


def is_azure(view: ResourceView) -> bool:
    package = view.type.split(":")[0]
    return package.startswith("azure-native") or view.type == AZURE_PROVIDER


def normalize_azure_location(location: str) -> str:
    """'West Europe' and 'westeurope' name the same region."""
    return location.replace(" ", "").lower()


def stack_aws_region(ctx: RuleContext) -> str | None:
    region = ctx.stack_config("aws:region")
    if isinstance(region, str) and region:
        return region
    settings = ctx.stack_config("crosscloud:aws")
    if isinstance(settings, Mapping) and isinstance(settings.get("region"), str):
        return str(settings["region"])
    return None


def aws_region_of(view: ResourceView, ctx: RuleContext | None = None) -> str | None:
    """An AWS resource's region: its own `region`, else its provider's, else the stack config's. Unknown raises."""
    own = get(view.props, "region")
    if own:
        return str(own)
    if view.type == AWS_PROVIDER:
        return stack_aws_region(ctx) if ctx else None
    if view.provider_props is not None:
        region = get(view.provider_props, "region")
        if region:
            return str(region)
    return stack_aws_region(ctx) if ctx else None


class AzureLocator:
    """Resolves Azure locations across the stack (resource groups and parents are other resources)."""

    def __init__(self, stack: StackView) -> None:
        self.by_urn = stack.by_urn()
        self.by_name: dict[tuple[str, str], ResourceView] = {}
        for view in stack.resources:
            for key in ("resourceGroupName", "accountName", "workspaceName"):
                if view.type in {RESOURCE_GROUP, FOUNDRY_ACCOUNT, ML_WORKSPACE} and key in _own_name_keys(view.type):
                    value = view.props.get(key)
                    if isinstance(value, str) and not is_unknown(value):
                        self.by_name[(view.type, value)] = view

    def referenced(self, view: ResourceView, key: str, types: tuple[str, ...]) -> ResourceView | None:
        """The stack resource `view` names in input `key`: via the property dependency, else by name. Unknown name
        without a dependency raises."""
        for urn in view.property_dependencies.get(key, ()):
            target = self.by_urn.get(urn)
            if target is not None and target.type in types:
                return target
        name = view.props.get(key)
        if name is None:
            return None
        if is_unknown(name):
            raise Unknown(key)
        for type_ in types:
            found = self.by_name.get((type_, str(name)))
            if found is not None:
                return found
        return None

    def resource_group(self, view: ResourceView) -> ResourceView | None:
        if view.type == RESOURCE_GROUP:
            return None
        return self.referenced(view, "resourceGroupName", (RESOURCE_GROUP,))

    def location(self, view: ResourceView, depth: int = 0) -> tuple[str | None, str]:
        """(location or None, how it was found). Unknown raises `Unknown`."""
        own = get(view.props, "location")
        if own:
            return str(own), "its location"
        if depth < 3:
            for key, types, _ in _PARENTS:
                if view.type in types:
                    continue  # an account's accountName is its own name, not a parent
                parent = self.referenced(view, key, types)
                if parent is not None:
                    found, _how = self.location(parent, depth + 1)
                    if found:
                        return found, f"its parent {parent.name}"
            group = self.resource_group(view)
            if group is not None:
                found, _how = self.location(group, depth + 1)
                if found:
                    return found, f"its resource group {group.name}"
        if view.provider_props is not None:
            provider_location = get(view.provider_props, "location")
            if provider_location:
                return str(provider_location), "its provider"
        return None, "nowhere"


def _own_name_keys(type_: str) -> tuple[str, ...]:
    if type_ == RESOURCE_GROUP:
        return ("resourceGroupName",)
    return tuple(own for _, types, own in _PARENTS if type_ in types)


def tag_value(view: ResourceView, key: str) -> Any:
    """A tag from the resource, or from the AWS provider's `defaultTags` (which the provider merges in)."""
    if key in view.tags:
        return view.tags[key]
    if view.provider_props is not None and view.provider_type == AWS_PROVIDER:
        defaults = view.provider_props.get("defaultTags")
        if isinstance(defaults, Mapping) and isinstance(defaults.get("tags"), Mapping):
            return defaults["tags"].get(key)
    return None
