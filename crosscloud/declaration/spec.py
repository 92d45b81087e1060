"""The typed stack declaration: one `PlatformSpec` per stack, read from the `crosscloud:*` config keys.

Field names are the config keys (``crosscloud:<field>``); nested keys are snake_case. Structural rules live here;
rules that need the catalog (regions, models, SKUs) live in `checks.py`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from crosscloud.declaration.secrets import looks_like_key_material

Cloud = Literal["aws", "azure"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")]
TagKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:=+@-]{1,128}$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 _.:/=+@-]{0,256}$")]


# Address space a VPC or VNet may use privately: RFC 1918 and the shared address space of RFC 6598 (both clouds accept
# it). `ipaddress.is_private` would also admit loopback, link-local, 0.0.0.0/8 and the benchmarking range.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def _private_cidr(value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not any(value.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValueError(f"must lie inside a private range ({', '.join(str(r) for r in PRIVATE_RANGES)})")
    if not 16 <= value.prefixlen <= 24:
        raise ValueError("prefix length must be between /16 and /24")
    return value


PrivateCidr = Annotated[ipaddress.IPv4Network, AfterValidator(_private_cidr)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsNetwork(_Strict):
    """VPC of the stack: private subnets only, one per zone."""

    cidr: PrivateCidr
    zones: StrictInt = Field(default=2, ge=1, le=6)


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
    capacity: StrictInt = Field(default=10, ge=1, le=100_000)
    provisioned: StrictBool = False


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
    count: StrictInt = Field(ge=1, le=64)
    region: str | None = None
    zone: str
    reservation: Literal["on-demand", "capacity-block", "targeted", "block"] | None = None
    starts: dt.date | None = None
    ends: dt.date

    @model_validator(mode="after")
    def _dates(self) -> GpuReservation:
        today = dt.date.today()
        if self.starts is not None and self.starts < today:
            raise ValueError(f"starts {self.starts} is in the past (today is {today})")
        if self.ends <= today:
            raise ValueError(f"ends {self.ends} is not in the future (today is {today}): the reservation is over")
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


# Both clouds allow 50 tags per resource; crosscloud adds its own (stack_tags) and AWS children add "Name".
MAX_USER_TAGS = 44
RESERVED_TAG_PREFIXES = ("aws:", "azure", "microsoft", "windows")


class PlatformSpec(_Strict):
    """Everything one stack declares. Each field is the config key `crosscloud:<field>`."""

    residency: str
    # Required unless the stack is named dev, staging or prod (then it defaults to the name): a stack named prod
    # must never silently run as dev and protect nothing.
    environment: Literal["dev", "staging", "prod"]
    tags: dict[TagKey, TagValue] = Field(default={}, max_length=MAX_USER_TAGS)
    aws: AwsSettings | None = None
    azure: AzureSettings | None = None
    endpoints: list[Endpoint] = []
    gpu: list[GpuReservation] = []
    identity: Identity = Identity()

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        lowered: dict[str, str] = {}
        for key, value in tags.items():
            if key.lower().startswith(RESERVED_TAG_PREFIXES):
                raise ValueError(
                    f"tag key {key!r} uses a prefix the clouds reserve ({', '.join(RESERVED_TAG_PREFIXES)})"
                )
            if key.lower() in lowered:
                raise ValueError(
                    f"tag keys {lowered[key.lower()]!r} and {key!r} differ only in case "
                    "(Azure tag names are case-insensitive)"
                )
            lowered[key.lower()] = key
            if looks_like_key_material(key) or looks_like_key_material(value):
                raise ValueError(
                    f"tag {key!r} holds what looks like key material; tags are public metadata, never secrets"
                )
        return tags

    @property
    def protect_stateful(self) -> bool:
        """Stateful resources (logs, keys, reservations) are protected from deletion in prod."""
        return self.environment == "prod"
