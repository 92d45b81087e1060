"""Value types for "where a model can be served and where its prompts may be processed"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ResidencySet:
    """A named set of regions on both clouds inside which data may be processed."""

    name: str
    description: str
    aws: frozenset[str]
    azure: frozenset[str]

    def admits(self, cloud: Literal["aws", "azure"], region: str) -> bool:
        return region in (self.aws if cloud == "aws" else self.azure)


@dataclass(frozen=True)
class AwsOffering:
    """One way to invoke a Bedrock model from a source region: the bare model ID or a geo inference profile."""

    model: str
    region: str
    kind: Literal["in-region", "profile"]
    invoke_id: str
    model_id: str
    prefix: str | None
    # Regions a request may be processed in; None means any commercial region (global profile).
    destinations: frozenset[str] | None

    def resident_in(self, residency: ResidencySet) -> bool:
        return self.destinations is not None and self.destinations <= residency.aws

    def describe(self) -> str:
        if self.kind == "in-region":
            return f"in-region {self.model_id}"
        where = "any commercial region" if self.destinations is None else ", ".join(sorted(self.destinations))
        return f"{self.prefix}. profile {self.invoke_id} (routes to {where})"


@dataclass(frozen=True)
class AzureOffering:
    """One deployment SKU of a Foundry model in a region, with the regions its prompts may be processed in."""

    model: str
    region: str
    sku: str
    processing: Literal["global", "data_zone", "regional"]
    provisioned: bool
    # None means anywhere in the world (global SKUs, or a data-zone SKU in a region outside every data zone).
    processing_regions: frozenset[str] | None
    format: str
    name: str
    version: str

    def resident_in(self, residency: ResidencySet) -> bool:
        return self.processing_regions is not None and self.processing_regions <= residency.azure

    def describe(self) -> str:
        scope = {
            "global": "processes worldwide",
            "data_zone": "processes in its data zone",
            "regional": "processes in-region",
        }
        return f"{self.sku} ({scope[self.processing]})"
