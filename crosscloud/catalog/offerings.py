"""Value types for "where a model can be served and where its prompts may be processed"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Stage = Literal["active", "legacy", "deprecated", "retired"]


@dataclass(frozen=True)
class ResidencySet:
    """A named set of regions on both clouds inside which data may be processed."""

    name: str
    description: str
    aws: frozenset[str]
    azure: frozenset[str]

    def admits(self, cloud: Literal["aws", "azure"], region: str) -> bool:
        return region in (self.aws if cloud == "aws" else self.azure)


def _regions(regions: frozenset[str] | None) -> str:
    return "any commercial Region" if regions is None else ", ".join(sorted(regions))


@dataclass(frozen=True)
class AwsOffering:
    """One way to invoke a Bedrock model from a source Region: the bare model ID or a geo inference profile."""

    model: str
    region: str  # the source Region: where the stack calls from
    kind: Literal["in-region", "profile"]
    invoke_id: str
    model_id: str
    prefix: str | None
    # Regions a request sent from `region` may be processed in; None means any commercial Region (global profile).
    destinations: frozenset[str] | None
    # True when `destinations` comes from the model card's per-source table, False for the prefix-union fallback.
    routes_recorded: bool = True
    verified: bool = True
    status: Stage = "active"  # the offering's lifecycle stage on the day it was listed
    retirement: dt.date | None = None

    def resident_in(self, residency: ResidencySet) -> bool:
        return self.destinations is not None and self.destinations <= residency.aws

    def outside(self, residency: ResidencySet) -> frozenset[str] | None:
        """Destinations outside the residency set (None: unbounded)."""
        return None if self.destinations is None else self.destinations - residency.aws

    def describe(self) -> str:
        if self.kind == "in-region":
            return f"in-region {self.model_id}"
        recorded = self.routes_recorded or self.destinations is None
        basis = "" if recorded else f" (no per-Region table recorded: the {self.prefix}. union)"
        where = _regions(self.destinations)
        return f"{self.prefix}. profile {self.invoke_id} routes from {self.region} to {where}{basis}"


Processing = Literal["global", "data_zone", "regional"]


@dataclass(frozen=True)
class AzureOffering:
    """One way to serve a model on Azure in a region: a Foundry deployment SKU, or a serverless API endpoint."""

    model: str
    region: str
    route: Literal["deployment", "serverless"]
    sku: str | None  # the deployment SKU (sku.name); None on the serverless route
    processing: Processing
    provisioned: bool
    # None means anywhere in the world (global SKUs, or a data-zone SKU in a region outside every data zone).
    processing_regions: frozenset[str] | None
    format: str
    name: str
    version: str
    serverless_model_id: str | None = None  # azureml registry asset ID (serverless route)
    marketplace: bool = False  # the serverless route needs an Azure Marketplace subscription first
    verified: bool = True
    status: Stage = "active"  # the offering's lifecycle stage on the day it was listed
    retirement: dt.date | None = None

    def resident_in(self, residency: ResidencySet) -> bool:
        return self.processing_regions is not None and self.processing_regions <= residency.azure

    @property
    def label(self) -> str:
        """The SKU, or 'serverless API' for the Models-as-a-Service route."""
        return self.sku if self.sku is not None else "serverless API"

    def describe(self) -> str:
        scope = {
            "global": "processes worldwide",
            "data_zone": "processes in its data zone",
            "regional": "processes in-region",
        }
        if self.route == "serverless":
            return f"serverless API endpoint ({scope[self.processing]}: the hub/project's geography)"
        return f"{self.sku} ({scope[self.processing]})"
