"""The typed stack declaration: one `PlatformSpec` per stack, read from the `crosscloud:*` config keys.

Field names are the config keys (``crosscloud:<field>``); nested keys are snake_case. Structural rules live here;
rules that need the catalog (regions, models, SKUs) live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Cloud = Literal["aws", "azure"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")]
TagKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:=+@-]{1,128}$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:/=+@-]{0,256}$")]


def _private_cidr(value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not value.is_private:
        raise ValueError("must be a private (RFC 1918) range")
    if not 16 <= value.prefixlen <= 24:
        raise ValueError("prefix length must be between /16 and /24")
    return value


PrivateCidr = Annotated[ipaddress.IPv4Network, AfterValidator(_private_cidr)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsNetwork(_Strict):
    """VPC of the stack: private subnets only, one per zone."""

    cidr: PrivateCidr
    zones: int = Field(default=2, ge=1, le=6)


class AwsSettings(_Strict):
    region: str
    account_id: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    network: AwsNetwork | None = None


class AzureNetwork(_Strict):
    """VNet of the stack; subnets are carved from it."""

    cidr: PrivateCidr


class AzureSettings(_Strict):
    location: str
    subscription_id: (
        Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")] | None
    ) = None
    resource_group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.()-]{1,89}[A-Za-z0-9_()-]$")] | None = None
    network: AzureNetwork | None = None


class AwsModelChoice(_Strict):
    """The Bedrock model serving a logical endpoint; the offering (bare ID or geo profile) follows the residency."""

    model: str


class AzureThroughput(_Strict):
    # Thousands of tokens per minute for pay-per-token SKUs; PTUs for provisioned ones.
    capacity: int = Field(default=10, ge=1, le=100_000)
    provisioned: bool = False


class AzureModelChoice(_Strict):
    """The Azure model serving a logical endpoint.

    `route` picks how Azure serves it: a Foundry deployment (`sku` = deployment type) or a serverless API endpoint
    (Models-as-a-Service in a hub/project). Unset, the most contained resident offering wins: a resident deployment
    SKU in the catalog's preference order, else the serverless route. `sku` overrides the SKU choice.
    """

    model: str
    route: Literal["deployment", "serverless"] | None = None
    sku: str | None = None
    throughput: AzureThroughput = AzureThroughput()

    @model_validator(mode="after")
    def _route(self) -> AzureModelChoice:
        if self.route == "serverless" and self.sku is not None:
            raise ValueError("sku names a deployment type; the serverless route has none (drop sku or the route)")
        if self.route == "serverless" and self.throughput.provisioned:
            raise ValueError("serverless API endpoints are pay-per-token; provisioned throughput needs a deployment")
        return self


class Endpoint(_Strict):
    """A logical endpoint applications call; each cloud may serve it with a different model."""

    name: Slug
    aws: AwsModelChoice | None = None
    azure: AzureModelChoice | None = None
    primary: Cloud | None = None

    @model_validator(mode="after")
    def _clouds(self) -> Endpoint:
        served = [c for c in ("aws", "azure") if getattr(self, c) is not None]
        if not served:
            raise ValueError("an endpoint needs a model on aws, azure or both")
        if self.primary is not None and self.primary not in served:
            raise ValueError(f"primary is {self.primary!r} but that cloud serves no model here")
        if self.primary is None and len(served) == 2:
            raise ValueError("primary is required when both clouds serve the endpoint (aws or azure)")
        return self

    @property
    def primary_cloud(self) -> Cloud:
        if self.primary is not None:
            return self.primary
        return "aws" if self.aws is not None else "azure"


class GpuReservation(_Strict):
    """GPU capacity to hold: an EC2 capacity reservation / Capacity Block, or an Azure capacity reservation."""

    name: Slug
    cloud: Cloud
    instance_type: str
    count: int = Field(ge=1, le=64)
    region: str | None = None
    zone: str
    reservation: Literal["on-demand", "capacity-block", "targeted", "block"] | None = None
    starts: dt.date | None = None
    ends: dt.date

    @model_validator(mode="after")
    def _dates(self) -> GpuReservation:
        if self.starts is not None and self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self

    @property
    def reservation_type(self) -> str:
        return self.reservation or ("on-demand" if self.cloud == "aws" else "targeted")


class GithubCi(_Strict):
    github_repository: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    branch: str = "main"


class Workload(_Strict):
    name: Slug
    endpoints: list[str] = []


class Identity(_Strict):
    ci: GithubCi | None = None
    workloads: list[Workload] = []


class PlatformSpec(_Strict):
    """Everything one stack declares. Each field is the config key `crosscloud:<field>`."""

    residency: str
    environment: Literal["dev", "staging", "prod"] = "dev"
    tags: dict[TagKey, TagValue] = {}
    aws: AwsSettings | None = None
    azure: AzureSettings | None = None
    endpoints: list[Endpoint] = []
    gpu: list[GpuReservation] = []
    identity: Identity = Identity()

    @property
    def protect_stateful(self) -> bool:
        """Stateful resources (logs, keys, reservations) are protected from deletion in prod."""
        return self.environment == "prod"
