"""Residency rules: every resource runs, and every prompt is processed, inside the stack's residency set.

Regions and locations come from `where.py`; Azure SKU classes and Bedrock profile destinations from the catalog the
components read, so what a component picks and what a rule allows cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from crosscloud.catalog import Catalog
from crosscloud.catalog.schema import ANY
from policies.rules.base import (
    DOCUMENT_PROPERTIES,
    Finding,
    ResourceView,
    Rule,
    RuleContext,
    StackView,
    Unknown,
    allowed,
    each_resource,
    get,
    is_unknown,
    json_value,
    no_residency,
)
from policies.rules.bedrock import find_refs, ref_problem
from policies.rules.where import (
    AZURE_GLOBAL_TYPES,
    AZURE_PROVIDER,
    FOUNDRY_ACCOUNT,
    AzureLocator,
    aws_region_of,
    is_aws,
    is_azure,
    normalize_azure_location,
)

DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
SERVERLESS_ENDPOINT = "azure-native:machinelearningservices:ServerlessEndpoint"
GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
LOGGING = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
# IAM documents: (type, input holding a JSON policy document or a list of inline policies).
IAM_DOCUMENTS: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "inlinePolicies",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "policy",
}
RESIDENCY_CONFIG = {
    "residency": {
        "type": "string",
        "description": "Residency set to enforce; defaults to the stack's crosscloud:residency",
    }
}


# -- AWS region --------------------------------------------------------------------------------------------------


def check_aws_region(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not is_aws(view):
        return
    if ctx.residency is None:
        yield no_residency(ctx)
        return
    region = aws_region_of(view, ctx)
    if region is None:
        yield (
            "AWS region is not set on the resource, its provider or the stack (aws:region), so residency cannot be "
            "proven; set crosscloud:aws.region or region on an explicit provider"
        )
    elif region not in ctx.residency.aws:
        yield (
            f"AWS region {region} is outside residency {ctx.residency.name!r} (crosscloud:aws.region); "
            f"allowed: {allowed(ctx.residency.aws)}"
        )


# -- Azure location ----------------------------------------------------------------------------------------------


def azure_location_problem(location: str, catalog: Catalog, ctx: RuleContext, how: str = "") -> str | None:
    """Why `location` (found `how`, e.g. "its resource group rg-1") is not allowed, or None."""
    assert ctx.residency is not None
    normalized = normalize_azure_location(location)
    if normalized in ctx.residency.azure:
        return None
    source = f" (from {how})" if how and how != "its location" else ""
    if normalized not in catalog.regions.azure_regions:
        return f"Azure location {location!r}{source} is not a known region; allowed: {allowed(ctx.residency.azure)}"
    return (
        f"Azure location {location}{source} is outside residency {ctx.residency.name!r} (crosscloud:azure.location); "
        f"allowed: {allowed(ctx.residency.azure)}"
    )


def check_azure_locations(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    azure = [v for v in stack.resources if is_azure(v)]
    if not azure:
        return
    if ctx.residency is None:
        for view in azure:
            yield view, no_residency(ctx)
        return
    locator = AzureLocator(stack)

    def one(view: ResourceView) -> Iterator[str]:
        if view.type == AZURE_PROVIDER:
            location = get(view.props, "location")
            if location:
                problem = azure_location_problem(str(location), ctx.catalog, ctx)
                if problem:
                    yield problem
            return
        location, how = locator.location(view)
        if location is None:
            yield (
                "no Azure location on the resource, its parent, its resource group or its provider, so residency "
                f"cannot be proven; allowed: {allowed(ctx.residency.azure if ctx.residency else ())}"
            )
            return
        if location.lower() == "global":
            if view.type not in AZURE_GLOBAL_TYPES:
                yield f"location 'global' is only allowed for DNS types; allowed: {allowed(ctx.residency.azure)}"  # type: ignore[union-attr]
            return
        problem = azure_location_problem(location, ctx.catalog, ctx, how)
        if problem:
            yield problem

    yield from each_resource("azure-location-allowed", azure, ctx, one)


# -- Azure deployment SKUs ----------------------------------------------------------------------------------------


def processing_regions(catalog: Catalog, location: str, processing: str) -> frozenset[str] | None:
    """Regions a deployment of `processing` class in `location` may process prompts in (None: anywhere)."""
    table = catalog.regions.azure_regions
    if processing == "global" or location not in table:
        return None
    if processing == "data_zone":
        zone = table[location].data_zone
        if zone is None:
            return None
        countries = {c for g in catalog.regions.data_zones[zone] for c in catalog.regions.country_groups[g]}
        return frozenset(r for r, d in table.items() if d.country in countries)
    return frozenset(r for r, d in table.items() if d.country == table[location].country)


def resident_skus(catalog: Catalog, location: str, residency: Any) -> list[str]:
    return [
        name
        for name, sku in catalog.azure_skus.skus.items()
        if (regions := processing_regions(catalog, location, sku.processing)) is not None and regions <= residency.azure
    ]


def _deployment_sku(view: ResourceView) -> str | None:
    name = get(view.props, "sku.name")
    return str(name) if name else None


def check_deployment_skus(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    deployments = stack.of_type(DEPLOYMENT)
    if not deployments:
        return
    if ctx.residency is None:
        for view in deployments:
            yield view, no_residency(ctx)
        return
    residency = ctx.residency
    locator = AzureLocator(stack)
    skus = ctx.catalog.azure_skus.skus

    def one(view: ResourceView) -> Iterator[str]:
        sku = _deployment_sku(view)
        if sku is None:
            yield f"deployment has no sku.name, so where it processes prompts is unknown; allowed: {', '.join(skus)}"
            return
        if sku not in skus:
            yield f"deployment SKU {sku!r} is not a known SKU (fails closed); known: {', '.join(skus)}"
            return
        location, _how = locator.location(view)
        if location is None:
            yield f"deployment SKU {sku}: the account's location is not known, so residency cannot be proven"
            return
        location = normalize_azure_location(location)
        regions = processing_regions(ctx.catalog, location, skus[sku].processing)
        if regions is not None and regions <= residency.azure:
            return
        scope = "any Azure region" if regions is None else ", ".join(sorted(regions - residency.azure))
        ok = ", ".join(resident_skus(ctx.catalog, location, residency)) or "none in this location"
        yield (
            f"deployment SKU {sku} ({skus[sku].processing}) in {location} may process prompts in {scope}, outside "
            f"residency {residency.name!r}; allowed here: {ok}"
        )

    yield from each_resource("azure-deployment-sku-allowed", deployments, ctx, one)


def _member_countries(catalog: Catalog, zone: str, config: Mapping[str, Any]) -> set[str]:
    groups = config.get("member_groups", {}).get(zone) if isinstance(config.get("member_groups"), Mapping) else None
    names = groups if isinstance(groups, list) else catalog.regions.data_zones[zone][:1]
    return {c for g in names for c in catalog.regions.country_groups.get(str(g), [])}


def check_datazone_member(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    locator = AzureLocator(stack)
    table = ctx.catalog.regions.azure_regions
    skus = ctx.catalog.azure_skus.skus

    def one(view: ResourceView) -> Iterator[str]:
        sku = _deployment_sku(view)
        if sku is None or sku not in skus or skus[sku].processing != "data_zone":
            return
        location, _how = locator.location(view)
        if location is None:
            yield f"{sku} deployment: the account's location is not known, so its data zone cannot be proven"
            return
        location = normalize_azure_location(location)
        zone = table[location].data_zone if location in table else None
        if zone is None:
            yield f"{sku} deployment in {location}: the region belongs to no Microsoft data zone (fails closed)"
            return
        members = _member_countries(ctx.catalog, zone, ctx.config)
        if table[location].country not in members:
            ok = allowed(r for r, d in table.items() if d.data_zone == zone and d.country in members)
            yield (
                f"{sku} deployment in {location} ({table[location].country}) is outside the member states of the "
                f"{zone} data zone; allowed locations for DataZone SKUs: {ok}"
            )

    yield from each_resource("azure-datazone-needs-member-region", stack.of_type(DEPLOYMENT), ctx, one)


def check_spillover(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    deployments = stack.of_type(DEPLOYMENT)
    skus = ctx.catalog.azure_skus.skus
    locator = AzureLocator(stack)

    def account_of(view: ResourceView) -> str:
        """The account's URN where the stack has it (the name may be unknown at preview), else its name."""
        found = locator.referenced(view, "accountName", (FOUNDRY_ACCOUNT,))
        return found.urn if found is not None else str(get(view.props, "accountName"))

    by_name: dict[tuple[str, str], ResourceView] = {}
    for view in deployments:
        name = view.props.get("deploymentName")
        if isinstance(name, str) and not is_unknown(name):
            try:
                by_name[(account_of(view), name)] = view
            except Unknown:
                continue

    def one(view: ResourceView) -> Iterator[str]:
        target_name = get(view.props, "properties.spilloverDeploymentName")
        if not target_name:
            return
        account = account_of(view)
        target = by_name.get((account, str(target_name)))
        sku = _deployment_sku(view)
        if target is None:
            yield (
                f"spillover target {target_name!r} is not a deployment of the same account in this stack, so its "
                "processing class cannot be proven; allowed: a deployment of the same account and class"
            )
            return
        target_sku = _deployment_sku(target)
        own_class = skus[sku].processing if sku in skus else None
        target_class = skus[target_sku].processing if target_sku in skus else None
        if own_class is None or own_class != target_class:
            yield (
                f"spillover from {sku} ({own_class}) to {target_name} {target_sku} ({target_class}) changes where "
                f"prompts are processed; allowed: a spillover target with a {own_class} SKU"
            )

    yield from each_resource("azure-spillover-same-class", deployments, ctx, one)


def serverless_regions(catalog: Catalog, model_id: str) -> frozenset[str] | None:
    """Regions where the catalog offers the serverless route of the model with this azureml asset ID (a
    `/versions/<n>` suffix ignored); None if the catalog does not know the model."""
    base = model_id.split("/versions/")[0].lower()
    for model in catalog.models.values():
        serverless = model.azure.serverless if model.azure is not None else None
        if serverless is not None and serverless.model_id.lower() == base:
            return frozenset(serverless.regions)
    return None


def check_serverless_endpoints(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    endpoints = stack.of_type(SERVERLESS_ENDPOINT)
    if not endpoints:
        return
    if ctx.residency is None:
        for view in endpoints:
            yield view, no_residency(ctx)
        return
    locator = AzureLocator(stack)
    residency = ctx.residency

    def one(view: ResourceView) -> Iterator[str]:
        location, how = locator.location(view)
        model = view.props.get("properties", {}).get("modelSettings", {}).get("modelId", "?")
        if location is None:
            yield f"serverless endpoint for {model}: no location anywhere, so residency cannot be proven"
            return
        normalized = normalize_azure_location(location)
        if normalized not in residency.azure:
            yield (
                f"serverless endpoint for {model} in {location} (from {how}) processes prompts outside residency "
                f"{residency.name!r}; allowed: {allowed(residency.azure)}"
            )
            return
        offered = serverless_regions(ctx.catalog, str(model))
        if offered is not None and normalized not in offered:
            yield (
                f"serverless endpoint for {model} in {location}: the catalog lists no serverless route there; "
                f"allowed: {allowed(offered & residency.azure)}"
            )

    yield from each_resource("azure-serverless-endpoint-region", endpoints, ctx, one)


# -- Bedrock references --------------------------------------------------------------------------------------------


def check_bedrock_refs(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not view.type.startswith("aws:"):
        return
    list(iam_documents(view))  # an IAM document unknown at preview may hide a reference: fail closed on it
    refs = list(find_refs(ctx.catalog, dict(view.props)))
    if not refs:
        return
    if ctx.residency is None:
        yield no_residency(ctx)
        return
    source: str | None = None
    if any(r.region is None for r in refs):
        source = aws_region_of(view, ctx)
    seen: set[str] = set()
    for ref in refs:
        problem = ref_problem(ctx.catalog, ref, source, ctx.residency)
        if problem and problem not in seen:
            seen.add(problem)
            yield problem


def iam_documents(view: ResourceView) -> Iterator[tuple[str, Any]]:
    """(path, parsed document) for each IAM policy document of an IAM resource; unknown raises."""
    key = IAM_DOCUMENTS.get(view.type)
    if key is None:
        return
    value = get(view.props, key)
    if value is None:
        return
    if key == "inlinePolicies":
        for i, inline in enumerate(value or []):
            doc = json_value(get(inline, "policy"), f"inlinePolicies.{i}.policy")
            if doc is not None:
                yield f"inlinePolicies[{i}].policy", doc
        return
    doc = json_value(value, key)
    if doc is not None:
        yield key, doc


def statements(doc: Any) -> list[dict[str, Any]]:
    found = doc.get("Statement", []) if isinstance(doc, Mapping) else []
    found = [found] if isinstance(found, Mapping) else found
    return [s for s in found if isinstance(s, Mapping)]  # type: ignore[misc]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def check_global_grants(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    for path, doc in iam_documents(view):
        for i, statement in enumerate(statements(doc)):
            if statement.get("Effect") != "Allow":
                continue
            for ref in find_refs(ctx.catalog, as_list(statement.get("Resource")), f"{path}.Statement[{i}].Resource"):
                if ref.prefix == "global" or ref.region == "":
                    yield (
                        f"IAM grant {ref.text} allows global cross-Region inference (any commercial Region); allowed: "
                        "profile and foundation-model ARNs in Regions of the residency set"
                    )


def check_guardrail_profile(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if view.type != GUARDRAIL:
        return
    profile = get(view.props, "crossRegionConfig.guardrailProfileIdentifier")
    if not profile:
        return
    if ctx.residency is None:
        yield no_residency(ctx)
        return
    ident = str(profile).rsplit("/", 1)[-1]
    prefix = ident.split(".", 1)[0]
    table = ctx.catalog.bedrock_profiles.prefixes
    if prefix not in table:
        yield f"guardrail profile {profile} has unknown prefix {prefix!r} (fails closed); known: {', '.join(table)}"
        return
    dest = table[prefix].destinations
    outside = "any Region" if dest == ANY else ", ".join(sorted(set(dest) - ctx.residency.aws))
    if dest == ANY or not set(dest) <= ctx.residency.aws:
        yield (
            f"guardrail profile {profile} may evaluate content in {outside}, outside residency "
            f"{ctx.residency.name!r}; allowed: no cross-Region guardrail, or a profile routing within "
            f"{allowed(ctx.residency.aws)}"
        )


# -- logging and replication destinations ------------------------------------------------------------------------


def _named(stack: StackView, types: tuple[str, ...], key: str) -> dict[str, ResourceView]:
    found = {}
    for view in stack.of_type(*types):
        name = view.props.get(key)
        if isinstance(name, str) and not is_unknown(name):
            found[name] = view
    return found


def _destination(
    stack: StackView,
    view: ResourceView,
    name: Any,
    named: dict[str, ResourceView],
    types: tuple[str, ...],
    dep_key: str,
) -> ResourceView | None:
    if isinstance(name, str) and not is_unknown(name) and name in named:
        return named[name]
    by_urn = stack.by_urn()
    candidates = [by_urn[u] for u in view.property_dependencies.get(dep_key, ()) if u in by_urn]
    typed = [c for c in candidates if c.type in types and c.urn != view.urn]
    return typed[0] if len(typed) == 1 else None


def check_logging_destinations(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    buckets = _named(stack, BUCKETS, "bucket")
    groups = _named(stack, (LOG_GROUP,), "name")

    def one(view: ResourceView) -> Iterator[str]:
        region = aws_region_of(view, ctx)
        targets = (
            ("loggingConfig.s3Config.bucketName", buckets, BUCKETS, "S3 bucket"),
            ("loggingConfig.cloudwatchConfig.logGroupName", groups, (LOG_GROUP,), "log group"),
            ("loggingConfig.cloudwatchConfig.largeDataDeliveryS3Config.bucketName", buckets, BUCKETS, "S3 bucket"),
        )
        for path, named, types, what in targets:
            name: Any = view.props
            for part in path.split("."):
                name = name.get(part) if isinstance(name, Mapping) else None
            if name is None:
                continue
            target = _destination(stack, view, name, named, types, "loggingConfig")
            shown = name if not is_unknown(name) else "(unknown)"
            if target is None:
                yield (
                    f"invocation logs go to {what} {shown} that this stack does not manage, so its Region cannot be "
                    f"proven; allowed: a {what} in {region} declared in this stack"
                )
                continue
            target_region = aws_region_of(target, ctx)
            if target_region != region:
                yield (
                    f"invocation logs for {region} go to {what} {shown} in {target_region}; allowed: the same "
                    f"Region ({region})"
                )
            elif ctx.residency is not None and target_region not in ctx.residency.aws:
                yield f"invocation logs go to {target_region}, outside residency {ctx.residency.name!r}"

    yield from each_resource("bedrock-logging-destination-in-region", stack.of_type(LOGGING), ctx, one)


def check_replication(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    buckets = _named(stack, BUCKETS, "bucket")
    configs = stack.of_type(REPLICATION)
    if configs and ctx.residency is None:
        for view in configs:
            yield view, no_residency(ctx)
        return

    def one(view: ResourceView) -> Iterator[str]:
        assert ctx.residency is not None
        rules = get(view.props, "rules") or []
        for i, rule in enumerate(rules):
            arn = get(rule, "destination.bucket")
            name = str(arn).rsplit(":", 1)[-1] if arn and not is_unknown(arn) else arn
            target = _destination(stack, view, name, buckets, BUCKETS, "rules")
            if target is None:
                yield (
                    f"rules[{i}] replicates to bucket {arn} that this stack does not manage, so its Region cannot be "
                    f"proven; allowed: a bucket in {allowed(ctx.residency.aws)} declared in this stack"
                )
                continue
            region = aws_region_of(target, ctx)
            if region not in ctx.residency.aws:
                yield (
                    f"rules[{i}] replicates to bucket {name} in {region}, outside residency "
                    f"{ctx.residency.name!r}; allowed: {allowed(ctx.residency.aws)}"
                )

    yield from each_resource("replication-stays-in-residency", configs, ctx, one)


# -- the rules -------------------------------------------------------------------------------------------------------

AWS_REGION_ALLOWED = Rule(
    id="aws-region-allowed",
    description="AWS resources and providers run only in regions of the stack's residency set",
    check=check_aws_region,
    remediation=(
        "Set crosscloud:aws.region to a region of the residency set (see `crosscloud models --residency <set>`), "
        "or give the resource an explicit provider in such a region."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

AZURE_LOCATION_ALLOWED = Rule(
    id="azure-location-allowed",
    description="Azure resources (location from the resource, its parent, its resource group or its provider) stay "
    "in regions of the stack's residency set",
    check_stack=check_azure_locations,
    remediation=(
        "Set crosscloud:azure.location to a region of the residency set, or the resource's (or its resource "
        "group's) location to one; names of the Azure EU regions do not all say 'europe' (swedencentral, ...)."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

AZURE_DEPLOYMENT_SKU_ALLOWED = Rule(
    id="azure-deployment-sku-allowed",
    description="Foundry deployments use a SKU whose processing scope (global, data zone, regional) stays inside the "
    "residency set",
    check_stack=check_deployment_skus,
    remediation=(
        "Use a regional SKU (Standard, ProvisionedManaged) or, where the data zone lies inside the residency set, "
        "a DataZone SKU; Global* SKUs process prompts worldwide. `crosscloud models --residency <set> --cloud azure` "
        "lists what each model offers."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

AZURE_DATAZONE_NEEDS_MEMBER_REGION = Rule(
    id="azure-datazone-needs-member-region",
    description="DataZone deployment SKUs only on resources in a member state of their data zone (not UK, Swiss or "
    "Norwegian regions)",
    check_stack=check_datazone_member,
    remediation=(
        "Move the Foundry account to a region of an EU member state (e.g. swedencentral) or use a regional "
        "Standard / ProvisionedManaged SKU."
    ),
    severity="critical",
    config_properties={
        "member_groups": {
            "type": "object",
            "description": "per data zone, the country groups (regions.yaml) whose regions may host DataZone SKUs",
        }
    },
)

AZURE_SPILLOVER_SAME_CLASS = Rule(
    id="azure-spillover-same-class",
    description="A provisioned deployment spills over only to a deployment of the same processing class",
    check_stack=check_spillover,
    remediation="Point properties.spilloverDeploymentName at a deployment of the same account whose SKU has the same "
    "processing class (regional to regional, data zone to data zone).",
    severity="high",
)

AZURE_SERVERLESS_ENDPOINT_REGION = Rule(
    id="azure-serverless-endpoint-region",
    description="Serverless (Models-as-a-Service) endpoints process prompts in their location: it must be in the "
    "residency set",
    check_stack=check_serverless_endpoints,
    remediation="Create the hub/project and its serverless endpoint in a region of the residency set that offers the "
    "model's serverless route (`crosscloud models --residency <set> --cloud azure`).",
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

BEDROCK_PROFILE_PREFIX_ALLOWED = Rule(
    id="bedrock-profile-prefix-allowed",
    description="Bedrock model references (profiles, IAM documents, provisioned throughput, environment variables) "
    "route only to Regions of the residency set, judged from the calling Region",
    check=check_bedrock_refs,
    defer_unknown=DOCUMENT_PROPERTIES,
    remediation=(
        "Use the model's in-region ID where the calling Region offers it, or a geo profile whose destinations from "
        "that Region all lie in the residency set (us./apac./global. never do for EU; eu. routes to London and "
        "Zurich for some models); `crosscloud models --residency <set> --cloud aws` lists resident offerings."
    ),
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

IAM_NO_GLOBAL_INFERENCE_GRANT = Rule(
    id="iam-no-global-inference-grant",
    description="IAM policies grant no global cross-Region inference (global. profiles, region-less model ARNs)",
    check=check_global_grants,
    defer_unknown=DOCUMENT_PROPERTIES,
    remediation="Grant the exact geo or in-region profile ARN and the foundation-model ARNs in its destination "
    "Regions, each with a Region of the residency set; never arn:aws:bedrock:::foundation-model/*.",
    severity="critical",
)

GUARDRAIL_PROFILE_IN_RESIDENCY = Rule(
    id="guardrail-profile-in-residency",
    description="A guardrail's cross-Region profile evaluates content only in Regions of the residency set",
    check=check_guardrail_profile,
    remediation="Drop crossRegionConfig or use a guardrail profile whose prefix routes only within the residency set.",
    severity="high",
    config_properties=RESIDENCY_CONFIG,
)

BEDROCK_LOGGING_DESTINATION_IN_REGION = Rule(
    id="bedrock-logging-destination-in-region",
    description="Bedrock invocation logs (prompts and completions) go to a bucket or log group of this stack in the "
    "same Region",
    check_stack=check_logging_destinations,
    remediation="Declare the log bucket / log group in this stack with the logging configuration's Region "
    "(same account, same Region, KMS-encrypted).",
    severity="critical",
)

REPLICATION_STAYS_IN_RESIDENCY = Rule(
    id="replication-stays-in-residency",
    description="S3 replication (e.g. of invocation-log buckets) targets only buckets in the residency set",
    check_stack=check_replication,
    remediation="Replicate only to a bucket declared in this stack in a Region of the residency set, or drop the "
    "replication rule.",
    severity="critical",
    config_properties=RESIDENCY_CONFIG,
)

RULES = (
    AWS_REGION_ALLOWED,
    AZURE_LOCATION_ALLOWED,
    AZURE_DEPLOYMENT_SKU_ALLOWED,
    AZURE_DATAZONE_NEEDS_MEMBER_REGION,
    AZURE_SPILLOVER_SAME_CLASS,
    AZURE_SERVERLESS_ENDPOINT_REGION,
    BEDROCK_PROFILE_PREFIX_ALLOWED,
    IAM_NO_GLOBAL_INFERENCE_GRANT,
    GUARDRAIL_PROFILE_IN_RESIDENCY,
    BEDROCK_LOGGING_DESTINATION_IN_REGION,
    REPLICATION_STAYS_IN_RESIDENCY,
)
