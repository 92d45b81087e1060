"""Where a resource runs: the AWS region and the Azure location, resolved the way the providers resolve them, and
what the stack refers to outside itself.

AWS: the resource's `region` input (pulumi-aws v7), then its provider's. A provider without one takes AWS_REGION,
AWS_DEFAULT_REGION or the shared config profile when it runs, which no policy can read, so the region is unknown; the
stack's `aws:region` applies only where the engine gives no provider (what a default provider is built from).
`crosscloud:aws.region` is never read: the provider does not read it.

Azure: the resource's `location`; else its parent's (a Foundry account, ML workspace or storage account found by
name in the same resource group, or by the property dependency); else its resource group's. A resource group takes
its provider's location (the only type azure-native defaults that way). A parent or resource group this stack does
not manage is unknown, and unknown fails closed, unless the policy config lists it in `approved_external` with its
location. Nothing found anywhere is reported by the rules, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crosscloud.policies.rules.base import ResourceView, RuleContext, StackView, Unknown, get, is_unknown
from crosscloud.policies.rules.normalize import arm_segments

AWS_PROVIDER = "pulumi:providers:aws"
AWS_PROVIDERS = frozenset({AWS_PROVIDER, "pulumi:providers:aws-native"})
AZURE_PROVIDER = "pulumi:providers:azure-native"
AZURE_PROVIDERS = frozenset({AZURE_PROVIDER, "pulumi:providers:azure"})
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
FOUNDRY_ACCOUNT = "azure-native:cognitiveservices:Account"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
# Azure resource types whose location is legitimately "global" (DNS data, not workload data).
AZURE_GLOBAL_TYPES = frozenset(
    {
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:privatedns:PrivateRecordSet",
    }
)
# Azure types with no location of their own and no resource group: extension resources that hold no data where they
# are (role assignments) or send it elsewhere (diagnostic settings: their destinations are checked by
# data-path-destination-in-residency).
AZURE_LOCATIONLESS = frozenset(
    {
        "azure-native:authorization:RoleAssignment",
        "azure-native:authorization:RoleDefinition",
        "azure-native:monitor:DiagnosticSetting",
        "azure-native:monitor:DataCollectionRuleAssociation",
    }
)
# Parents found by a name input, per module: (module, input naming the parent, parent type, the parent's name input).
PARENTS = (
    ("cognitiveservices", "accountName", FOUNDRY_ACCOUNT, "accountName"),
    ("machinelearningservices", "workspaceName", ML_WORKSPACE, "workspaceName"),
    ("storage", "accountName", STORAGE_ACCOUNT, "accountName"),
)
APPROVED_EXTERNAL_CONFIG = {
    "approved_external": {
        "type": "array",
        "description": "resources outside the stack that it may use, each with the location where it holds or "
        "processes data (an unlisted one is unknown and fails closed)",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "location", "reason"],
            "properties": {
                "id": {
                    "type": "string",
                    "minLength": 1,
                    "description": "as the stack refers to it: an ARN, an Azure resource ID or a resource name",
                },
                "location": {"type": "string", "minLength": 1, "description": "its AWS Region or Azure location"},
                "routes_to": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "other Regions it may process in (e.g. a copied geo profile's destinations)",
                },
                "reason": {"type": "string", "minLength": 10, "description": "why, and who approved it"},
            },
        },
    }
}


def is_aws(view: ResourceView) -> bool:
    return view.cloud == "aws"


def is_azure(view: ResourceView) -> bool:
    return view.cloud == "azure"


def normalize_azure_location(location: str) -> str:
    """'West Europe' and 'westeurope' name the same region."""
    return location.replace(" ", "").lower()


# -- approved external resources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class External:
    id: str
    location: str
    routes_to: tuple[str, ...] = ()
    reason: str = ""

    @property
    def regions(self) -> tuple[str, ...]:
        return (self.location, *self.routes_to)


def approved_external(ctx: RuleContext | None) -> list[External]:
    raw = ctx.config.get("approved_external") if ctx is not None else None
    found = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str) and isinstance(item.get("location"), str):
            routes = item.get("routes_to")
            found.append(
                External(
                    item["id"],
                    item["location"],
                    tuple(str(r) for r in routes) if isinstance(routes, list) else (),
                    str(item.get("reason", "")),
                )
            )
    return found


def find_approved(
    ctx: RuleContext | None, reference: str, kind: str | None = None, group: str | None = None
) -> External | None:
    """The approved external resource `reference` (an ARN, resource ID or name) names, or None. An Azure resource ID
    in the config also matches a name of its `kind` segment in the same resource group."""
    wanted = reference.lower()
    for entry in approved_external(ctx):
        if entry.id.lower() == wanted:
            return entry
        if kind is not None and entry.id.startswith("/"):
            segments = arm_segments(entry.id)
            same_name = segments.get(kind.lower(), "").lower() == wanted
            same_group = group is None or segments.get("resourcegroups", "").lower() == group.lower()
            if same_name and same_group:
                return entry
    return None


# -- AWS ---------------------------------------------------------------------------------------------------------


def stack_aws_region(ctx: RuleContext) -> str | None:
    """`aws:region`: what the engine builds a default provider from (never `crosscloud:aws.region`)."""
    region = ctx.stack_config("aws:region")
    return region if isinstance(region, str) and region else None


def aws_region_of(view: ResourceView, ctx: RuleContext | None = None) -> str | None:
    """An AWS resource's region: its own `region`, else its provider's; a provider without one reads the
    environment at deploy time (None here). Unknown raises."""
    own = get(view.props, "region")
    if own:
        return str(own)
    if view.type in AWS_PROVIDERS:
        return None
    if view.provider_props is not None:
        region = get(view.provider_props, "region")
        return str(region) if region else None
    return stack_aws_region(ctx) if ctx else None


def region_of_arn(arn: Any) -> str | None:
    """The Region segment of an ARN ('' for a region-less one), or None if it is not an ARN."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else None


# -- references between resources ---------------------------------------------------------------------------------


class Index:
    """The stack's resources by URN and by name input, to resolve what one resource names in another."""

    def __init__(self, stack: StackView) -> None:
        self.stack = stack
        self.by_urn = stack.by_urn()
        self._by_value: dict[tuple[str, str], dict[str, list[ResourceView]]] = {}
        self._outputs: dict[str, dict[str, list[ResourceView]]] = {}

    def named(self, type_: str, key: str, name: str) -> list[ResourceView]:
        """Stack resources of `type_` whose input `key` is `name` (case-insensitive for Azure names)."""
        table = self._by_value.get((type_, key))
        if table is None:
            table = {}
            for view in self.stack.of_type(type_):
                value = view.props.get(key)
                if isinstance(value, str) and not is_unknown(value):
                    table.setdefault(value.lower(), []).append(view)
            self._by_value[(type_, key)] = table
        return list(table.get(name.lower(), []))

    def dependency(self, view: ResourceView, key: str, types: Iterable[str] | None) -> ResourceView | None:
        """The one stack resource of `types` (None: of the same cloud) that input `key` depends on: how a reference
        unknown at preview is resolved."""
        wanted = set(types) if types is not None else None
        found = [
            target
            for u in view.property_dependencies.get(key, ())
            if (target := self.by_urn.get(u)) is not None
            and u != view.urn
            and (target.type in wanted if wanted is not None else target.cloud == view.cloud)
        ]
        return found[0] if len(found) == 1 else None

    def by_output(self, value: str, key: str = "arn", referrer: ResourceView | None = None) -> ResourceView | None:
        """The stack resource whose `key` (an output such as `arn` or `id`, known at an update preview) is `value`,
        other than the `referrer` (an EventBridge target's `arn` input is its target's); the table is built on
        first use, so a stack with no such reference converts no inputs for it."""
        if self._outputs.get(key) is None:
            table: dict[str, list[ResourceView]] = {}
            for view in self.stack.resources:
                own = view.props.get(key) if not view.type.startswith("pulumi:") else None
                if isinstance(own, str) and not is_unknown(own):
                    table.setdefault(own.lower() if key == "id" else own, []).append(view)
            self._outputs[key] = table
        found = [v for v in self._outputs[key].get(value.lower() if key == "id" else value, []) if v is not referrer]
        return found[0] if len(found) == 1 else None

    def with_output(self, types: Iterable[str], key: str, value: str) -> ResourceView | None:
        """A stack resource whose (output) `key` equals `value`: an ARN known at an update preview."""
        for view in self.stack.of_type(*types):
            own = view.props.get(key)
            if isinstance(own, str) and own == value:
                return view
        return None


class AzureLocator(Index):
    """Resolves Azure locations across the stack (resource groups and parents are other resources)."""

    def __init__(self, stack: StackView, ctx: RuleContext | None = None) -> None:
        super().__init__(stack)
        self.ctx = ctx

    def group_of(self, view: ResourceView) -> tuple[str, Any]:
        """('stack', group view) | ('external', name) | ('none', None). An unknown name without a dependency
        raises."""
        if view.type == RESOURCE_GROUP:
            return "none", None
        group = self.dependency(view, "resourceGroupName", (RESOURCE_GROUP,))
        if group is not None:
            return "stack", group
        name = view.props.get("resourceGroupName")
        if name is None:
            return "none", None
        if is_unknown(name):
            raise Unknown("resourceGroupName")
        matches = self.named(RESOURCE_GROUP, "resourceGroupName", str(name))
        if len(matches) == 1:
            return "stack", matches[0]
        return "external", str(name)

    def _group_key(self, view: ResourceView) -> str | None:
        kind, group = self.group_of(view)
        if kind == "stack":
            return f"urn:{group.urn}"
        return f"name:{str(group).lower()}" if kind == "external" else None

    def parent_of(self, view: ResourceView) -> tuple[str, str, Any]:
        """(input, 'stack' | 'external' | 'none', parent view or name) of the parent a resource names."""
        module = view.type.split(":")[1] if view.type.count(":") == 2 else ""
        for parent_module, key, parent_type, own_key in PARENTS:
            if module != parent_module or view.type == parent_type or key not in view.props:
                continue
            found = self.dependency(view, key, (parent_type,))
            if found is not None:
                return key, "stack", found
            name = view.props.get(key)
            if is_unknown(name):
                raise Unknown(key)
            if not isinstance(name, str) or not name:
                return key, "none", None
            group = self._group_key(view)
            candidates = [c for c in self.named(parent_type, own_key, name) if self._group_key(c) == group]
            if len(candidates) == 1:
                return key, "stack", candidates[0]
            return key, "external", name
        return "", "none", None

    def location(self, view: ResourceView, depth: int = 0) -> tuple[str | None, str]:
        """(location or None, how it was found or why it is not known). Unknown raises `Unknown`."""
        own = get(view.props, "location")
        if own:
            return str(own), "its location"
        if depth > 3:
            return None, "nowhere"
        key, kind, parent = self.parent_of(view)
        group_kind, group = self.group_of(view)
        group_name = group.props.get("resourceGroupName") if group_kind == "stack" else group
        if kind == "stack":
            found, _how = self.location(parent, depth + 1)
            return (found, f"its parent {parent.name}") if found else (None, f"its parent {parent.name} has none")
        if kind == "external":
            arm_kind = {"accountName": "accounts", "workspaceName": "workspaces"}.get(key)
            approved = find_approved(self.ctx, parent, arm_kind, group_name if isinstance(group_name, str) else None)
            if approved is not None:
                return approved.location, f"approved external {approved.id}"
            return None, f"its parent {parent!r} ({key}) is not managed by this stack"
        if group_kind == "stack":
            found, _how = self.location(group, depth + 1)
            return (found, f"its resource group {group.name}") if found else (None, "its resource group has none")
        if group_kind == "external":
            approved = find_approved(self.ctx, str(group), "resourceGroups")
            if approved is not None:
                return approved.location, f"approved external {approved.id}"
            return None, f"its resource group {group!r} is not managed by this stack"
        if view.type == RESOURCE_GROUP and view.provider_props is not None:
            provider_location = get(view.provider_props, "location")
            if provider_location:
                return str(provider_location), "its provider"
        return None, "nowhere"


def tag_value(view: ResourceView, key: str) -> Any:
    """A tag from the resource, or from the AWS provider's `defaultTags` (which the provider merges in)."""
    if key in view.tags:
        return view.tags[key]
    if view.provider_props is not None and view.provider_type in AWS_PROVIDERS:
        defaults = view.provider_props.get("defaultTags")
        if isinstance(defaults, Mapping) and isinstance(defaults.get("tags"), Mapping):
            return defaults["tags"].get(key)
    return None


@dataclass(frozen=True)
class Destination:
    """Where a resource sends data: a resource of this stack, an approved external one, or unknown."""

    shown: str
    regions: tuple[str, ...] | None  # None: not known (outside the stack and not approved), so it fails closed
    resource: ResourceView | None = None
    approved: External | None = None


def aws_destination(
    index: Index,
    view: ResourceView,
    value: Any,
    *,
    types: tuple[str, ...],
    name_key: str,
    dep_key: str,
    ctx: RuleContext,
) -> Destination:
    """The destination `value` (a name or an ARN in input `dep_key`) names: a stack resource of `types` by property
    dependency, by its `name_key` input or by its `arn` output; else an approved external resource; else unknown."""
    target = index.dependency(view, dep_key, types)
    known = isinstance(value, str) and not is_unknown(value)
    if target is None and known:
        name = str(value).rsplit(":", 1)[-1] if str(value).startswith("arn:") else str(value)
        matches = [m for t in types for m in index.named(t, name_key, name)]
        target = matches[0] if len(matches) == 1 else index.with_output(types, "arn", str(value))
    shown = str(value) if known else "(unknown)"
    if target is not None:
        region = aws_region_of(target, ctx)
        return Destination(shown, (region,) if region else None, resource=target)
    if known:
        approved = find_approved(ctx, str(value))
        if approved is not None:
            return Destination(shown, approved.regions, approved=approved)
    return Destination(shown, None)
