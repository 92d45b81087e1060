"""Data paths: every place a resource sends or copies data to lies inside the residency set.

Each path names its destination as a resource (a name, an ARN or an Azure resource ID). The destination is a
resource of this stack (found by property dependency, name or known ID), whose Region or location then decides; or
an approved external resource (policy config `approved_external`) with its location; or it is unknown, and unknown
fails closed. Paths whose destination is a Region (DynamoDB replicas, an interface endpoint's service Region, an
EventBridge failover Region, Cosmos DB locations) are judged by that Region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from crosscloud.policies.rules.base import (
    Finding,
    ResourceView,
    RuleContext,
    StackView,
    allowed,
    each_resource,
    get,
    is_unknown,
    no_residency,
)
from crosscloud.policies.rules.normalize import arm_segments
from crosscloud.policies.rules.where import (
    AzureLocator,
    Destination,
    Index,
    aws_destination,
    aws_region_of,
    find_approved,
    normalize_azure_location,
    region_of_arn,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
STREAMS = ("aws:kinesis/stream:Stream", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
GEO_REDUNDANT = re.compile(r"_(RA)?G(Z)?RS$", re.IGNORECASE)
_SERVICE_REGION = re.compile(r"^com\.amazonaws\.(?:vpce\.)?(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)\.")
FIREHOSE_ENDPOINTS = {
    "http_endpoint": "httpEndpointConfiguration.url",
    "splunk": "splunkConfiguration.hecEndpoint",
    "snowflake": "snowflakeConfiguration.accountUrl",
    "redshift": "redshiftConfiguration.clusterJdbcurl",
    "opensearchserverless": "opensearchserverlessConfiguration.collectionEndpoint",
    "iceberg": "icebergConfiguration.catalogArn",
}


def peek(props: Any, path: str) -> Any:
    """`get` without raising: an unknown value is returned as its sentinel, for the caller to resolve by property
    dependency (a destination created in the same deployment is unknown at preview)."""
    value = props
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _outside(regions: tuple[str, ...], ctx: RuleContext) -> list[str]:
    assert ctx.residency is not None
    return [r for r in regions if r not in ctx.residency.aws]


def _any_destination(index: Index, view: ResourceView, value: Any, dep_key: str, ctx: RuleContext) -> Destination:
    """An ARN destination of any type: a stack resource it depends on or whose `arn` is it, else approved."""
    target = index.dependency(view, dep_key, None)
    if target is None and isinstance(value, str) and not is_unknown(value):
        target = index.by_output(value, referrer=view)
    shown = str(value) if isinstance(value, str) and not is_unknown(value) else "(unknown)"
    if target is not None:
        region = aws_region_of(target, ctx)
        return Destination(shown, (region,) if region else None, resource=target)
    if isinstance(value, str) and not is_unknown(value):
        approved = find_approved(ctx, value)
        if approved is not None:
            return Destination(shown, approved.regions, approved=approved)
    return Destination(shown, None)


def _judge(what: str, target: Destination, ctx: RuleContext) -> Iterator[str]:
    assert ctx.residency is not None
    if target.regions is None:
        yield (
            f"{what} {target.shown}, which this stack does not manage, so its Region cannot be proven (fails closed); "
            f"allowed: a destination of this stack in {allowed(ctx.residency.aws)}, or policy config approved_external"
        )
        return
    outside = _outside(target.regions, ctx)
    if outside:
        yield (
            f"{what} {target.shown} in {', '.join(outside)}, outside residency {ctx.residency.name!r}; allowed: "
            f"{allowed(ctx.residency.aws)}"
        )


# -- AWS ---------------------------------------------------------------------------------------------------------


def _bucket_replication(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    configs: Any = get(view.props, "replicationConfiguration")
    if configs is None:
        configs = get(view.props, "replicationConfigurations")
    for c, config in enumerate(configs if isinstance(configs, list) else [configs] if configs else []):
        for i, rule in enumerate(get(config, "rules") or []):
            if str(get(rule, "status") or "Enabled").lower() == "disabled":
                continue
            destinations = get(rule, "destination") or get(rule, "destinations")
            for destination in destinations if isinstance(destinations, list) else [destinations]:
                arn = peek(destination, "bucket")
                target = aws_destination(
                    index, view, arn, types=BUCKETS, name_key="bucket", dep_key="replicationConfiguration", ctx=ctx
                )
                yield from _judge(f"inline replication rule {c}.{i} copies objects to bucket", target, ctx)


def _dynamodb_replicas(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    assert ctx.residency is not None
    for i, replica in enumerate(get(view.props, "replicas") or []):
        region = get(replica, "regionName")
        if region is not None and str(region) not in ctx.residency.aws:
            yield (
                f"replicas[{i}] copies the table to {region}, outside residency {ctx.residency.name!r}; allowed: "
                f"{allowed(ctx.residency.aws)}"
            )


def _arn_path(key: str, what: str) -> Callable[[Index, ResourceView, RuleContext], Iterator[str]]:
    def check(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
        value = peek(view.props, key)
        if value is None:
            return
        yield from _judge(what, _any_destination(index, view, value, key, ctx), ctx)

    return check


def _firehose(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    destination = str(get(view.props, "destination") or "")
    if destination in ("extended_s3", "s3"):
        arn = peek(view.props, "extendedS3Configuration.bucketArn") or peek(view.props, "s3Configuration.bucketArn")
        key = "extendedS3Configuration" if "extendedS3Configuration" in view.props else "s3Configuration"
        target = aws_destination(index, view, arn, types=BUCKETS, name_key="bucket", dep_key=key, ctx=ctx)
        yield from _judge("delivers records to bucket", target, ctx)
        return
    for name in ("opensearch", "elasticsearch"):
        if destination == name:
            key = f"{name}Configuration"
            domain = peek(view.props, f"{key}.domainArn")
            yield from _judge(
                f"delivers records to {name} domain", _any_destination(index, view, domain, key, ctx), ctx
            )
            return
    endpoint_path = FIREHOSE_ENDPOINTS.get(destination)
    endpoint = get(view.props, endpoint_path) if endpoint_path else None
    approved = find_approved(ctx, str(endpoint)) if isinstance(endpoint, str) and not is_unknown(endpoint) else None
    target = Destination(str(endpoint or destination or "(no destination)"), approved.regions if approved else None)
    yield from _judge(f"delivers records to a {destination or 'missing'} destination", target, ctx)


def _event_endpoint(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    assert ctx.residency is not None
    for role in ("primary", "secondary"):
        region = get(view.props, f"routingConfig.failoverConfig.{role}.route")
        if region is not None and str(region) not in ctx.residency.aws:
            yield (
                f"global endpoint fails over ({role}) to {region}, outside residency {ctx.residency.name!r}; allowed: "
                f"{allowed(ctx.residency.aws)}"
            )


def _api_destination(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    endpoint = get(view.props, "invocationEndpoint")
    if endpoint is None:
        return
    approved = find_approved(ctx, str(endpoint)) if not is_unknown(endpoint) else None
    target = Destination(str(endpoint), approved.regions if approved else None)
    yield from _judge("sends events to the HTTP endpoint", target, ctx)


def _backup_copies(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    for i, rule in enumerate(get(view.props, "rules") or []):
        for j, action in enumerate(get(rule, "copyActions") or []):
            vault = peek(action, "destinationVaultArn")
            target = _any_destination(index, view, vault, "rules", ctx)
            if target.regions is None and isinstance(vault, str):
                arn_region = region_of_arn(vault)
                if arn_region and ctx.residency is not None and arn_region not in ctx.residency.aws:
                    target = Destination(vault, (arn_region,))
            yield from _judge(f"rules[{i}].copyActions[{j}] copies recovery points to vault", target, ctx)


def _interface_endpoint(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    assert ctx.residency is not None
    service_region = get(view.props, "serviceRegion")
    name = get(view.props, "serviceName")
    match = _SERVICE_REGION.match(str(name)) if isinstance(name, str) else None
    for region, where in ((service_region, "serviceRegion"), (match["region"] if match else None, "serviceName")):
        if region is not None and str(region) not in ctx.residency.aws:
            yield (
                f"endpoint reaches {name} in {region} ({where}), outside residency {ctx.residency.name!r}; allowed: "
                f"a service in {allowed(ctx.residency.aws)}"
            )


def _flow_log(index: Index, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    destination = peek(view.props, "logDestination")
    key = "logDestination"
    if destination is None and peek(view.props, "logGroupName") is not None:
        destination, key = peek(view.props, "logGroupName"), "logGroupName"
    if destination is None and not view.property_dependencies.get("logDestination"):
        return
    target = _any_destination(index, view, destination, key, ctx)
    if target.regions is None and isinstance(destination, str) and not is_unknown(destination):
        named = aws_destination(
            index, view, destination, types=(LOG_GROUP, *BUCKETS), name_key="name", dep_key=key, ctx=ctx
        )
        target = named if named.regions is not None else target
    yield from _judge("flow logs go to", target, ctx)


AWS_PATHS: dict[str, Callable[[Index, ResourceView, RuleContext], Iterator[str]]] = {
    "aws:s3/bucket:Bucket": _bucket_replication,
    "aws:s3/bucketV2:BucketV2": _bucket_replication,
    "aws:dynamodb/table:Table": _dynamodb_replicas,
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": _arn_path("destinationArn", "log events go to"),
    "aws:cloudwatch/logDestination:LogDestination": _arn_path("targetArn", "log events go to"),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose,
    "aws:cloudwatch/eventTarget:EventTarget": _arn_path("arn", "events go to"),
    "aws:pipes/pipe:Pipe": _arn_path("target", "events go to"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": _api_destination,
    "aws:cloudwatch/eventEndpoint:EventEndpoint": _event_endpoint,
    "aws:backup/plan:Plan": _backup_copies,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _interface_endpoint,
    "aws:ec2/flowLog:FlowLog": _flow_log,
}


# -- Azure -------------------------------------------------------------------------------------------------------

# ARM resource type segment of an ID -> (stack type, its name input), to find a destination named by ID.
AZURE_BY_ID = {
    "workspaces": ("azure-native:operationalinsights:Workspace", "workspaceName"),
    "storageaccounts": ("azure-native:storage:StorageAccount", "accountName"),
    "namespaces": ("azure-native:eventhub:Namespace", "namespaceName"),
}


def _azure_target(locator: AzureLocator, view: ResourceView, key: str, value: Any) -> tuple[str, str | None]:
    """(shown, location or None) of the Azure resource `value` (an ID or name in input `key`) names."""
    found = locator.dependency(view, key, None)
    known = isinstance(value, str) and not is_unknown(value)
    if found is None and known:
        found = locator.by_output(str(value), "id", referrer=view)
        if found is None:
            segments = arm_segments(value)
            for segment, (type_, name_key) in AZURE_BY_ID.items():
                if segment in segments:
                    matches = locator.named(type_, name_key, segments[segment])
                    found = matches[0] if len(matches) == 1 else None
                    break
    shown = str(value) if known else "(unknown)"
    if found is not None:
        location, _how = locator.location(found)
        return found.name, location
    if known:
        approved = find_approved(locator.ctx, str(value))
        if approved is not None:
            return shown, approved.location
    return shown, None


def _judge_azure(what: str, shown: str, location: str | None, ctx: RuleContext) -> Iterator[str]:
    assert ctx.residency is not None
    if location is None:
        yield (
            f"{what} {shown}, which this stack does not manage, so its location cannot be proven (fails closed); "
            f"allowed: a destination of this stack in {allowed(ctx.residency.azure)}, or policy config "
            "approved_external"
        )
    elif normalize_azure_location(location) not in ctx.residency.azure:
        yield (
            f"{what} {shown} in {location}, outside residency {ctx.residency.name!r}; allowed: "
            f"{allowed(ctx.residency.azure)}"
        )


DIAGNOSTIC_DESTINATIONS = {
    "workspaceId": "Log Analytics workspace",
    "storageAccountId": "storage account",
    "eventHubAuthorizationRuleId": "event hub",
    "serviceBusRuleId": "service bus",
    "marketplacePartnerId": "partner solution",
}


def _diagnostics(locator: AzureLocator, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    for key, what in DIAGNOSTIC_DESTINATIONS.items():
        value = peek(view.props, key)
        if value is None and not view.property_dependencies.get(key):
            continue
        shown, location = _azure_target(locator, view, key, value)
        yield from _judge_azure(f"diagnostics go to {what}", shown, location, ctx)


def _object_replication(locator: AzureLocator, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    for key in ("sourceAccount", "destinationAccount"):
        value = peek(view.props, key)
        if value is None and not view.property_dependencies.get(key):
            continue
        shown, location = _azure_target(locator, view, key, value)
        yield from _judge_azure(f"blob object replication ({key}) uses storage account", shown, location, ctx)


def _storage_redundancy(locator: AzureLocator, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    sku = get(view.props, "sku.name")
    if isinstance(sku, str) and GEO_REDUNDANT.search(sku):
        yield (
            f"storage SKU {sku} replicates the account to its region's pair, which the catalog does not record, so "
            "where the copy is kept cannot be proven (fails closed); allowed: an LRS or ZRS SKU"
        )


def _cosmos_locations(locator: AzureLocator, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    for i, entry in enumerate(get(view.props, "locations") or []):
        location = get(entry, "locationName")
        if location is not None:
            yield from _judge_azure(f"locations[{i}] replicates the database to", str(location), str(location), ctx)


# Data collection rule destination kinds -> the input naming each destination (Azure Monitor DCR schema).
DCR_DESTINATIONS = {
    "logAnalytics": ("workspaceResourceId", "Log Analytics workspace"),
    "storageAccounts": ("storageAccountResourceId", "storage account"),
    "storageBlobsDirect": ("storageAccountResourceId", "storage account"),
    "storageTablesDirect": ("storageAccountResourceId", "storage account"),
    "eventHubs": ("eventHubResourceId", "event hub"),
    "eventHubsDirect": ("eventHubResourceId", "event hub"),
    "monitoringAccounts": ("accountResourceId", "monitoring account"),
}


def _collection_rule(locator: AzureLocator, view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    """Where a data collection rule sends what the agent collects (azureMonitorMetrics stays in its region)."""
    destinations = get(view.props, "destinations") or {}
    for kind, (key, what) in DCR_DESTINATIONS.items():
        for i, entry in enumerate(get(destinations, kind) or []):
            value = peek(entry, key)
            shown, location = _azure_target(locator, view, "destinations", value)
            yield from _judge_azure(f"destinations.{kind}[{i}] sends collected logs to {what}", shown, location, ctx)


AZURE_PATHS: dict[str, Callable[[AzureLocator, ResourceView, RuleContext], Iterator[str]]] = {
    "azure-native:monitor:DiagnosticSetting": _diagnostics,
    "azure-native:storage:ObjectReplicationPolicy": _object_replication,
    "azure-native:storage:StorageAccount": _storage_redundancy,
    "azure-native:documentdb:DatabaseAccount": _cosmos_locations,
    "azure-native:monitor:DataCollectionRule": _collection_rule,
}


def check_data_paths(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    aws = [v for v in stack.resources if v.type in AWS_PATHS]
    azure = [v for v in stack.resources if v.type in AZURE_PATHS]
    if not aws and not azure:
        return
    if ctx.residency is None:
        for view in (*aws, *azure):
            yield view, no_residency(ctx)
        return
    index = Index(stack)
    locator = AzureLocator(stack, ctx)
    rule = "data-path-destination-in-residency"
    yield from each_resource(rule, aws, ctx, lambda v: AWS_PATHS[v.type](index, v, ctx))
    yield from each_resource(rule, azure, ctx, lambda v: AZURE_PATHS[v.type](locator, v, ctx))
