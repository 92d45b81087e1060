"""Load and cross-check the catalog data files; answer "where can model M run, and is that resident?"."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crosscloud.catalog.offerings import AwsOffering, AzureOffering, ResidencySet
from crosscloud.catalog.schema import (
    ANY,
    AzureSkusFile,
    BedrockProfilesFile,
    GpusFile,
    Model,
    ModelsFile,
    RegionsFile,
)

Cloud = Literal["aws", "azure"]
_M = TypeVar("_M", bound=BaseModel)


class CatalogError(Exception):
    """A catalog data file is malformed or inconsistent (a bug in the shipped data, or in a user override)."""


def _read(directory: Path, name: str, model: type[_M]) -> _M:
    path = directory / name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read catalog file: {exc}".replace("\n", " ")) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"{path}: {where}: {first['msg']}") from None


class Catalog:
    """All catalog tables, validated against each other."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.regions = _read(directory, "regions.yaml", RegionsFile)
        self.azure_skus = _read(directory, "azure_skus.yaml", AzureSkusFile)
        self.bedrock_profiles = _read(directory, "bedrock_profiles.yaml", BedrockProfilesFile)
        self.models_file = _read(directory, "models.yaml", ModelsFile)
        self.gpus = _read(directory, "gpus.yaml", GpusFile)
        self._check()

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
        for key, m in self.models_file.models.items():
            where = f"models.yaml: models.{key}"
            if m.aws is None and m.azure is None:
                raise CatalogError(f"{where}: names neither aws nor azure")
            for src in (m.aws.sources if m.aws else []) + (m.azure.sources if m.azure else []):
                if src not in self.models_file.sources:
                    raise CatalogError(f"{where}: unknown source key {src}")
            if m.aws:
                regions_known(f"{where}.aws.in_region", "aws", m.aws.in_region)
                regions_known(f"{where}.aws.provisioned_throughput", "aws", m.aws.provisioned_throughput)
                for prefix, dest in m.aws.profiles.items():
                    if prefix not in self.bedrock_profiles.prefixes:
                        raise CatalogError(f"{where}.aws.profiles: unknown prefix {prefix}")
                    if dest is not None:
                        regions_known(f"{where}.aws.profiles.{prefix}", "aws", dest)
            if m.azure:
                for sku, regions in m.azure.skus.items():
                    if sku not in self.azure_skus.skus:
                        raise CatalogError(f"{where}.azure.skus: unknown SKU {sku}")
                    if regions != ANY:
                        regions_known(f"{where}.azure.skus.{sku}", "azure", regions)
        for cloud, table in (("aws", self.gpus.aws), ("azure", self.gpus.azure)):
            for sku_name, gpu in table.items():
                for kind, regions in gpu.reservations.items():
                    regions_known(f"gpus.yaml: {cloud}.{sku_name}.reservations.{kind}", cloud, regions)  # type: ignore[arg-type]

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

    def profile_destinations(self, model: str, prefix: str) -> frozenset[str] | None:
        """Where a `<prefix>.` profile of `model` may route: the model's own set, else the prefix union."""
        aws = self.models[model].aws
        assert aws is not None
        own = aws.profiles.get(prefix)
        if own is not None:
            return frozenset(own)
        union = self.bedrock_profiles.prefixes[prefix].destinations
        return None if union == ANY else frozenset(union)

    def aws_offerings(self, model: str, region: str) -> list[AwsOffering]:
        """Every way `model` can be invoked from `region`, most contained first."""
        aws = self.models[model].aws
        if aws is None:
            return []
        found: list[AwsOffering] = []
        if region in aws.in_region:
            found.append(AwsOffering(model, region, "in-region", aws.model_id, aws.model_id, None, frozenset({region})))
        for prefix in aws.profiles:
            dest = self.profile_destinations(model, prefix)
            if dest is None or region in dest:
                found.append(
                    AwsOffering(model, region, "profile", f"{prefix}.{aws.model_id}", aws.model_id, prefix, dest)
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

    def azure_offerings(self, model: str, region: str) -> list[AzureOffering]:
        """Every deployment SKU of `model` offered in `region`."""
        az = self.models[model].azure
        if az is None or region not in self.regions.azure_regions:
            return []
        found = []
        for sku, regions in az.skus.items():
            if regions == ANY or region in regions:
                info = self.azure_skus.skus[sku]
                found.append(
                    AzureOffering(
                        model=model,
                        region=region,
                        sku=sku,
                        processing=info.processing,
                        provisioned=info.provisioned,
                        processing_regions=self._processing_regions(region, info.processing),
                        format=az.format,
                        name=az.name,
                        version=az.version,
                    )
                )
        return found

    def select_aws(self, model: str, region: str, residency: ResidencySet) -> AwsOffering | None:
        """The most contained resident offering (in-region before a geo profile), or None."""
        return next((o for o in self.aws_offerings(model, region) if o.resident_in(residency)), None)

    def select_azure(
        self, model: str, region: str, residency: ResidencySet, *, provisioned: bool = False, sku: str | None = None
    ) -> AzureOffering | None:
        """The resident offering for the requested SKU, or the first resident one in the catalog's preference order."""
        offers = {o.sku: o for o in self.azure_offerings(model, region) if o.resident_in(residency)}
        if sku is not None:
            return offers.get(sku)
        order = self.azure_skus.preference.provisioned if provisioned else self.azure_skus.preference.pay_per_token
        return next((offers[s] for s in order if s in offers), None)

    def resident_regions(self, model: str, cloud: Cloud, residency: ResidencySet) -> list[str]:
        """Regions of the residency set from which `model` can be served residently on `cloud`."""
        if cloud == "aws":
            return sorted(r for r in residency.aws if self.select_aws(model, r, residency))
        return sorted(
            r for r in residency.azure if any(o.resident_in(residency) for o in self.azure_offerings(model, r))
        )

    def resident_models(self, cloud: Cloud, region: str, residency: ResidencySet) -> list[str]:
        """Models that can be served residently from `region` on `cloud`."""
        if cloud == "aws":
            return [m for m in self.models_on("aws") if self.select_aws(m, region, residency)]
        return [
            m for m in self.models_on("azure") if any(o.resident_in(residency) for o in self.azure_offerings(m, region))
        ]

    # -- GPUs --------------------------------------------------------------------------------------------------
    def gpu_reservation_types(self, cloud: Cloud, sku: str, region: str) -> list[str]:
        table = self.gpus.aws if cloud == "aws" else self.gpus.azure
        gpu = table.get(sku)
        if gpu is None:
            return []
        return [kind for kind, regions in gpu.reservations.items() if region in regions]


DATA_DIR = Path(str(resources.files("crosscloud.catalog") / "data"))


@functools.cache
def load_catalog(directory: Path | None = None) -> Catalog:
    """The process-wide catalog (cached): read once, shared by everything in this process."""
    return Catalog(directory or DATA_DIR)
