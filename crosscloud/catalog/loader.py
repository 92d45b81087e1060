"""Load and cross-check the catalog data files; answer "where can model M run, and is that resident?"."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crosscloud.catalog import overlay as overlays
from crosscloud.catalog.offerings import AwsOffering, AzureOffering, ResidencySet
from crosscloud.catalog.prices import PRICES_OVERLAY_ENV, PriceError, PriceTable
from crosscloud.catalog.schema import (
    ANY,
    AwsIamFile,
    AzureSkusFile,
    BedrockEndpointsFile,
    BedrockProfilesFile,
    GpusFile,
    Lifecycle,
    LifecycleStatus,
    ManagedPolicy,
    Model,
    ModelsFile,
    PricesFile,
    RegionsFile,
    Route,
    ServingFile,
)

Cloud = Literal["aws", "azure"]
_M = TypeVar("_M", bound=BaseModel)
# Reservation types a self-hosted fleet can run on: Azure Block reservations are regional (no zone to pin the scale
# set to), so only targeted ones.
SELFHOSTED_RESERVATIONS: dict[str, tuple[str, ...]] = {"aws": ("on-demand", "capacity-block"), "azure": ("targeted",)}
_GPU_MEMORY = re.compile(r"(\d+)\s?GB\b")


class CatalogError(Exception):
    """A catalog data file is malformed or inconsistent (a bug in the shipped data, or in a user override)."""


def _raw(directory: Path, name: str) -> Any:
    path = directory / name
    try:
        # The shipped data files parse with libyaml's loader (8x faster; same resolvers as SafeLoader); files from
        # anywhere else keep the pure-Python one, whose deep-nesting failure is an error rather than a crash.
        loader = SHIPPED_DATA_LOADER if directory == DATA_DIR else yaml.SafeLoader
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader either way
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read catalog file: {exc}".replace("\n", " ")) from None


def _validate(where: str, raw: Any, model: type[_M]) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"{where}: {loc}: {first['msg']}") from None


def _read(directory: Path, name: str, model: type[_M]) -> _M:
    return _validate(str(directory / name), _raw(directory, name), model)


def today() -> dt.date:
    """The day lifecycle stages are judged on (UTC, as the clouds date retirements)."""
    return dt.datetime.now(dt.UTC).date()


class Catalog:
    """All catalog tables, validated against each other."""

    def __init__(self, directory: Path, overlay: Path | None = None) -> None:
        self.directory = directory
        self.regions = _read(directory, "regions.yaml", RegionsFile)
        self.azure_skus = _read(directory, "azure_skus.yaml", AzureSkusFile)
        self.bedrock_profiles = _read(directory, "bedrock_profiles.yaml", BedrockProfilesFile)
        self.bedrock_endpoints = _read(directory, "bedrock_endpoints.yaml", BedrockEndpointsFile)
        self.gpus = _read(directory, "gpus.yaml", GpusFile)
        self.aws_iam = _read(directory, "aws_iam.yaml", AwsIamFile)
        self.serving = _read(directory, "serving.yaml", ServingFile)
        self.overlay = overlay
        self.overlay_applied: list[str] = []
        self.overlay_conflicts: list[str] = []
        raw = _raw(directory, "models.yaml")
        where = str(directory / "models.yaml")
        if overlay is not None:
            raw = self._merged(raw, overlay)
            where = f"{where} with overlay {overlay}"
        self.models_file = _validate(where, raw, ModelsFile)
        self._check()
        self._check_aws_iam()
        self._check_serving()
        self.prices = self._prices(directory)

    def _prices(self, directory: Path) -> PriceTable:
        """prices.yaml with the refresh overlay (CROSSCLOUD_PRICES_OVERLAY, an absolute path) merged over it."""
        overlay = os.environ.get(PRICES_OVERLAY_ENV) or None
        try:
            table = PriceTable.from_file(
                _read(directory, "prices.yaml", PricesFile), Path(overlay) if overlay else None
            )
        except PriceError as exc:
            raise CatalogError(str(exc)) from None
        for row in table.rows:
            if row.region not in (
                self.regions.aws_regions if row.kind.startswith(("ec2", "bedrock")) else self.regions.azure_regions
            ):
                raise CatalogError(f"prices: {row.kind} {row.sku}: unknown region {row.region}")
        return table

    def _merged(self, raw: Any, overlay: Path) -> Any:
        """models.yaml with the overlay's values merged in (see crosscloud.catalog.overlay for what is applied)."""
        if not overlay.is_absolute():
            raise CatalogError(f"{overlays.OVERLAY_ENV}={overlay}: must be an absolute path (packs run elsewhere)")
        try:
            entries = overlays.read_overlay(overlay)
        except overlays.OverlayError as exc:
            raise CatalogError(f"{overlay}: {exc}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("models"), dict):
            return raw  # the validation that follows reports the shipped file's shape
        try:
            result = overlays.merge(raw["models"], entries, today())
        except overlays.OverlayError as exc:
            raise CatalogError(f"{overlay}: {exc}") from None
        self.overlay_applied, self.overlay_conflicts = result.applied, result.conflicts
        return {**raw, "models": result.models}

    # -- consistency -------------------------------------------------------------------------------------------
    def _check(self) -> None:
        aws, azure = set(self.regions.aws_regions), set(self.regions.azure_regions)

        def regions_known(where: str, cloud: Cloud, regions: list[str]) -> None:
            unknown = sorted(set(regions) - (aws if cloud == "aws" else azure))
            if unknown:
                raise CatalogError(f"{where}: unknown {cloud} region(s) {', '.join(unknown)}")

        group_lists = {f"sets.{name}.countries": data.countries for name, data in self.regions.sets.items()}
        group_lists |= {f"data_zones.{zone}": groups for zone, groups in self.regions.data_zones.items()}
        for where, groups in group_lists.items():
            missing = [g for g in groups if g not in self.regions.country_groups]
            if missing:
                raise CatalogError(f"regions.yaml: {where}: unknown group(s) {', '.join(missing)}")
        for region, info in self.regions.azure_regions.items():
            if info.data_zone is not None and info.data_zone not in self.regions.data_zones:
                raise CatalogError(f"regions.yaml: azure_regions.{region}.data_zone: unknown zone {info.data_zone}")
        for prefix, p in self.bedrock_profiles.prefixes.items():
            if p.destinations != ANY:
                regions_known(f"bedrock_profiles.yaml: prefixes.{prefix}", "aws", p.destinations)
        sources = self.models_file.sources
        for key, m in self.models_file.models.items():
            where = f"models.yaml: models.{key}"
            if m.aws is None and m.azure is None and m.open_weights is None:
                raise CatalogError(f"{where}: names neither aws, azure nor open_weights")
            cited = (m.aws.sources if m.aws else []) + (m.azure.sources if m.azure else [])
            if m.azure and m.azure.serverless:
                cited += m.azure.serverless.sources
            if m.aws:
                cited += [t.source for t in m.aws.profiles.values() if t is not None]
            if m.open_weights:
                cited += m.open_weights.sources
            for src in cited:
                if src not in sources:
                    raise CatalogError(f"{where}: unknown source key {src}")
            if m.aws:
                regions_known(f"{where}.aws.in_region", "aws", m.aws.in_region)
                regions_known(f"{where}.aws.provisioned_throughput", "aws", m.aws.provisioned_throughput)
                for prefix, routes in m.aws.profiles.items():
                    if prefix not in self.bedrock_profiles.prefixes:
                        raise CatalogError(f"{where}.aws.profiles: unknown prefix {prefix}")
                    for source, dest in routes.routes.items() if routes else []:
                        regions_known(f"{where}.aws.profiles.{prefix}.routes", "aws", [source, *dest])
                        if not dest:
                            raise CatalogError(f"{where}.aws.profiles.{prefix}.routes.{source}: no destinations")
            if m.aws:
                self._check_lifecycle(f"{where}.aws.lifecycle", key, "aws", [m.aws.lifecycle], [])
            if m.azure:
                self._check_lifecycle(f"{where}.azure.lifecycle", key, "azure", m.azure.lifecycle, list(m.azure.skus))
                for sku, regions in m.azure.skus.items():
                    if sku not in self.azure_skus.skus:
                        raise CatalogError(f"{where}.azure.skus: unknown SKU {sku}")
                    regions_known(f"{where}.azure.skus.{sku}", "azure", regions)
                stray = sorted(set(m.azure.unverified_skus) - set(m.azure.skus))
                if stray:
                    raise CatalogError(f"{where}.azure.unverified_skus: not in skus: {', '.join(stray)}")
                if m.azure.serverless:
                    regions_known(f"{where}.azure.serverless.regions", "azure", m.azure.serverless.regions)
        for cloud, table in (("aws", self.gpus.aws), ("azure", self.gpus.azure)):
            for sku_name, gpu in table.items():
                for kind, regions in gpu.reservations.items():
                    regions_known(f"gpus.yaml: {cloud}.{sku_name}.reservations.{kind}", cloud, regions)  # type: ignore[arg-type]
        for service, listed in self.bedrock_endpoints.services.items():
            where = f"bedrock_endpoints.yaml: services.{service}"
            regions_known(f"{where}.supported", "aws", listed.supported)
            regions_known(f"{where}.not_supported", "aws", listed.not_supported)
            both = sorted(set(listed.supported) & set(listed.not_supported))
            if both:
                raise CatalogError(f"{where}: listed as supported and not supported: {', '.join(both)}")

    def _check_lifecycle(self, where: str, key: str, cloud: Cloud, rows: list[Lifecycle], skus: list[str]) -> None:
        """One row for every SKU and at most one per SKU; dates in order and consistent with the stated stage;
        sources known; a replacement that names a catalog key names one this cloud offers."""
        defaults = [r for r in rows if not r.skus]
        if len(defaults) != 1:
            raise CatalogError(f"{where}: needs exactly one row without skus (the default); found {len(defaults)}")
        seen: set[str] = set()
        for i, row in enumerate(rows):
            at = f"{where}[{i}]" if cloud == "azure" else where
            if row.source not in self.models_file.sources:
                raise CatalogError(f"{at}.source: unknown source key {row.source}")
            problem = row.problem()
            if problem:
                raise CatalogError(f"{at}: {problem}")
            for sku in row.skus:
                if sku not in skus:
                    raise CatalogError(f"{at}.skus: {sku} is not a SKU of this model ({', '.join(skus) or 'none'})")
                if sku in seen:
                    raise CatalogError(f"{at}.skus: {sku} has two lifecycle rows")
                seen.add(sku)
            replacement = row.replacement
            if replacement is not None:
                if not replacement.strip() or replacement == key:
                    raise CatalogError(f"{at}.replacement: must name another model")
                other = self.models_file.models.get(replacement)
                if other is not None and getattr(other, cloud) is None:
                    raise CatalogError(f"{at}.replacement: catalog model {replacement} is not offered on {cloud}")

    def _check_aws_iam(self) -> None:
        iam = self.aws_iam
        if iam.bedrock_actions.source not in iam.sources:
            raise CatalogError(f"aws_iam.yaml: bedrock_actions.source: unknown source key {iam.bedrock_actions.source}")
        for pattern in iam.bedrock_actions.prompt + iam.bedrock_actions.prompt_free:
            if pattern.split(":", 1)[0] not in iam.bedrock_actions.services:
                raise CatalogError(f"aws_iam.yaml: bedrock_actions: {pattern} is not an action of a listed service")
        for name, policy in iam.managed_policies.items():
            where = f"aws_iam.yaml: managed_policies.{name}"
            if policy.source not in iam.sources:
                raise CatalogError(f"{where}.source: unknown source key {policy.source}")
            for i, statement in enumerate(policy.statements):
                if (statement.actions is None) == (statement.not_actions is None):
                    raise CatalogError(f"{where}.statements[{i}]: set exactly one of actions and not_actions")
                if (statement.resources is None) == (statement.not_resources is None):
                    raise CatalogError(f"{where}.statements[{i}]: set exactly one of resources and not_resources")

    def _check_serving(self) -> None:
        """Sources resolve; a GPU's stated memory agrees with the memory its model name states."""
        serving = self.serving
        for where, cited in (
            ("image", serving.image.sources),
            ("aws", serving.aws.sources),
            ("azure", serving.azure.sources),
        ):
            for src in cited:
                if src not in serving.sources:
                    raise CatalogError(f"serving.yaml: {where}.sources: unknown source key {src}")
        for cloud, table in (("aws", self.gpus.aws), ("azure", self.gpus.azure)):
            for sku_name, gpu in table.items():
                for src in gpu.sources:
                    if src not in self.gpus.sources:
                        raise CatalogError(f"gpus.yaml: {cloud}.{sku_name}.sources: unknown source key {src}")
                named = _GPU_MEMORY.search(gpu.gpu_model)
                if named and gpu.gpu_memory_gb is not None and int(named.group(1)) != gpu.gpu_memory_gb:
                    raise CatalogError(
                        f"gpus.yaml: {cloud}.{sku_name}.gpu_memory_gb: {gpu.gpu_memory_gb} contradicts gpu_model "
                        f"{gpu.gpu_model!r}"
                    )

    def aws_managed_policy(self, arn: str) -> ManagedPolicy | None:
        """The recorded AWS managed policy of `arn` (arn:<partition>:iam::aws:policy/<path><name>), or None."""
        head, _, key = arn.partition(":iam::aws:policy/")
        if not head.startswith("arn:") or not key:
            return None
        return self.aws_iam.managed_policies.get(key)

    # -- regions and residency ---------------------------------------------------------------------------------
    def regions_of(self, cloud: Cloud) -> list[str]:
        return list(self.regions.aws_regions if cloud == "aws" else self.regions.azure_regions)

    @property
    def residency_names(self) -> list[str]:
        return list(self.regions.sets)

    def _countries(self, groups: list[str]) -> set[str]:
        return {c for group in groups for c in self.regions.country_groups[group]}

    @functools.cache  # noqa: B019 - the catalog lives for the process
    def residency(self, name: str) -> ResidencySet:
        data = self.regions.sets[name]
        countries = self._countries(data.countries)
        aws = frozenset(
            r
            for r, d in self.regions.aws_regions.items()
            if d.country in countries and d.partition in data.aws_partitions
        )
        azure = frozenset(r for r, d in self.regions.azure_regions.items() if d.country in countries)
        return ResidencySet(name=name, description=data.description, aws=aws, azure=azure)

    def aws_partition(self, region: str) -> str:
        return self.regions.aws_regions[region].partition

    # -- models ------------------------------------------------------------------------------------------------
    @property
    def models(self) -> dict[str, Model]:
        return self.models_file.models

    def models_on(self, cloud: Cloud) -> list[str]:
        return [k for k, m in self.models.items() if getattr(m, cloud) is not None]

    def bedrock_model_key(self, model_id: str) -> str | None:
        """The catalog key of a bare Bedrock model ID ('anthropic.claude-...-v1:0'), or None."""
        return self._bedrock_keys.get(model_id)

    @functools.cached_property
    def _bedrock_keys(self) -> dict[str, str]:
        return {m.aws.model_id: key for key, m in self.models.items() if m.aws is not None}

    def split_invoke_id(self, invoke_id: str) -> tuple[str | None, str]:
        """'eu.anthropic.x' -> ('eu', 'anthropic.x'); a bare model ID -> (None, id). Only catalog prefixes split, so
        'amazon.titan-...' is a model ID, not an 'amazon' profile."""
        head, dot, rest = invoke_id.partition(".")
        if dot and head in self.bedrock_profiles.prefixes:
            return head, rest
        return None, invoke_id

    def profile_sources(self, model: str, prefix: str) -> frozenset[str] | None:
        """Source Regions that can call `<prefix>.<model>`: the card's table keys, or None where no table is
        recorded (then any Region of the prefix union is assumed to call it)."""
        aws = self.models[model].aws
        table = aws.profiles.get(prefix) if aws else None
        return None if table is None else frozenset(table.routes)

    def profile_destinations(self, model: str, prefix: str, source: str) -> frozenset[str] | None:
        """Where `<prefix>.<model>` called from `source` may process a request: the model card's row for `source`,
        else the prefix's union (the fail-closed fallback). None: any Region (global, or not callable from `source`
        per the card, which is unknown territory and must not pass as resident)."""
        aws = self.models[model].aws
        table = aws.profiles.get(prefix) if aws else None
        if table is not None:
            row = table.routes.get(source)
            return frozenset(row) if row is not None else None
        info = self.bedrock_profiles.prefixes.get(prefix)
        if info is None or info.destinations == ANY:
            return None
        return frozenset(info.destinations)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def lifecycle(self, model: str, cloud: Cloud, sku: str | None = None) -> Lifecycle | None:
        """The lifecycle row of `model` on `cloud` (for Azure, of `sku`'s row where it has one), or None."""
        entry = self.models.get(model)
        if entry is None:
            return None
        if cloud == "aws":
            return entry.aws.lifecycle if entry.aws else None
        return entry.azure.lifecycle_for(sku) if entry.azure else None

    def status(self, model: str, cloud: Cloud, sku: str | None = None, on: dt.date | None = None) -> LifecycleStatus:
        row = self.lifecycle(model, cloud, sku)
        return row.status_on(on or today()) if row else "active"

    def retired(self, model: str, cloud: Cloud, sku: str | None = None, on: dt.date | None = None) -> bool:
        return self.status(model, cloud, sku, on) == "retired"

    def endpoint_service_regions(self, service: str) -> tuple[frozenset[str], frozenset[str]]:
        """(Regions where AWS lists the Bedrock interface endpoint `service`, Regions where it lists it as not
        supported). A Region in neither is unlisted: not offered (fail closed)."""
        table = self.bedrock_endpoints.services.get(service)
        if table is None:
            return frozenset(), frozenset()
        return frozenset(table.supported), frozenset(table.not_supported)

    def aws_offerings(
        self, model: str, region: str, *, on: dt.date | None = None, include_retired: bool = False
    ) -> list[AwsOffering]:
        """Every way `model` can be invoked from `region`, most contained first; none once the model is retired on
        Bedrock (unless `include_retired`, for showing them)."""
        aws = self.models[model].aws
        if aws is None:
            return []
        stage = aws.lifecycle.status_on(on or today())
        if stage == "retired" and not include_retired:
            return []
        life = {"status": stage, "retirement": aws.lifecycle.retirement}
        found: list[AwsOffering] = []
        if region in aws.in_region:
            found.append(
                AwsOffering(
                    model=model,
                    region=region,
                    kind="in-region",
                    invoke_id=aws.model_id,
                    model_id=aws.model_id,
                    prefix=None,
                    destinations=frozenset({region}),
                    verified=aws.verified,
                    **life,  # type: ignore[arg-type]
                )
            )
        for prefix, table in aws.profiles.items():
            info = self.bedrock_profiles.prefixes[prefix]
            if table is not None:
                if region not in table.routes:
                    continue
                callable_here, verified = True, table.verified
            else:
                callable_here = info.destinations == ANY or region in info.destinations
                verified = True
            if callable_here:
                found.append(
                    AwsOffering(
                        model=model,
                        region=region,
                        kind="profile",
                        invoke_id=f"{prefix}.{aws.model_id}",
                        model_id=aws.model_id,
                        prefix=prefix,
                        destinations=self.profile_destinations(model, prefix, region),
                        routes_recorded=table is not None,
                        verified=aws.verified and info.verified and verified,
                        **life,  # type: ignore[arg-type]
                    )
                )
        return sorted(found, key=lambda o: (o.kind != "in-region", len(o.destinations) if o.destinations else 10**6))

    def _processing_regions(self, region: str, processing: str) -> frozenset[str] | None:
        table = self.regions.azure_regions
        if processing == "global":
            return None
        if processing == "data_zone":
            zone = table[region].data_zone
            if zone is None:  # a DataZone SKU outside every data zone: fail closed
                return None
            countries = self._countries(self.regions.data_zones[zone])
            return frozenset(r for r, d in table.items() if d.country in countries)
        return frozenset(r for r, d in table.items() if d.country == table[region].country)

    def azure_offerings(
        self, model: str, region: str, *, on: dt.date | None = None, include_retired: bool = False
    ) -> list[AzureOffering]:
        """Every way `model` is offered in `region`: deployment SKUs the matrices list there, then the serverless
        API route if the model has one in that region. A SKU whose lifecycle row is retired is left out (unless
        `include_retired`, for showing it)."""
        az = self.models[model].azure
        if az is None or region not in self.regions.azure_regions:
            return []
        day = on or today()
        identity_verified = az.format_verified and az.version_verified
        found = []
        for sku, regions in az.skus.items():
            row = az.lifecycle_for(sku)
            stage = row.status_on(day)
            if region in regions and (stage != "retired" or include_retired):
                info = self.azure_skus.skus[sku]
                found.append(
                    AzureOffering(
                        model=model,
                        region=region,
                        route="deployment",
                        sku=sku,
                        processing=info.processing,
                        provisioned=info.provisioned,
                        processing_regions=self._processing_regions(region, info.processing),
                        format=az.format,
                        name=az.name,
                        version=az.version,
                        verified=identity_verified and sku not in az.unverified_skus,
                        status=stage,
                        retirement=row.retirement,
                    )
                )
        serverless = az.serverless
        default = az.default_lifecycle
        default_stage = default.status_on(day)
        if serverless is not None and region in serverless.regions and (default_stage != "retired" or include_retired):
            found.append(
                AzureOffering(
                    model=model,
                    region=region,
                    route="serverless",
                    sku=None,
                    processing="regional",
                    provisioned=False,
                    processing_regions=self._processing_regions(region, "regional"),
                    format=az.format,
                    name=az.name,
                    version=az.version,
                    serverless_model_id=serverless.model_id,
                    marketplace=serverless.marketplace,
                    verified=serverless.verified,
                    status=default_stage,
                    retirement=default.retirement,
                )
            )
        return found

    def select_aws(
        self,
        model: str,
        region: str,
        residency: ResidencySet,
        *,
        verified_only: bool = False,
        on: dt.date | None = None,
    ) -> AwsOffering | None:
        """The most contained resident offering (in-region before a geo profile) that is not retired, or None."""
        return next(
            (
                o
                for o in self.aws_offerings(model, region, on=on)
                if o.resident_in(residency) and (o.verified or not verified_only)
            ),
            None,
        )

    def select_azure(
        self,
        model: str,
        region: str,
        residency: ResidencySet,
        *,
        provisioned: bool = False,
        sku: str | None = None,
        route: Route | None = None,
        verified_only: bool = False,
        on: dt.date | None = None,
    ) -> AzureOffering | None:
        """The resident, not retired offering for the requested SKU or route; by default the first resident
        deployment SKU in the catalog's preference order, then the serverless route."""
        offers = [
            o
            for o in self.azure_offerings(model, region, on=on)
            if o.resident_in(residency) and (o.verified or not verified_only) and (route is None or o.route == route)
        ]
        if sku is not None:
            return next((o for o in offers if o.sku == sku), None)
        order = self.azure_skus.preference.provisioned if provisioned else self.azure_skus.preference.pay_per_token
        by_sku = {o.sku: o for o in offers if o.route == "deployment"}
        chosen = next((by_sku[s] for s in order if s in by_sku), None)
        if chosen is None and not provisioned:
            chosen = next((o for o in offers if o.route == "serverless"), None)
        return chosen

    def _resident_here(
        self, model: str, cloud: Cloud, region: str, residency: ResidencySet, verified_only: bool
    ) -> bool:
        if cloud == "aws":
            return self.select_aws(model, region, residency, verified_only=verified_only) is not None
        return any(
            o.resident_in(residency) and (o.verified or not verified_only) for o in self.azure_offerings(model, region)
        )

    def resident_regions(
        self, model: str, cloud: Cloud, residency: ResidencySet, *, verified_only: bool = False
    ) -> list[str]:
        """Regions of the residency set from which `model` can be served residently on `cloud`."""
        regions = residency.aws if cloud == "aws" else residency.azure
        return sorted(r for r in regions if self._resident_here(model, cloud, r, residency, verified_only))

    def resident_models(
        self, cloud: Cloud, region: str, residency: ResidencySet, *, verified_only: bool = False
    ) -> list[str]:
        """Models that can be served residently from `region` on `cloud`."""
        return [m for m in self.models_on(cloud) if self._resident_here(m, cloud, region, residency, verified_only)]

    # -- GPUs --------------------------------------------------------------------------------------------------
    def gpu_reservation_types(self, cloud: Cloud, sku: str, region: str) -> list[str]:
        table = self.gpus.aws if cloud == "aws" else self.gpus.azure
        gpu = table.get(sku)
        if gpu is None:
            return []
        return [kind for kind, regions in gpu.reservations.items() if region in regions]

    # -- self-hosting open weights -------------------------------------------------------------------------------
    def fit_problem(self, model: str, cloud: Cloud, instance_type: str) -> str | None:
        """Why one instance of `instance_type` cannot serve one replica of `model`'s open weights, or None if it can
        (enough NVIDIA GPUs for the tensor parallelism, each with enough memory). Unknown memory does not fit."""
        entry = self.models.get(model)
        weights = entry.open_weights if entry else None
        if weights is None:
            return f"{model} has no open weights in the catalog"
        gpu = (self.gpus.aws if cloud == "aws" else self.gpus.azure).get(instance_type)
        if gpu is None:
            return f"{instance_type} is not a GPU type of the catalog"
        need = f"needs {weights.tensor_parallel} NVIDIA GPU(s) of at least {weights.min_gpu_memory_gb} GB each"
        has = f"{instance_type} has {gpu.gpus} x {gpu.gpu_model}"
        if not gpu.gpu_model.startswith("NVIDIA"):
            return f"{model} {need} (vLLM's CUDA image); {has}"
        if gpu.gpu_memory_gb is None:
            return f"{model} {need}; the catalog records no memory for {instance_type}'s GPUs, so no fit is proven"
        if gpu.gpus < weights.tensor_parallel or gpu.gpu_memory_gb < weights.min_gpu_memory_gb:
            return f"{model} {need}; {has}"
        return None

    def selfhosted_types(self, model: str, cloud: Cloud) -> list[str]:
        """GPU types of `cloud` one instance of which serves `model`."""
        table = self.gpus.aws if cloud == "aws" else self.gpus.azure
        return [sku for sku in table if self.fit_problem(model, cloud, sku) is None]

    def selfhosted_offerings(
        self, model: str, cloud: Cloud, residency: ResidencySet | None = None, *, verified_only: bool = False
    ) -> dict[str, tuple[list[str], bool]]:
        """GPU type -> (regions where it can be reserved for a self-hosted fleet, inside `residency` if given;
        whether the row is verified: GPU row and open weights alike). Types with no such region are left out."""
        weights = self.models[model].open_weights if model in self.models else None
        if weights is None:
            return {}
        table = self.gpus.aws if cloud == "aws" else self.gpus.azure
        allowed = residency.aws if residency and cloud == "aws" else residency.azure if residency else None
        found: dict[str, tuple[list[str], bool]] = {}
        for sku in self.selfhosted_types(model, cloud):
            gpu = table[sku]
            verified = gpu.verified and weights.verified
            if verified_only and not verified:
                continue
            regions = {r for kind in SELFHOSTED_RESERVATIONS[cloud] for r in gpu.reservations.get(kind, [])}
            if allowed is not None:
                regions &= allowed
            if regions:
                found[sku] = (sorted(regions), verified)
        return found

    def selfhosted_regions(
        self, model: str, cloud: Cloud, residency: ResidencySet, *, verified_only: bool = False
    ) -> list[str]:
        """Regions of `residency` where `model` can be self-hosted on `cloud`."""
        offers = self.selfhosted_offerings(model, cloud, residency, verified_only=verified_only)
        return sorted({r for regions, _ in offers.values() for r in regions})


DATA_DIR = Path(str(resources.files("crosscloud.catalog") / "data"))
# libyaml's SafeLoader when PyYAML was built with it, else the pure-Python one.
SHIPPED_DATA_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(directory: Path | None = None) -> Catalog:
    """The process-wide catalog (cached): read once, shared by everything in this process. With
    `CROSSCLOUD_CATALOG_OVERLAY` set to an overlay file's absolute path (`crosscloud catalog sync --write`), its
    values are merged over the shipped data first, so the CLI, the program and every pack see the same view."""
    overlay = os.environ.get(overlays.OVERLAY_ENV) or None
    return _load(directory or DATA_DIR, Path(overlay) if overlay else None)


@functools.cache
def _load(directory: Path, overlay: Path | None) -> Catalog:
    return Catalog(directory, overlay)
