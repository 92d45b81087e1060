"""Cross-check a PlatformSpec against the catalog and resolve each endpoint to a concrete, resident offering.

A model that is unknown, not offered in the chosen region, or offered there only in a way that breaks the residency
is a config error here, with the offerings that exist and the regions or models that would work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from crosscloud.catalog import AwsOffering, AzureOffering, Catalog, ResidencySet
from crosscloud.catalog.loader import today
from crosscloud.declaration import lifecycle, selfhosted
from crosscloud.declaration.errors import ConfigIssue, DeclarationError, did_you_mean, join_allowed
from crosscloud.declaration.selfhosted import SelfHostedRoute
from crosscloud.declaration.spec import (
    MAX_FEDERATED_CREDENTIALS,
    ML_DNS_ZONES,
    SERVING_DNS_ZONES,
    AzureModelChoice,
    Cloud,
    Endpoint,
    GpuReservation,
    PlatformSpec,
)

_AZURE_ZONES = ("1", "2", "3")
# IAM roles the AWS components name "<prefix>-<name>" themselves; a workload of the same name would collide.
_AWS_RESERVED_ROLE_NAMES = ("ci-preview", "ci-deploy", "bedrock-logging", "vpc-flow-logs")


@dataclass(frozen=True)
class ResolvedEndpoint:
    """A logical endpoint with the concrete offering chosen on each cloud that serves it."""

    name: str
    primary: Cloud
    aws: AwsOffering | None  # a Bedrock offering (None when the AWS side is self-hosted)
    azure: AzureOffering | None  # a Foundry deployment or serverless endpoint (None when self-hosted)
    azure_capacity: int | None
    aws_selfhosted: SelfHostedRoute | None = None
    azure_selfhosted: SelfHostedRoute | None = None

    def selfhosted(self, cloud: Cloud) -> SelfHostedRoute | None:
        return self.aws_selfhosted if cloud == "aws" else self.azure_selfhosted

    def serves(self, cloud: Cloud) -> bool:
        """Whether `cloud` serves this endpoint, by any route."""
        return (self.aws if cloud == "aws" else self.azure) is not None or self.selfhosted(cloud) is not None


@dataclass(frozen=True)
class Declaration:
    """A validated stack declaration: the spec, its residency set and its resolved endpoints."""

    spec: PlatformSpec
    residency: ResidencySet
    endpoints: tuple[ResolvedEndpoint, ...]
    source: str
    # What the user must know but that does not stop the stack (a model retiring soon, a legacy model): shown as
    # notes in the preview and check reports, and as warnings under the Pulumi CLI.
    notes: tuple[str, ...] = ()


class _Checker:
    def __init__(self, spec: PlatformSpec, catalog: Catalog, file: str, on: dt.date | None = None) -> None:
        self.spec, self.catalog, self.file = spec, catalog, file
        self.issues: list[ConfigIssue] = []
        self.notes: list[str] = []
        self.today = on or today()
        self.pools_used: dict[str, int] = {}  # GPU pool -> the endpoint index whose self-hosted route uses it

    def add(self, path: str, value: object, problem: str, allowed: str | None = None) -> None:
        self.issues.append(ConfigIssue.given(self.file, path, value, problem, allowed))

    def region(self, cloud: Cloud, path: str, region: str, residency: ResidencySet | None) -> bool:
        known = self.catalog.regions_of(cloud)
        if region not in known:
            self.add(
                path,
                region,
                f"is not a known {cloud} region{did_you_mean(region, known)}",
                join_allowed(sorted(residency.aws if cloud == "aws" else residency.azure)) if residency else None,
            )
            return False
        if residency is not None and not residency.admits(cloud, region):
            allowed = sorted(residency.aws if cloud == "aws" else residency.azure)
            self.add(path, region, f"is outside residency {residency.name!r}", join_allowed(allowed))
            return False
        return True

    def run(self) -> Declaration | None:
        spec, catalog = self.spec, self.catalog
        residency: ResidencySet | None = None
        if spec.residency not in catalog.residency_names:
            self.add(
                "crosscloud:residency",
                spec.residency,
                f"is not a residency set{did_you_mean(spec.residency, catalog.residency_names)}",
                join_allowed(catalog.residency_names),
            )
        else:
            residency = catalog.residency(spec.residency)
        regions: dict[Cloud, str | None] = {"aws": None, "azure": None}
        if spec.aws and self.region("aws", "crosscloud:aws.region", spec.aws.region, residency):
            regions["aws"] = spec.aws.region
        if spec.azure and self.region("azure", "crosscloud:azure.location", spec.azure.location, residency):
            regions["azure"] = spec.azure.location
        self.networks()
        endpoints = []
        names: set[str] = set()
        for i, endpoint in enumerate(spec.endpoints):
            if endpoint.name in names:
                self.add(
                    f"crosscloud:endpoints[{i}].name", endpoint.name, "is declared twice; endpoint names are unique"
                )
            names.add(endpoint.name)
            if residency is not None:
                resolved = self.endpoint(i, endpoint, regions, residency)
                if resolved:
                    endpoints.append(resolved)
        self.azure_reachable()
        selfhosted.check_unused_cidrs(self, [r for e in endpoints for r in (e.aws_selfhosted, e.azure_selfhosted) if r])
        if residency is not None:
            self.azure_spillovers(endpoints, residency)
            self.azure_dns(endpoints)
        for i, gpu in enumerate(spec.gpu):
            self.gpu(i, gpu, residency)
        self.unique_resource_names()
        for i, workload in enumerate(spec.identity.workloads):
            for j, name in enumerate(workload.endpoints):
                if name not in names:
                    self.add(
                        f"crosscloud:identity.workloads[{i}].endpoints[{j}]",
                        name,
                        "is not a declared endpoint",
                        join_allowed(sorted(names)),
                    )
        self.aws_access(endpoints)
        lifecycle.check_endpoints(self, endpoints)
        lifecycle.check_mantle(self)
        self.federation(endpoints)
        if self.issues or residency is None:
            return None
        return Declaration(spec, residency, tuple(endpoints), self.file, tuple(self.notes))

    def unique_resource_names(self) -> None:
        """Names the components derive from the declaration must not collide: Pulumi refuses two resources with one
        URN ("Duplicate resource URN"), and the clouds two deployments or reservations with one name. GPU reservations
        and workloads become resources named after them; a provisioned Azure endpoint `x` also creates the
        pay-per-token deployment `x-spillover` on the same account."""
        spec = self.spec
        named = (
            ("crosscloud:gpu", [g.name for g in spec.gpu]),
            ("crosscloud:identity.workloads", [w.name for w in spec.identity.workloads]),
        )
        for key, names in named:
            first: dict[str, int] = {}
            for i, name in enumerate(names):
                if name in first:
                    self.add(
                        f"{key}[{i}].name",
                        name,
                        f"is declared twice (also {key}[{first[name]}]); the resources named after it would collide",
                        "a name of its own",
                    )
                first.setdefault(name, i)
        deployments = {e.name: i for i, e in enumerate(spec.endpoints) if e.azure is not None}
        for i, endpoint in enumerate(spec.endpoints):
            if endpoint.azure is None or not endpoint.azure.throughput.provisioned:
                continue
            spillover = f"{endpoint.name}-spillover"
            if spillover in deployments:
                self.add(
                    f"crosscloud:endpoints[{deployments[spillover]}].name",
                    spillover,
                    f"is the name of the spillover deployment of the provisioned endpoint {endpoint.name!r} "
                    f"(crosscloud:endpoints[{i}]); the two Azure deployments would collide",
                    f"any name but {spillover!r}",
                )

    def aws_access(self, endpoints: list[ResolvedEndpoint]) -> None:
        """Provisioned throughput only where the catalog documents it; AWS workloads need someone to trust."""
        spec, served = self.spec, {e.name: e for e in endpoints}
        for i, endpoint in enumerate(spec.endpoints):
            choice = endpoint.aws
            if (
                choice is None
                or choice.provisioned is None
                or spec.aws is None
                or choice.model not in self.catalog.models
            ):
                continue
            model = self.catalog.models[choice.model].aws
            regions = model.provisioned_throughput if model else []
            if spec.aws.region not in regions:
                self.add(
                    f"crosscloud:endpoints[{i}].aws.provisioned",
                    choice.model,
                    f"has no Bedrock provisioned throughput in {spec.aws.region}",
                    f"regions: {join_allowed(regions)}" if regions else "no region (the catalog documents none)",
                )
        for i, workload in enumerate(spec.identity.workloads):
            if workload.name in _AWS_RESERVED_ROLE_NAMES:
                self.add(
                    f"crosscloud:identity.workloads[{i}].name",
                    workload.name,
                    "is the name of a role crosscloud creates itself",
                    f"any other name than {', '.join(_AWS_RESERVED_ROLE_NAMES)}",
                )
            on_aws = [n for n in workload.endpoints if n in served and served[n].aws is not None]
            federated = workload.federation.azure_to_aws is not None
            if on_aws and not (workload.aws_services or workload.aws_roles or federated):
                self.add(
                    f"crosscloud:identity.workloads[{i}]",
                    workload.name,
                    f"calls {', '.join(on_aws)} on AWS but names no principal to trust",
                    "aws_services (e.g. ecs-tasks.amazonaws.com), aws_roles (role ARNs) or federation.azure_to_aws",
                )

    def federation(self, endpoints: list[ResolvedEndpoint]) -> None:
        """Cross-cloud federation needs both clouds, something to reach on the other cloud, the account's outbound
        federation (AWS to Azure) and at most 20 federated credentials per Azure identity."""
        spec, served = self.spec, {e.name: e for e in endpoints}
        settings = spec.identity.federation
        both = spec.aws is not None and spec.azure is not None
        provider = settings.entra_oidc_provider_arn
        if provider is not None:
            tenant = provider.rstrip("/").rsplit("/", 1)[1]
            if settings.entra_tenant_id is not None and tenant != settings.entra_tenant_id:
                self.add(
                    "crosscloud:identity.federation.entra_oidc_provider_arn",
                    provider,
                    f"names tenant {tenant}, not entra_tenant_id {settings.entra_tenant_id}",
                    f"the provider of sts.windows.net/{settings.entra_tenant_id}/",
                )
            self.same_account("crosscloud:identity.federation.entra_oidc_provider_arn", provider)
        for i, workload in enumerate(spec.identity.workloads):
            path = f"crosscloud:identity.workloads[{i}].federation"
            inward, outward = workload.federation.azure_to_aws, workload.federation.aws_to_azure
            for direction, wanted, cloud in (("azure_to_aws", inward, "aws"), ("aws_to_azure", outward, "azure")):
                if wanted is None:
                    continue
                if not both:
                    self.add(f"{path}.{direction}", workload.name, "needs crosscloud:aws and crosscloud:azure")
                    continue
                there = [n for n in workload.endpoints if n in served and getattr(served[n], cloud) is not None]
                if not there:
                    self.add(
                        f"{path}.{direction}",
                        workload.name,
                        f"calls no endpoint served on {cloud}, so the federation would reach nothing",
                        join_allowed(sorted(n for n, e in served.items() if getattr(e, cloud) is not None)),
                    )
            if outward is None:
                continue
            if settings.aws_outbound is None:
                self.add(
                    "crosscloud:identity.federation.aws_outbound",
                    None,
                    f"is missing: workload {workload.name} signs in to Azure with AWS outbound identity federation",
                    "{manage: true} in exactly one stack of the account, or {issuer: <the account's issuer URL>}",
                )
            on_aws = [n for n in workload.endpoints if n in served and served[n].aws is not None]
            if not (workload.aws_services or workload.aws_roles) and (inward is not None or not on_aws):
                # (a workload calling AWS endpoints without any principal is reported once, by aws_access)
                self.add(
                    f"{path}.aws_to_azure",
                    workload.name,
                    "needs a workload role someone runs as: name aws_services or aws_roles",
                    "aws_services (e.g. ecs-tasks.amazonaws.com) and/or aws_roles (role ARNs)",
                )
            credentials = 1 + len(outward.roles)
            if credentials > MAX_FEDERATED_CREDENTIALS:
                self.add(
                    f"{path}.aws_to_azure.roles",
                    len(outward.roles),
                    f"roles give identity id-workload-{workload.name} {credentials} federated credentials "
                    f"(its own role plus these); Entra ID accepts at most {MAX_FEDERATED_CREDENTIALS} per identity",
                    f"at most {MAX_FEDERATED_CREDENTIALS - 1} roles",
                )
            seen: set[str] = set()
            for j, role in enumerate(outward.roles):
                if role in seen:
                    self.add(f"{path}.aws_to_azure.roles[{j}]", role, "is listed twice")
                seen.add(role)
                self.same_account(f"{path}.aws_to_azure.roles[{j}]", role)

    def same_account(self, path: str, arn: str) -> None:
        """An ARN of another account than the declared one can never match this account's federation."""
        account = self.spec.aws.account_id if self.spec.aws else None
        if account is not None and arn.split(":")[4] != account:
            self.add(path, arn, f"is in account {arn.split(':')[4]}, not crosscloud:aws.account_id {account}")

    def azure_reachable(self) -> None:
        """Foundry is private unless a non-prod stack opts out; private needs a VNet for its private endpoint."""
        spec, azure = self.spec, self.spec.azure
        if azure is None:
            return
        public = azure.foundry.public_network_access
        if spec.environment == "prod" and public:
            self.add(
                "crosscloud:azure.foundry.public_network_access",
                True,
                "is not allowed in prod (the account is reachable through its private endpoint only)",
                "false",
            )
        managed = [e for e in spec.endpoints if e.azure is not None and not e.azure.selfhosted]
        if not public and azure.network is None and managed:
            self.add(
                "crosscloud:azure.network",
                None,
                "is missing: with public_network_access false, Azure endpoints are reachable only through private "
                "endpoints in the stack's VNet",
                "a network with a cidr, or (outside prod) foundry.public_network_access: true",
            )

    def azure_spillovers(self, endpoints: list[ResolvedEndpoint], residency: ResidencySet) -> None:
        """A provisioned Azure deployment spills over into a pay-per-token one of the same processing class."""
        index = {e.name: i for i, e in enumerate(self.spec.endpoints)}
        for e in endpoints:
            offer = e.azure
            if offer is None or not offer.provisioned:
                continue
            if azure_spillover(self.catalog, offer, residency) is None:
                self.add(
                    f"crosscloud:endpoints[{index[e.name]}].azure.throughput.provisioned",
                    True,
                    f"{offer.model} has no pay-per-token {offer.processing} offering in {offer.region} to spill over "
                    "into (a provisioned deployment needs one of the same processing class)",
                    "a model/region with both, or provisioned: false",
                )

    def azure_dns(self, endpoints: list[ResolvedEndpoint]) -> None:
        """With DNS zones owned elsewhere, every zone the stack's private endpoints use must be given."""
        azure = self.spec.azure
        if azure is None or azure.network is None or azure.network.dns.mode != "existing":
            return
        serverless = any(e.azure is not None and e.azure.route == "serverless" for e in endpoints)
        missing = [z for z in ML_DNS_ZONES if z not in azure.network.dns.zone_ids]
        if serverless and missing:
            self.add(
                "crosscloud:azure.network.dns.zone_ids",
                sorted(azure.network.dns.zone_ids),
                "lacks the Machine Learning zones a serverless endpoint's hub resolves through",
                ", ".join(missing),
            )
        served = any(e.azure_selfhosted is not None for e in endpoints)
        missing = [z for z in SERVING_DNS_ZONES if z not in azure.network.dns.zone_ids]
        if served and missing:
            self.add(
                "crosscloud:azure.network.dns.zone_ids",
                sorted(azure.network.dns.zone_ids),
                "lacks the zones a self-hosted fleet's weights store and registry resolve through",
                ", ".join(missing),
            )

    def networks(self) -> None:
        aws = self.spec.aws.network if self.spec.aws else None
        azure = self.spec.azure.network if self.spec.azure else None
        if aws and azure and aws.cidr.overlaps(azure.cidr):
            self.add(
                "crosscloud:azure.network.cidr",
                str(azure.cidr),
                f"overlaps crosscloud:aws.network.cidr {aws.cidr}",
                "a range disjoint from the VPC, so the clouds can be peered",
            )

    def endpoint(
        self, i: int, endpoint: Endpoint, regions: dict[Cloud, str | None], residency: ResidencySet
    ) -> ResolvedEndpoint | None:
        aws_offer: AwsOffering | None = None
        azure_offer: AzureOffering | None = None
        hosted: dict[Cloud, SelfHostedRoute | None] = {"aws": None, "azure": None}
        ok = True
        if endpoint.aws is not None and endpoint.aws.selfhosted:
            hosted["aws"] = selfhosted.check_route(
                self, i, endpoint.name, "aws", endpoint.aws, residency, self.pools_used
            )
            ok = hosted["aws"] is not None
        elif endpoint.aws is not None:
            aws_offer = self.aws_model(f"crosscloud:endpoints[{i}].aws", endpoint.aws.model, regions["aws"], residency)
            ok = ok and aws_offer is not None
        if endpoint.azure is not None and endpoint.azure.selfhosted:
            hosted["azure"] = selfhosted.check_route(
                self, i, endpoint.name, "azure", endpoint.azure, residency, self.pools_used
            )
            ok = ok and hosted["azure"] is not None
        elif endpoint.azure is not None:
            azure_offer = self.azure_model(
                f"crosscloud:endpoints[{i}].azure", endpoint.azure, regions["azure"], residency
            )
            ok = ok and azure_offer is not None
        if not ok:
            return None
        capacity = endpoint.azure.throughput.capacity if endpoint.azure and not endpoint.azure.selfhosted else None
        return ResolvedEndpoint(
            endpoint.name,
            endpoint.primary_cloud,
            aws_offer,
            azure_offer,
            capacity,
            aws_selfhosted=hosted["aws"],
            azure_selfhosted=hosted["azure"],
        )

    def known_model(self, path: str, model: str, cloud: Cloud) -> bool:
        catalog = self.catalog
        if model not in catalog.models:
            self.add(
                path,
                model,
                f"is not in the model catalog{did_you_mean(model, catalog.models)}",
                join_allowed(sorted(catalog.models_on(cloud))),
            )
            return False
        if getattr(catalog.models[model], cloud) is None:
            other = "Azure AI Foundry" if cloud == "azure" else "Amazon Bedrock"
            self.add(path, model, f"is not offered on {other}", join_allowed(sorted(catalog.models_on(cloud))))
            return False
        return True

    @property
    def verified_only(self) -> bool:
        """Prod stacks take only catalog rows a primary source confirms."""
        return self.spec.environment == "prod"

    def alternatives(self, model: str, cloud: Cloud, region: str, residency: ResidencySet) -> str:
        """What would work instead: regions where `model` is resident, and models of the same kind (an endpoint
        that serves chat is offered chat models, never embedding models) resident in `region`."""
        strict = self.verified_only
        elsewhere = self.catalog.resident_regions(model, cloud, residency, verified_only=strict)
        hint = f"regions: {join_allowed(elsewhere)}" if elsewhere else "no region of this residency"
        kind = self.catalog.models[model].kind
        here = [
            m
            for m in self.catalog.resident_models(cloud, region, residency, verified_only=strict)
            if self.catalog.models[m].kind == kind
        ]
        return f"{hint}; {kind} models resident in {region}: {join_allowed(here)}"

    def resident_skus(self, model: str, region: str, residency: ResidencySet, *, provisioned: bool) -> list[str]:
        """The deployment SKUs of `model` in `region` that keep processing inside `residency` (verified ones only in
        prod), pay-per-token or provisioned as asked, in the catalog's order of preference."""
        return [
            o.sku
            for o in self.catalog.azure_offerings(model, region)
            if o.route == "deployment"
            and o.sku is not None
            and o.provisioned == provisioned
            and o.resident_in(residency)
            and (o.verified or not self.verified_only)
        ]

    def _unlisted(self, model: str) -> str:
        """' (X: no region published, so unlisted)' for SKUs a source names without a region list."""
        azure = self.catalog.models[model].azure
        unlisted = sorted(sku for sku, regions in azure.skus.items() if not regions) if azure else []
        if not unlisted:
            return ""
        return f" ({', '.join(unlisted)}: no model matrix lists a region, so unlisted and not offered anywhere)"

    def _unverified(self, offers: Sequence[AwsOffering | AzureOffering], residency: ResidencySet) -> str:
        """Why a resident offering was passed over in prod, or ''."""
        held_back = [o for o in offers if o.resident_in(residency) and not o.verified]
        if not held_back or not self.verified_only:
            return ""
        return (
            f"; resident but unverified in the catalog (not offered in prod): "
            f"{'; '.join(o.describe() for o in held_back)}"
        )

    def aws_model(self, path: str, model: str, region: str | None, residency: ResidencySet) -> AwsOffering | None:
        if self.spec.aws is None:
            self.add(path, model, "needs crosscloud:aws (the stack declares no AWS region)")
            return None
        if not self.known_model(f"{path}.model", model, "aws") or region is None:
            return None
        if lifecycle.refuse_retired(self, f"{path}.model", model, "aws"):
            return None
        catalog = self.catalog
        offers = catalog.aws_offerings(model, region, on=self.today)
        chosen = catalog.select_aws(model, region, residency, verified_only=self.verified_only, on=self.today)
        if chosen is not None:
            return chosen
        if not offers:
            problem = f"is not offered in {region}"
        else:
            reasons = []
            for offer in offers:
                outside = offer.outside(residency)
                why = "may route to any Region" if outside is None else f"{', '.join(sorted(outside))} outside"
                reasons.append(f"{offer.describe()}: {why}" if outside != frozenset() else offer.describe())
            problem = (
                f"has no offering in {region} that keeps processing inside residency {residency.name!r} "
                f"(offerings: {'; '.join(reasons)}){self._unverified(offers, residency)}"
            )
        self.add(f"{path}.model", model, problem, self.alternatives(model, "aws", region, residency))
        return None

    def azure_model(
        self, path: str, choice: AzureModelChoice, region: str | None, residency: ResidencySet
    ) -> AzureOffering | None:
        if self.spec.azure is None:
            self.add(path, choice.model, "needs crosscloud:azure (the stack declares no Azure location)")
            return None
        if not self.known_model(f"{path}.model", choice.model, "azure") or region is None:
            return None
        if lifecycle.refuse_retired(self, f"{path}.model", choice.model, "azure"):
            return None
        catalog = self.catalog
        if choice.sku is not None and choice.sku not in catalog.azure_skus.skus:
            self.add(
                f"{path}.sku",
                choice.sku,
                f"is not a deployment SKU{did_you_mean(choice.sku, catalog.azure_skus.skus)}",
                join_allowed(catalog.azure_skus.skus),
            )
            return None
        provisioned = choice.throughput.provisioned
        offers = [
            o
            for o in catalog.azure_offerings(choice.model, region, on=self.today)
            if o.provisioned == provisioned and (choice.route is None or o.route == choice.route)
        ]
        chosen = catalog.select_azure(
            choice.model,
            region,
            residency,
            provisioned=provisioned,
            sku=choice.sku,
            route=choice.route if choice.route != "selfhosted" else None,
            verified_only=self.verified_only,
            on=self.today,
        )
        if chosen is not None:
            if chosen.provisioned != provisioned:
                self.add(f"{path}.sku", choice.sku, f"does not match throughput.provisioned={str(provisioned).lower()}")
                return None
            return chosen
        kind = "provisioned " if provisioned else ""
        kind += f"{choice.route}-route " if choice.route else ""
        if choice.sku is not None:
            where = f"{path}.sku"
            value: object = choice.sku
            problem = (
                f"is not a resident {kind}offering of {choice.model} in {region} under residency {residency.name!r}"
            )
        else:
            where, value = f"{path}.model", choice.model
            everything = catalog.azure_offerings(choice.model, region, on=self.today)
            if not everything:
                problem = f"is not offered in {region}{self._unlisted(choice.model)}"
            elif not offers:
                problem = (
                    f"has no {kind}offering in {region} (offered there: {'; '.join(o.describe() for o in everything)})"
                )
            else:
                problem = f"has no {kind}offering in {region} that keeps processing inside residency {residency.name!r}"
        if offers:
            problem += f" (offerings: {'; '.join(o.describe() for o in offers)}){self._unverified(offers, residency)}"
        if choice.sku is not None:  # the SKU was the choice: say which SKUs would do, here and now
            skus = self.resident_skus(choice.model, region, residency, provisioned=provisioned)
            allowed = (
                f"{'provisioned ' if provisioned else ''}SKUs of {choice.model} resident in {region}: {', '.join(skus)}"
                if skus
                else f"no {'provisioned ' if provisioned else ''}SKU of {choice.model} in {region} is resident; "
                + self.alternatives(choice.model, "azure", region, residency)
            )
            self.add(where, value, problem, allowed)
            return None
        self.add(where, value, problem, self.alternatives(choice.model, "azure", region, residency))
        return None

    def gpu(self, i: int, gpu: GpuReservation, residency: ResidencySet | None) -> None:
        path = f"crosscloud:gpu[{i}]"
        settings = self.spec.aws if gpu.cloud == "aws" else self.spec.azure
        if settings is None:
            self.add(f"{path}.cloud", gpu.cloud, f"needs crosscloud:{gpu.cloud}")
            return
        default_region = (
            self.spec.aws.region
            if gpu.cloud == "aws" and self.spec.aws
            else (self.spec.azure.location if self.spec.azure else "")
        )
        region = gpu.region or default_region
        if not self.region(gpu.cloud, f"{path}.region", region, residency):
            return
        table = self.catalog.gpus.aws if gpu.cloud == "aws" else self.catalog.gpus.azure
        if gpu.instance_type not in table:
            self.add(
                f"{path}.instance_type",
                gpu.instance_type,
                f"is not a known {gpu.cloud} GPU SKU{did_you_mean(gpu.instance_type, table)}",
                join_allowed(table),
            )
            return
        kinds = ("on-demand", "capacity-block") if gpu.cloud == "aws" else ("targeted", "block")
        if gpu.reservation_type not in kinds:
            self.add(
                f"{path}.reservation",
                gpu.reservation_type,
                f"is not a {gpu.cloud} reservation type",
                join_allowed(kinds),
            )
            return
        if self.verified_only and not table[gpu.instance_type].verified:
            self.add(
                f"{path}.instance_type",
                gpu.instance_type,
                "has reservation regions no primary source confirms (verified: false in the catalog)",
                "a GPU SKU with verified regions in prod, or environment dev/staging",
            )
            return
        available = self.catalog.gpu_reservation_types(gpu.cloud, gpu.instance_type, region)
        if gpu.reservation_type not in available:
            regions = sorted(
                set(table[gpu.instance_type].reservations.get(gpu.reservation_type, []))
                & (set(residency.aws if gpu.cloud == "aws" else residency.azure) if residency else set())
            )
            self.add(
                f"{path}.reservation",
                gpu.reservation_type,
                f"is not available for {gpu.instance_type} in {region} (available there: {join_allowed(available)})",
                f"regions of this residency with it: {join_allowed(regions)}",
            )
        if (
            gpu.cloud == "aws"
            and gpu.reservation_type == "on-demand"
            and gpu.starts is not None
            and not table[gpu.instance_type].future_dated
        ):
            self.add(
                f"{path}.starts",
                str(gpu.starts),
                f"future-dated on-demand reservations are not offered for {gpu.instance_type}",
                "omit starts (the reservation begins when created), or reservation: capacity-block",
            )
        zone_ok = (
            re.fullmatch(rf"{re.escape(region)}[a-z]", gpu.zone) if gpu.cloud == "aws" else gpu.zone in _AZURE_ZONES
        )
        if not zone_ok:
            allowed = f"{region}a, {region}b, ..." if gpu.cloud == "aws" else ", ".join(_AZURE_ZONES)
            self.add(f"{path}.zone", gpu.zone, f"is not a zone of {region}", allowed)


def azure_spillover(catalog: Catalog, offer: AzureOffering, residency: ResidencySet) -> AzureOffering | None:
    """The pay-per-token offering a provisioned deployment spills over into: same model, region and processing class,
    resident, first in the catalog's preference order."""
    candidates = {
        o.sku: o
        for o in catalog.azure_offerings(offer.model, offer.region)
        if not o.provisioned and o.processing == offer.processing and o.resident_in(residency)
    }
    return next((candidates[s] for s in catalog.azure_skus.preference.pay_per_token if s in candidates), None)


def check_declaration(spec: PlatformSpec, catalog: Catalog, file: str, on: dt.date | None = None) -> Declaration:
    """Validate `spec` against the catalog (lifecycle stages as of `on`, default today); raise DeclarationError
    listing every problem, one line each."""
    checker = _Checker(spec, catalog, file, on)
    declaration = checker.run()
    if declaration is None:
        raise DeclarationError(checker.issues)
    return declaration
