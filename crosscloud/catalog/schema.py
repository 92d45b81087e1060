"""Typed shape of the catalog data files, so a typo in a data file fails at load time, not at `pulumi up`."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ANY: Literal["any"] = "any"
Route = Literal["deployment", "serverless"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    source: str
    date: dt.date


class TableSource(Source):
    table: str


class AwsRegion(_Strict):
    country: str
    partition: str


class AzureRegion(_Strict):
    country: str
    data_zone: str | None


class ResidencySetData(_Strict):
    description: str
    countries: list[str]
    aws_partitions: list[str]


class RegionsFile(_Strict):
    sources: list[TableSource]
    aws_regions: dict[str, AwsRegion]
    azure_regions: dict[str, AzureRegion]
    data_zones: dict[str, list[str]]
    country_groups: dict[str, list[str]]
    sets: dict[str, ResidencySetData]


Processing = Literal["global", "data_zone", "regional"]


class AzureSku(_Strict):
    processing: Processing
    billing: Literal["pay-per-token", "ptu", "batch"]
    provisioned: bool
    batch: bool
    note: str | None = None


class SkuPreference(_Strict):
    pay_per_token: list[str]
    provisioned: list[str]


class AzureSkusFile(_Strict):
    sources: list[TableSource]
    skus: dict[str, AzureSku]
    preference: SkuPreference


class ProfilePrefix(_Strict):
    destinations: list[str] | Literal["any"]
    verified: bool = True


class EndpointService(_Strict):
    supported: list[str]
    not_supported: list[str]


class BedrockEndpointsFile(_Strict):
    sources: list[TableSource]
    # interface endpoint service (the suffix of com.amazonaws.<region>.<service>) -> where AWS lists it
    services: dict[str, EndpointService]


class BedrockProfilesFile(_Strict):
    sources: list[TableSource]
    prefixes: dict[str, ProfilePrefix]


LifecycleStatus = Literal["active", "legacy", "deprecated", "retired"]
# Stages in the order an offering passes through them; an offering never moves back.
LIFECYCLE_ORDER: tuple[LifecycleStatus, ...] = ("active", "legacy", "deprecated", "retired")


class Lifecycle(_Strict):
    """Where one offering (a cloud's version of a model, optionally only some of its SKUs) is in its life.

    `status` is the stage the vendor stated when the row was read (`date`); the dates are the vendor's own. The stage
    in force on a given day is derived (`status_on`): the stated stage, or a later one whose date has passed, so a
    shipped catalog ages into the right answer instead of going stale (a model retires on its date even if nobody
    edits the file).
    """

    status: LifecycleStatus
    legacy: dt.date | None = None  # Bedrock "Legacy" / Azure "Legacy": still served, not for new customers
    deprecation: dt.date | None = None  # Azure "Deprecated": no longer available for new customers
    retirement: dt.date | None = None  # Azure retirement / Bedrock end of life: requests fail from this day
    # A catalog key (a model this cloud offers) or the vendor's name for a model the catalog does not hold.
    replacement: str | None = None
    # Azure deployment SKUs this row applies to ([]: every SKU without a row of its own).
    skus: list[str] = []
    source: str
    date: dt.date  # when the source was read
    note: str | None = None

    def status_on(self, today: dt.date) -> LifecycleStatus:
        stage = LIFECYCLE_ORDER.index(self.status)
        for when, status in ((self.legacy, "legacy"), (self.deprecation, "deprecated"), (self.retirement, "retired")):
            if when is not None and when <= today:
                stage = max(stage, LIFECYCLE_ORDER.index(status))  # type: ignore[arg-type]
        return LIFECYCLE_ORDER[stage]

    def days_left(self, today: dt.date) -> int | None:
        return None if self.retirement is None else (self.retirement - today).days

    def problem(self) -> str | None:
        """Why the row contradicts itself (dates out of order, or a stage its own dates rule out), or None."""
        dated = [(n, d) for n, d in (("legacy", self.legacy), ("deprecation", self.deprecation)) if d is not None]
        if self.retirement is not None:
            dated.append(("retirement", self.retirement))
        for (first, a), (second, b) in itertools.pairwise(dated):
            if b < a:
                return f"{second} {b} is before {first} {a}"
        if self.status == "retired" and (self.retirement is None or self.retirement > self.date):
            return f"status retired needs a retirement date on or before the row's date {self.date}"
        derived = self.status_on(self.date)
        if derived != self.status:
            return f"status {self.status} contradicts its own dates, which make it {derived} on {self.date}"
        return None


class ProfileRoutes(_Strict):
    """One geo profile of one model, as its model card gives it: source Region -> destination Regions.

    A source Region that is not a key cannot call the profile. AWS routes a request only among the destinations of
    the Region it is sent from, so residency is decided per (profile, model, source Region).
    """

    routes: dict[str, list[str]]
    source: str
    verified: bool = True


class AwsModel(_Strict):
    model_id: str
    in_region: list[str]
    # prefix -> the model card's routes, or null where no table is recorded: then the prefix's union applies (fail
    # closed: a profile may route anywhere its prefix reaches).
    profiles: dict[str, ProfileRoutes | None]
    provisioned_throughput: list[str]
    verified: bool = True
    sources: list[str]
    lifecycle: Lifecycle


class AzureServerless(_Strict):
    """Models-as-a-Service: a serverless API endpoint in a hub/project; prompts are processed in the geography chosen
    at deployment (the hub/project's region)."""

    model_id: str
    regions: list[str]
    marketplace: bool
    verified: bool = True
    sources: list[str]


class AzureModel(_Strict):
    format: str
    format_verified: bool = True
    name: str
    version: str
    version_verified: bool = True
    # deployment SKU -> the regions a model matrix lists for it ([]: none published, so "unlisted" and not offered).
    skus: dict[str, list[str]] = {}
    # SKUs whose region list no primary source confirms: shown, never offered in prod.
    unverified_skus: list[str] = []
    serverless: AzureServerless | None = None
    sources: list[str]
    # One row for every SKU ([] skus), plus rows for SKUs whose dates differ (e.g. provisioned extensions).
    lifecycle: list[Lifecycle] = Field(min_length=1)

    def lifecycle_for(self, sku: str | None) -> Lifecycle:
        """The row for `sku` (the serverless route and unknown SKUs take the default row)."""
        return next((row for row in self.lifecycle if sku is not None and sku in row.skus), self.default_lifecycle)

    @property
    def default_lifecycle(self) -> Lifecycle:
        return next(row for row in self.lifecycle if not row.skus)


# rerank: scores documents against a query (no generated text, no vectors); image: generates images.
ModelKind = Literal["chat", "embedding", "rerank", "image"]


class OpenWeights(_Strict):
    """A release whose weights anyone may run, so crosscloud can serve it itself (vLLM on a GPU reservation): where
    the weights are published and at which commit, under which licence, and what serving them takes.

    The weights are copied from `repository` at `revision` into an in-region store by the platform team; instances
    read that copy and never a public hub at run time.
    """

    repository: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")  # Hugging Face ID
    revision: str = Field(pattern=r"^[0-9a-f]{40}$")  # the commit every copy is made from
    licence: str
    gated: bool = False  # the repository asks you to accept the licence before downloading
    exclude: list[str] = []  # repository paths the serving copy leaves out (other runtimes' copies of the weights)
    # What one replica needs: `tensor_parallel` NVIDIA GPUs with at least `min_gpu_memory_gb` each, on one instance.
    min_gpu_memory_gb: int = Field(ge=1)
    tensor_parallel: int = Field(ge=1, le=8)
    # vLLM `serve` arguments of this model beyond what crosscloud sets (model path, name, port, tensor parallelism).
    serving_args: list[str] = []
    verified: bool = True
    sources: list[str]
    note: str | None = None


class Model(_Strict):
    display: str
    provider: str
    kind: ModelKind
    aws: AwsModel | None = None
    azure: AzureModel | None = None
    open_weights: OpenWeights | None = None


class ModelsFile(_Strict):
    sources: dict[str, Source]
    models: dict[str, Model]


class GpuSku(_Strict):
    gpus: int
    gpu_model: str
    # Memory of each GPU as the source states it ("NVIDIA H100 80GB": 80); None where no source gives it, and then
    # no model is known to fit (fail closed).
    gpu_memory_gb: int | None = None
    reservations: dict[str, list[str]]
    # EC2 future-dated On-Demand Capacity Reservations exist only for some families (not P or Trn).
    future_dated: bool = False
    verified: bool = True
    sources: list[str]


class GpusFile(_Strict):
    sources: dict[str, Source]
    aws: dict[str, GpuSku]
    azure: dict[str, GpuSku]


class ContainerImage(_Strict):
    """The serving container, pinned by digest: what every replica runs, mirrored into an in-region registry."""

    repository: str
    tag: str
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    verified: bool = True
    sources: list[str]
    note: str | None = None

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}@{self.digest}"


class AwsHostImage(_Strict):
    """The AMI every GPU instance boots, as the public SSM parameter EC2 resolves at launch (`resolve:ssm:`)."""

    ssm_parameter: str = Field(pattern=r"^/aws/service/[A-Za-z0-9_./-]+$")
    sources: list[str]


class AzureHostImage(_Strict):
    """The marketplace image every GPU VM boots (NVIDIA driver and a container runtime included)."""

    publisher: str
    offer: str
    sku: str
    version: str
    sources: list[str]


class ServingFile(_Strict):
    """How crosscloud self-hosts open weights: the container, its port, and the host image per cloud."""

    sources: dict[str, Source]
    image: ContainerImage
    port: int = Field(ge=1024, le=65535)
    health_path: str = Field(pattern=r"^/[A-Za-z0-9/_-]*$")
    aws: AwsHostImage
    azure: AzureHostImage


class IamStatement(_Strict):
    """One statement of a recorded AWS managed policy (only what can match a Bedrock action)."""

    sid: str | None = None
    effect: Literal["Allow", "Deny"]
    actions: list[str] | None = None
    not_actions: list[str] | None = None
    resources: list[str] | None = None
    not_resources: list[str] | None = None
    conditional: bool = False


class ManagedPolicy(_Strict):
    version: str
    edited: dt.date
    source: str
    statements: list[IamStatement]


class BedrockActions(_Strict):
    source: str
    services: list[str]
    prompt: list[str]
    prompt_free: list[str]


class AwsIamFile(_Strict):
    sources: dict[str, Source]
    bedrock_actions: BedrockActions
    # key: the managed policy's ARN after "policy/" (e.g. "AmazonBedrockFullAccess", "job-function/ViewOnlyAccess")
    managed_policies: dict[str, ManagedPolicy]


# -- prices (prices.yaml, the prices overlay, crosscloud:prices) --------------------------------------------------

PriceKind = Literal["ec2-on-demand", "ec2-capacity-block", "azure-vm", "azure-ptu", "bedrock-provisioned"]
PriceUnit = Literal["instance-hour", "ptu-hour", "model-unit-hour"]
PriceTerm = Literal["hourly", "OneMonth", "SixMonths"]


class PriceRow(_Strict):
    """One list price: what it prices (kind, sku, region, term), the rate per unit, and where and when it was read."""

    kind: PriceKind
    sku: str = Field(min_length=1, max_length=128)
    region: str = Field(min_length=1, max_length=64)
    term: PriceTerm | None = None  # Bedrock provisioned throughput only
    price: float = Field(gt=0, lt=1_000_000)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    unit: PriceUnit
    date: dt.date
    source: str = Field(min_length=3, max_length=600)
    verified: bool
    note: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        return (self.kind, self.sku, self.region, self.term)


class PricesFile(_Strict):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    hours_per_month: int = Field(gt=0, le=744)
    prices: list[PriceRow]


class PricesOverlay(_Strict):
    """What `crosscloud prices refresh --write` saves: rows read from the vendors' price lists, merged over prices.yaml
    by the loader when CROSSCLOUD_PRICES_OVERLAY names the file."""

    crosscloud_prices_overlay: Literal[1] = Field(alias="crosscloud-prices-overlay")
    read_at: dt.date
    prices: list[PriceRow]
