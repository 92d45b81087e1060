"""The self-hosted route: a logical endpoint served on one cloud by vLLM from a model's open weights, on a GPU pool the
stack reserves (`crosscloud:gpu`).

A route is accepted only when it can run as declared: the model has open weights in the catalog, the pool is a
reservation of the same cloud that a fleet can consume (AWS On-Demand Capacity Reservation or Capacity Block; Azure
targeted reservation, which has a zone), one instance of the pool's type holds a replica, the replicas fit in the
reservation, and the pool sits where the fleet's network is. Everything else is a config error (exit 2) on the key
that is wrong, with what would work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crosscloud.catalog.loader import SELFHOSTED_RESERVATIONS
from crosscloud.declaration.errors import did_you_mean, join_allowed
from crosscloud.declaration.spec import AwsModelChoice, AzureModelChoice, Cloud, GpuReservation

if TYPE_CHECKING:
    from crosscloud.catalog import ResidencySet
    from crosscloud.declaration.checks import _Checker

CLOUD_NAMES = {"aws": "AWS", "azure": "Azure"}


@dataclass(frozen=True)
class SelfHostedRoute:
    """What a self-hosted fleet serves and where: one pool of one cloud, pinned weights, a pinned image."""

    endpoint: str
    cloud: Cloud
    model: str
    pool: str  # the crosscloud:gpu entry it runs on
    region: str
    zone: str
    instance_type: str
    reservation: str  # on-demand | capacity-block | targeted
    replicas: int
    repository: str
    revision: str
    exclude: tuple[str, ...]
    tensor_parallel: int
    serving_args: tuple[str, ...]
    image: str  # repository:tag@sha256:...
    verified: bool  # open weights and GPU row both confirmed by a primary source
    # AWS only: the pool is outside crosscloud:aws.region, so the fleet gets a VPC of its own there (this range).
    own_network: str | None = None

    @property
    def served_name(self) -> str:
        """The model name clients send (vLLM --served-model-name): the catalog key, the same on both clouds."""
        return self.model


def _zone_letters(region: str, zones: int) -> list[str]:
    return [f"{region}{letter}" for letter in "abcdef"[:zones]]


def check_route(
    checker: _Checker,
    i: int,
    endpoint_name: str,
    cloud: Cloud,
    choice: AwsModelChoice | AzureModelChoice,
    residency: ResidencySet,
    used: dict[str, int],
) -> SelfHostedRoute | None:
    """The route of `crosscloud:endpoints[i].<cloud>`, or None after reporting why it cannot run."""
    path = f"crosscloud:endpoints[{i}].{cloud}"
    spec, catalog = checker.spec, checker.catalog
    settings = spec.aws if cloud == "aws" else spec.azure
    if settings is None:
        checker.add(path, choice.model, f"needs crosscloud:{cloud} (the stack declares no {CLOUD_NAMES[cloud]} side)")
        return None
    weights_ok = _weights(checker, f"{path}.model", choice.model)
    pool = _pool(checker, f"{path}.gpu", cloud, choice.gpu)
    if pool is None or not weights_ok:
        return None
    index, gpu = pool
    first = used.setdefault(gpu.name, i)
    if first != i:
        checker.add(
            f"{path}.gpu",
            gpu.name,
            f"already serves crosscloud:endpoints[{first}]; a pool runs one model (one launch template, one scale set)",
            "a pool of its own for each self-hosted endpoint",
        )
        return None
    if gpu.reservation_type not in SELFHOSTED_RESERVATIONS[cloud]:
        checker.add(
            f"{path}.gpu",
            gpu.name,
            f"is a {gpu.reservation_type} reservation, which a fleet cannot be pinned to (an Azure block reservation "
            "is regional: it has no zone for the scale set)",
            f"a {' or '.join(SELFHOSTED_RESERVATIONS[cloud])} pool",
        )
        return None
    table = catalog.gpus.aws if cloud == "aws" else catalog.gpus.azure
    if gpu.instance_type not in table:
        return None  # reported on crosscloud:gpu[index].instance_type
    problem = catalog.fit_problem(choice.model, cloud, gpu.instance_type)
    if problem is not None:
        fitting = catalog.selfhosted_types(choice.model, cloud)
        checker.add(
            f"{path}.gpu",
            gpu.name,
            f"does not fit the model: {problem}",
            f"a pool of {join_allowed(fitting)}" if fitting else f"no {CLOUD_NAMES[cloud]} GPU type of the catalog",
        )
        return None
    replicas = choice.replicas or 1
    if replicas > gpu.count:
        checker.add(
            f"{path}.replicas",
            replicas,
            f"is more than pool {gpu.name!r} reserves ({gpu.count} x {gpu.instance_type}); the fleet never leaves its "
            "reservation for on-demand capacity",
            f"1 to {gpu.count}",
        )
        return None
    region = gpu.region or (spec.aws.region if cloud == "aws" and spec.aws else settings_location(checker))
    own_network = _network(checker, index, gpu, cloud, region)
    if own_network is False:
        return None
    weights = catalog.models[choice.model].open_weights
    assert weights is not None
    gpu_row = table[gpu.instance_type]
    image = catalog.serving.image
    digest = spec.serving.image_digest or image.digest
    if checker.verified_only and spec.serving.image_digest is None and not image.verified:
        checker.add(
            "crosscloud:serving.image_digest",
            None,
            f"is missing, and prod needs it: the catalog's digest of {image.repository}:{image.tag} is unverified "
            f"({endpoint_name} is self-hosted)",
            "the sha256 digest of the image you mirrored (`crane digest <registry>/<repository>:<tag>`)",
        )
        return None
    return SelfHostedRoute(
        endpoint=endpoint_name,
        cloud=cloud,
        model=choice.model,
        pool=gpu.name,
        region=region,
        zone=gpu.zone,
        instance_type=gpu.instance_type,
        reservation=gpu.reservation_type,
        replicas=replicas,
        repository=weights.repository,
        revision=weights.revision,
        exclude=tuple(weights.exclude),
        tensor_parallel=weights.tensor_parallel,
        serving_args=tuple(weights.serving_args),
        image=f"{image.repository}:{image.tag}@{digest}",
        verified=weights.verified and gpu_row.verified,
        own_network=own_network if isinstance(own_network, str) and own_network else None,
    )


def settings_location(checker: _Checker) -> str:
    return checker.spec.azure.location if checker.spec.azure else ""


def _weights(checker: _Checker, path: str, model: str) -> bool:
    catalog = checker.catalog
    open_models = sorted(k for k, m in catalog.models.items() if m.open_weights is not None)
    if model not in catalog.models:
        checker.add(
            path, model, f"is not in the model catalog{did_you_mean(model, catalog.models)}", join_allowed(open_models)
        )
        return False
    weights = catalog.models[model].open_weights
    if weights is None:
        checker.add(
            path, model, "has no open weights in the catalog, so it cannot be self-hosted", join_allowed(open_models)
        )
        return False
    if checker.verified_only and not weights.verified:
        checker.add(
            path,
            model,
            f"has open weights whose revision or licence no primary source confirms ({weights.repository}; "
            "verified: false in the catalog)",
            "verified open weights in prod, or environment dev/staging",
        )
        return False
    return True


def _pool(checker: _Checker, path: str, cloud: Cloud, name: str | None) -> tuple[int, GpuReservation] | None:
    pools = checker.spec.gpu
    for index, gpu in enumerate(pools):
        if gpu.name == name:
            if gpu.cloud != cloud:
                checker.add(
                    path,
                    name,
                    f"is an {gpu.cloud} pool (crosscloud:gpu[{index}]); a self-hosted {cloud} route runs on a "
                    f"reservation of its own cloud",
                    join_allowed(sorted(g.name for g in pools if g.cloud == cloud)),
                )
                return None
            return index, gpu
    same = sorted(g.name for g in pools if g.cloud == cloud)
    checker.add(
        path,
        name,
        f"is not a declared GPU pool{did_you_mean(name or '', same)}: a self-hosted route runs only on a reservation "
        "the stack declares in crosscloud:gpu",
        f"{cloud} pools: {join_allowed(same)}" if same else f"declare a {cloud} reservation in crosscloud:gpu",
    )
    return None


def _network(checker: _Checker, index: int, gpu: GpuReservation, cloud: Cloud, region: str) -> str | bool:
    """'' (the stack's network), the range of a VPC of its own (an AWS pool outside the stack's Region), or False."""
    spec = checker.spec
    at = f"crosscloud:gpu[{index}]"
    if cloud == "azure":
        azure = spec.azure
        assert azure is not None
        if region != azure.location:
            checker.add(
                f"{at}.region",
                region,
                f"is not crosscloud:azure.location: a self-hosted scale set joins the workloads subnet of the stack's "
                f"VNet in {azure.location}",
                azure.location,
            )
            return False
        if azure.network is None:
            checker.add(
                "crosscloud:azure.network",
                None,
                f"is missing: the self-hosted fleet on {gpu.name!r} needs the stack's VNet (workloads subnet, private "
                "endpoints for its weights store and registry)",
                "a network with a cidr",
            )
            return False
        return ""
    aws = spec.aws
    assert aws is not None
    if region == aws.region:
        if gpu.cidr is not None:
            checker.add(
                f"{at}.cidr",
                str(gpu.cidr),
                "is read only for a pool outside crosscloud:aws.region; this one's fleet runs in the stack's VPC",
                "no cidr",
            )
            return False
        if aws.network is None:
            checker.add(
                "crosscloud:aws.network",
                None,
                f"is missing: the self-hosted fleet on {gpu.name!r} runs in the stack's private subnets",
                "a network with a cidr",
            )
            return False
        zones = _zone_letters(aws.region, aws.network.zones)
        if gpu.zone not in zones:
            checker.add(
                f"{at}.zone",
                gpu.zone,
                f"has no private subnet: crosscloud:aws.network.zones builds {', '.join(zones)}",
                "a zone of the network, or more network zones",
            )
            return False
        return ""
    if gpu.cidr is None:
        checker.add(
            f"{at}.cidr",
            None,
            f"is missing: pool {gpu.name!r} is in {region}, outside crosscloud:aws.region {aws.region}, so its fleet "
            "gets a VPC of its own there",
            "a private range (/16 to /24) disjoint from the stack's networks",
        )
        return False
    others = [("crosscloud:aws.network.cidr", aws.network.cidr if aws.network else None)]
    others.append(
        ("crosscloud:azure.network.cidr", spec.azure.network.cidr if spec.azure and spec.azure.network else None)
    )
    others += [(f"crosscloud:gpu[{j}].cidr", g.cidr) for j, g in enumerate(spec.gpu) if j != index]
    for key, other in others:
        if other is not None and gpu.cidr.overlaps(other):
            checker.add(
                f"{at}.cidr", str(gpu.cidr), f"overlaps {key} {other}", "a range disjoint from the stack's networks"
            )
            return False
    return str(gpu.cidr)


def check_unused_cidrs(checker: _Checker, routes: list[SelfHostedRoute]) -> None:
    """A pool `cidr` nobody reads builds nothing: say so (a note, as the pool itself is fine)."""
    own = {r.pool for r in routes if r.own_network}
    reported = {issue.path for issue in checker.issues}
    for index, gpu in enumerate(checker.spec.gpu):
        path = f"crosscloud:gpu[{index}].cidr"
        if gpu.cidr is not None and gpu.name not in own and path not in reported:
            checker.notes.append(
                f"{checker.file}: {path}: {gpu.cidr} is not used: it is read only for an AWS pool that a "
                "self-hosted route uses outside crosscloud:aws.region"
            )
