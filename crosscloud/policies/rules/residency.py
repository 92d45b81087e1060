"""Residency rules: every resource runs, and every prompt is processed, inside the stack's residency set.

Regions and locations come from `where.py`; Azure SKU classes and Bedrock profile destinations from the catalog the
components read, so what a component picks and what a rule allows cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from crosscloud.catalog import Catalog, ResidencySet
from crosscloud.catalog.schema import ANY
from crosscloud.policies.rules.base import (
    DOCUMENT_PROPERTIES,
    RESIDENCY_CONFIG_KEY,
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
    no_residency,
)
from crosscloud.policies.rules.bedrock import ModelRef, find_refs, ref_problem, scan
from crosscloud.policies.rules.coverage import COVERAGE_CONFIG, check_coverage
from crosscloud.policies.rules.iam import (
    IAM_DOCUMENTS,
    as_list,
    granted_prompt_actions,
    has_wildcard,
    iam_documents,
    is_allow,
    statement_reach,
    statements,
)
from crosscloud.policies.rules.paths import check_data_paths
from crosscloud.policies.rules.references import check_application_profiles, check_attached_policies
from crosscloud.policies.rules.where import (
    APPROVED_EXTERNAL_CONFIG,
    AZURE_GLOBAL_TYPES,
    AZURE_LOCATIONLESS,
    AZURE_PROVIDERS,
    AzureLocator,
    Index,
    aws_destination,
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
RESIDENCY_CONFIG = {
    "residency": {
        "type": "string",
        "description": "Residency set to enforce; defaults to the stack's crosscloud:residency",
    }
}
# Rules that resolve what a resource names outside the stack take the same list of approved external resources.
LOCATED_CONFIG = {**RESIDENCY_CONFIG, **APPROVED_EXTERNAL_CONFIG}
NO_RESIDENCY = ResidencySet(name="(none)", description="", aws=frozenset(), azure=frozenset())


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
            "AWS region is not set on the resource or its provider, which then takes AWS_REGION, AWS_DEFAULT_REGION "
            "or the shared config at deploy time (a policy cannot read them; crosscloud:aws.region is not read by the "
            "provider), so residency cannot be proven; set region on an explicit provider (crosscloud:aws.region "
            "does) or aws:region for the default provider"
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
    locator = AzureLocator(stack, ctx)

    def one(view: ResourceView) -> Iterator[str]:
        if view.type in AZURE_PROVIDERS:
            location = get(view.props, "location")
            if location:
                problem = azure_location_problem(str(location), ctx.catalog, ctx)
                if problem:
                    yield problem
            return
        location, how = locator.location(view)
        if location is None:
            if how == "nowhere" and view.type in AZURE_LOCATIONLESS:
                return  # an extension resource with no location of its own (see where.py)
            reason = (
                f"{how}, so its location is unknown (fails closed)"
                if how != "nowhere"
                else "no Azure location on the resource, its parent or its resource group (or, for a resource "
                "group, its provider), so residency cannot be proven"
            )
            yield f"{reason}; allowed: {allowed(ctx.residency.azure if ctx.residency else ())}"
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
    locator = AzureLocator(stack, ctx)
    skus = ctx.catalog.azure_skus.skus

    def one(view: ResourceView) -> Iterator[str]:
        sku = _deployment_sku(view)
        if sku is None:
            yield f"deployment has no sku.name, so where it processes prompts is unknown; allowed: {', '.join(skus)}"
            return
        if sku not in skus:
            yield f"deployment SKU {sku!r} is not a known SKU (fails closed); known: {', '.join(skus)}"
            return
        location, how = locator.location(view)
        if location is None:
            yield f"deployment SKU {sku}: the account's location is not known ({how}), so residency cannot be proven"
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
    locator = AzureLocator(stack, ctx)
    table = ctx.catalog.regions.azure_regions
    skus = ctx.catalog.azure_skus.skus

    def one(view: ResourceView) -> Iterator[str]:
        sku = _deployment_sku(view)
        if sku is None or sku not in skus or skus[sku].processing != "data_zone":
            return
        location, how = locator.location(view)
        if location is None:
            yield f"{sku} deployment: the account's location is not known ({how}), so its data zone cannot be proven"
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
    locator = AzureLocator(stack, ctx)

    def account_of(view: ResourceView) -> str:
        """The account's URN where the stack has it (the name may be unknown at preview), else its name."""
        _key, kind, found = locator.parent_of(view)
        return found.urn if kind == "stack" else f"{kind}:{found}"

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
    locator = AzureLocator(stack, ctx)
    residency = ctx.residency

    def one(view: ResourceView) -> Iterator[str]:
        location, how = locator.location(view)
        settings = get(view.props, "properties.modelSettings")
        model = settings.get("modelId", "?") if isinstance(settings, Mapping) else "?"
        if location is None:
            yield f"serverless endpoint for {model}: no location ({how}), so residency cannot be proven"
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


def _document_refs(view: ResourceView, ctx: RuleContext) -> tuple[list[ModelRef], list[tuple[str, str, bool]]]:
    """Model references in the Allow statements of an IAM resource's documents that grant content-sending Bedrock
    actions (literal ARNs), and where their wildcard or negated resources reach: (statement path, message, global)."""
    refs: list[ModelRef] = []
    reaches: list[tuple[str, str, bool]] = []
    residency = ctx.residency or NO_RESIDENCY
    for path, doc in iam_documents(view):
        for i, statement in enumerate(statements(doc)):
            if not is_allow(statement) or not granted_prompt_actions(statement, ctx.catalog):
                continue
            where = f"{path}.Statement[{i}]"
            for resource in as_list(statement.get("Resource")):
                if not has_wildcard(resource):
                    refs += find_refs(ctx.catalog, resource, f"{where}.Resource")
            _granted, found = statement_reach(ctx.catalog, statement, residency)
            reaches += [(where, r.message, r.global_) for r in found]
    return refs, reaches


def check_bedrock_refs(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    if not is_aws(view):
        return
    refs, reaches = _document_refs(view, ctx)  # an IAM document unknown at preview may hide a reference
    document_key = IAM_DOCUMENTS.get(view.type)
    found = scan(ctx.catalog, {k: v for k, v in view.props.items() if k != document_key})
    refs += found.refs
    if not refs and not reaches:
        return
    if ctx.residency is None:
        yield no_residency(ctx)
        return
    source: str | None = None
    if any(r.region is None for r in refs):
        source = aws_region_of(view, ctx)
    seen: set[str] = set()
    for ref in refs:
        problems = [ref_problem(ctx.catalog, ref, source, ctx.residency)]
        if ref.region is None:
            problems += [ref_problem(ctx.catalog, ref, o.region, ctx.residency, via=o) for o in found.overrides]
        for problem in problems:
            if problem and problem not in seen:
                seen.add(problem)
                yield problem
    for where, message, _global in reaches:
        text = (
            f"IAM grant at {where}: {message}, outside residency {ctx.residency.name!r}; allowed: exact "
            f"foundation-model and profile ARNs in {allowed(ctx.residency.aws)}"
        )
        if text not in seen:
            seen.add(text)
            yield text


def check_global_grants(view: ResourceView, ctx: RuleContext) -> Iterator[str]:
    refs, reaches = _document_refs(view, ctx)
    for ref in refs:
        if ref.prefix == "global" or ref.region == "":
            yield (
                f"IAM grant {ref.text} allows global cross-Region inference (any commercial Region); allowed: "
                "profile and foundation-model ARNs in Regions of the residency set"
            )
    for where, message, is_global in reaches:
        if is_global:
            yield (
                f"IAM grant at {where} allows global cross-Region inference ({message}); allowed: exact profile and "
                "foundation-model ARNs in Regions of the residency set"
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


def _nested(props: Mapping[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def check_logging_destinations(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    index = Index(stack)

    def one(view: ResourceView) -> Iterator[str]:
        region = aws_region_of(view, ctx)
        targets = (
            ("loggingConfig.s3Config.bucketName", BUCKETS, "bucket", "S3 bucket"),
            ("loggingConfig.cloudwatchConfig.logGroupName", (LOG_GROUP,), "name", "log group"),
            ("loggingConfig.cloudwatchConfig.largeDataDeliveryS3Config.bucketName", BUCKETS, "bucket", "S3 bucket"),
        )
        for path, types, name_key, what in targets:
            name = _nested(view.props, path)
            if name is None:
                continue
            target = aws_destination(
                index, view, name, types=types, name_key=name_key, dep_key="loggingConfig", ctx=ctx
            )
            if target.regions is None:
                yield (
                    f"invocation logs go to {what} {target.shown} that this stack does not manage, so its Region "
                    f"cannot be proven; allowed: a {what} in {region} declared in this stack (or approved_external)"
                )
                continue
            target_region = target.regions[0]
            if set(target.regions) != {region}:
                yield (
                    f"invocation logs for {region} go to {what} {target.shown} in {', '.join(target.regions)}; "
                    f"allowed: the same Region ({region})"
                )
            elif ctx.residency is not None and target_region not in ctx.residency.aws:
                yield f"invocation logs go to {target_region}, outside residency {ctx.residency.name!r}"

    yield from each_resource("bedrock-logging-destination-in-region", stack.of_type(LOGGING), ctx, one)


def check_replication(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    configs = stack.of_type(REPLICATION)
    if configs and ctx.residency is None:
        for view in configs:
            yield view, no_residency(ctx)
        return
    index = Index(stack)

    def one(view: ResourceView) -> Iterator[str]:
        assert ctx.residency is not None
        rules = get(view.props, "rules") or []
        for i, rule in enumerate(rules):
            arn = get(rule, "destination.bucket")
            target = aws_destination(index, view, arn, types=BUCKETS, name_key="bucket", dep_key="rules", ctx=ctx)
            if target.regions is None:
                yield (
                    f"rules[{i}] replicates to bucket {target.shown} that this stack does not manage, so its Region "
                    f"cannot be proven; allowed: a bucket in {allowed(ctx.residency.aws)} declared in this stack"
                )
                continue
            outside = [r for r in target.regions if r not in ctx.residency.aws]
            if outside:
                name = str(arn).rsplit(":", 1)[-1] if isinstance(arn, str) and not is_unknown(arn) else target.shown
                yield (
                    f"rules[{i}] replicates to bucket {name} in {', '.join(outside)}, outside residency "
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
    description="Azure resources (location from the resource, its parent or its resource group; a parent or group "
    "outside the stack fails closed unless approved) stay in regions of the stack's residency set",
    check_stack=check_azure_locations,
    remediation=(
        "Set crosscloud:azure.location to a region of the residency set, or the resource's (or its resource "
        "group's) location to one; names of the Azure EU regions do not all say 'europe' (swedencentral, ...)."
    ),
    severity="critical",
    config_properties=LOCATED_CONFIG,
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
    config_properties=LOCATED_CONFIG,
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
        **APPROVED_EXTERNAL_CONFIG,
        "member_groups": {
            "type": "object",
            "description": "per data zone, the country groups (regions.yaml) whose regions may host DataZone SKUs",
        },
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
    config_properties=LOCATED_CONFIG,
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
    config_properties=LOCATED_CONFIG,
)

REPLICATION_STAYS_IN_RESIDENCY = Rule(
    id="replication-stays-in-residency",
    description="S3 replication (e.g. of invocation-log buckets) targets only buckets in the residency set",
    check_stack=check_replication,
    remediation="Replicate only to a bucket declared in this stack in a Region of the residency set, or drop the "
    "replication rule.",
    severity="critical",
    config_properties=LOCATED_CONFIG,
)


# -- the stack's residency set is the pack's, not the reviewed stack's -----------------------------------------------


def check_residency_pinned(stack: StackView, ctx: RuleContext) -> Iterator[Finding]:
    pinned = ctx.config.get("residency")
    declared = ctx.stack_config(RESIDENCY_CONFIG_KEY)
    names = ", ".join(ctx.catalog.residency_names)
    if not isinstance(pinned, str) or not pinned:
        yield (
            None,
            f"the policy config pins no residency set, so the reviewed stack's own crosscloud:residency "
            f"({declared!r}) decides what is enforced; allowed: residency-pinned.residency set to one of {names} in "
            "the pack's policy config",
        )
    elif pinned not in ctx.catalog.residency_names:
        yield None, f"the policy config pins residency {pinned!r}, which is not a residency set; allowed: {names}"
    elif declared != pinned:
        yield (
            None,
            f"crosscloud:residency is {declared!r} but the policy config pins {pinned!r}; allowed: {pinned!r} "
            "(a stack cannot move the residency set it is checked against)",
        )


RESIDENCY_PINNED = Rule(
    id="residency-pinned",
    description="The stack's crosscloud:residency is the residency set the policy config pins",
    check_stack=check_residency_pinned,
    remediation="Pin the residency set in the pack's policy config (policies/config/<stack>/residency.json: "
    '{"residency-pinned": {"residency": "eu"}}) and set crosscloud:residency to the same set; changing the set is '
    "a change to the policy config, reviewed as such.",
    severity="critical",
    exemptible=False,
    config_properties=RESIDENCY_CONFIG,
)

POLICY_COVERAGE = Rule(
    id="policy-coverage",
    description="Every resource that can hold or process data is of a type the residency rules model (fail closed "
    "on versioned, generic, classic, aws-native or unknown tokens they cannot read)",
    check=check_coverage,
    remediation="Use the typed aws / azure-native resource the rules model, or (for a type that keeps data in its "
    "own region or location) list it in the policy config policy-coverage.regional_types; exempt a resource only "
    "with a reason (crosscloud:exempt:policy-coverage).",
    severity="high",
    config_properties=COVERAGE_CONFIG,
)

DATA_PATH_DESTINATION_IN_RESIDENCY = Rule(
    id="data-path-destination-in-residency",
    description="Every destination data is copied or sent to (bucket and blob replication, DynamoDB and Cosmos DB "
    "replicas, log subscriptions, Firehose, EventBridge, Backup copies, interface endpoints, flow logs, diagnostic "
    "settings, data collection rules, geo-redundant storage) is in the residency set",
    check_stack=check_data_paths,
    remediation="Send data only to destinations declared in this stack in a Region or location of the residency "
    "set (or list an external one with its location in approved_external); use LRS/ZRS storage SKUs.",
    severity="critical",
    config_properties=LOCATED_CONFIG,
)

IAM_ATTACHED_POLICY_IN_RESIDENCY = Rule(
    id="iam-attached-policy-in-residency",
    description="Managed policies attached to the stack's principals (AWS managed, known by ARN; customer managed "
    "of this stack) grant Bedrock inference only inside the residency set, after the principal's explicit denies",
    check_stack=check_attached_policies,
    remediation="Attach policies of this stack that grant exact foundation-model and profile ARNs, or deny the "
    "content-sending Bedrock actions on the principal (the CI deploy role does); an AWS managed policy the catalog "
    "does not record (aws_iam.yaml) fails closed.",
    severity="critical",
    config_properties=LOCATED_CONFIG,
)

BEDROCK_APPLICATION_PROFILE_IN_STACK = Rule(
    id="bedrock-application-profile-in-stack",
    description="An application inference profile named by ARN (in a grant, an environment variable, anywhere) is "
    "one of this stack's profiles, whose model source is checked, or an approved external one",
    check_stack=check_application_profiles,
    remediation="Create the application inference profile in this stack (its modelSource.copyFrom is checked by "
    "bedrock-profile-prefix-allowed) and reference its ARN, or list the external profile in approved_external.",
    severity="critical",
    config_properties=LOCATED_CONFIG,
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
    RESIDENCY_PINNED,
    POLICY_COVERAGE,
    DATA_PATH_DESTINATION_IN_RESIDENCY,
    IAM_ATTACHED_POLICY_IN_RESIDENCY,
    BEDROCK_APPLICATION_PROFILE_IN_STACK,
)
