"""The standard interfaces (components/standard.py) realised on Azure: role assignments, diagnostic settings and
private endpoints, created the same way by every Azure component."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

import pulumi
import pulumi_azure_native as azure_native

from crosscloud.components.azure.roles import role_definition_id
from crosscloud.components.standard import Diagnostics, PrivateEndpoint, RoleAssignment, StrInput

# Namespace for role-assignment names. ARM wants a GUID that is unique in the whole Entra tenant; deriving it from
# (scope, principal, role), as Bicep's guid(scope, principal, role) idiom does, makes it stable across runs and
# distinct for every stack, even two stacks with the same project and stack name in one tenant.
_ASSIGNMENT_NAMESPACE = uuid.UUID("5b0f3c1e-9a7d-4a57-8c55-63d1c1a0c2a5")


def assignment_name(scope: str, principal_id: str, role: str) -> str:
    """The deterministic GUID of one (scope, principal, role) assignment."""
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id}|{role}"))


def subscription_id(opts: pulumi.InvokeOptions | None = None) -> pulumi.Output[str]:
    """The subscription the provider deploys into (roles are referenced through it)."""
    config = azure_native.authorization.get_client_config_output(opts=opts)
    found: pulumi.Output[str] = config.subscription_id
    return found


def _name(values: list[str], role: str) -> str:
    return assignment_name(values[0], values[1], role)


def _definition(subscription: str, role: str) -> str:
    return role_definition_id(subscription, role)


def role_assignments(
    name: str,
    scope: pulumi.Output[str],
    assignments: Sequence[RoleAssignment],
    parent: pulumi.Resource,
) -> list[azure_native.authorization.RoleAssignment]:
    """One `RoleAssignment` per entry, scoped to `scope`, named `f"{name}-role-{key}"`."""
    if not assignments:
        return []
    subscription = subscription_id(pulumi.InvokeOptions(parent=parent))
    created = []
    for a in assignments:
        definition: pulumi.Output[str] = subscription.apply(functools.partial(_definition, role=a.role))
        created.append(
            azure_native.authorization.RoleAssignment(
                f"{name}-role-{a.key}",
                role_assignment_name=pulumi.Output.all(scope, a.principal_id).apply(
                    functools.partial(_name, role=a.role)
                ),
                scope=scope,
                role_definition_id=definition,
                principal_id=a.principal_id,
                principal_type=a.principal_type,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return created


def diagnostic_setting(
    name: str, resource_id: pulumi.Output[str], diagnostics: Diagnostics | None, parent: pulumi.Resource
) -> azure_native.monitor.DiagnosticSetting | None:
    """Resource logs (by category group) and metrics of one resource to the Log Analytics workspace."""
    if diagnostics is None:
        return None
    return azure_native.monitor.DiagnosticSetting(
        f"{name}-diag",
        name=f"{name}-diag",
        resource_uri=resource_id,
        workspace_id=diagnostics.workspace_id,
        logs=[
            azure_native.monitor.DiagnosticsLogSettingsArgs(category_group=group, enabled=True)
            for group in diagnostics.log_category_groups
        ],
        metrics=(
            [azure_native.monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)]
            if diagnostics.metrics
            else []
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def private_endpoint(
    name: str,
    *,
    target_id: pulumi.Output[str],
    group_id: str,
    endpoint: PrivateEndpoint,
    resource_group_name: StrInput,
    location: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> azure_native.network.PrivateEndpoint:
    """A private endpoint to `target_id`'s `group_id` sub-resource, with a DNS zone group when zones are given."""
    pe = azure_native.network.PrivateEndpoint(
        f"{name}-pe",
        private_endpoint_name=f"{name}-pe",
        resource_group_name=resource_group_name,
        location=location,
        subnet=azure_native.network.SubnetArgs(id=endpoint.subnet_id),
        private_link_service_connections=[
            azure_native.network.PrivateLinkServiceConnectionArgs(
                name=f"{name}-{group_id}", private_link_service_id=target_id, group_ids=[group_id]
            )
        ],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if endpoint.dns_zone_ids:
        azure_native.network.PrivateDnsZoneGroup(
            f"{name}-pe-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=pe.name,
            resource_group_name=resource_group_name,
            private_dns_zone_configs=[
                azure_native.network.PrivateDnsZoneConfigArgs(name=zone.replace(".", "-"), private_dns_zone_id=zone_id)
                for zone, zone_id in sorted(endpoint.dns_zone_ids.items())
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return pe
