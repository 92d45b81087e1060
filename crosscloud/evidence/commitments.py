"""The commitments a declaration makes, named as the resources the program creates for them.

The capacity pack reads the same commitments from the resources themselves (its capacity rules); both price
them with crosscloud.catalog.prices, and a test checks that the two agree on the shipped stacks.
"""

from __future__ import annotations

import datetime as dt

from crosscloud.catalog import Catalog
from crosscloud.catalog.prices import Commitment, PriceTable
from crosscloud.declaration import Declaration


def commitments(declaration: Declaration, catalog: Catalog) -> list[Commitment]:
    spec = declaration.spec
    found: list[Commitment] = []
    for gpu in spec.gpu:
        kind = gpu.reservation_type
        if gpu.cloud == "aws":
            region = gpu.region or (spec.aws.region if spec.aws else "")
            block = kind == "capacity-block"
            found.append(
                Commitment(
                    cloud="aws",
                    component=f"aws-gpu-{gpu.name}",
                    what="Capacity Block" if block else "capacity reservation",
                    kind="ec2-capacity-block" if block else "ec2-on-demand",
                    sku=gpu.instance_type,
                    region=region,
                    quantity=gpu.count,
                    starts=gpu.starts,
                    ends=gpu.ends,
                    cancellable=not block,
                    approved_by=gpu.approved_by,
                )
            )
        else:
            region = gpu.region or (spec.azure.location if spec.azure else "")
            found.append(
                Commitment(
                    cloud="azure",
                    component=f"azure-gpu-{gpu.name}",
                    what="Block capacity reservation" if kind == "block" else "capacity reservation",
                    kind="azure-vm",
                    sku=gpu.instance_type,
                    region=region,
                    quantity=gpu.count,
                    starts=gpu.starts,
                    ends=gpu.ends,
                    cancellable=kind != "block",  # a Block reservation is prepaid once allocated
                    approved_by=gpu.approved_by,
                )
            )
    choices = {e.name: e for e in spec.endpoints}
    for e in declaration.endpoints:
        choice = choices[e.name]
        provisioned = choice.aws.provisioned if choice.aws else None
        if e.aws is not None and provisioned is not None:
            found.append(
                Commitment(
                    cloud="aws",
                    component=f"aws-bedrock-{e.name}-throughput",
                    what="provisioned throughput",
                    kind="bedrock-provisioned",
                    sku=e.aws.model,
                    region=e.aws.region,
                    quantity=provisioned.model_units,
                    term=provisioned.commitment or "hourly",
                    cancellable=provisioned.commitment is None,
                    approved_by=provisioned.approved_by,
                )
            )
        if e.azure is not None and e.azure.provisioned and e.azure.sku is not None:
            throughput = choice.azure.throughput if choice.azure else None
            found.append(
                Commitment(
                    cloud="azure",
                    component=f"azure-foundry-deployment-{e.name}",
                    what="PTU deployment",
                    kind="azure-ptu",
                    sku=e.azure.sku,
                    region=e.azure.region,
                    quantity=e.azure_capacity or 0,
                    approved_by=throughput.approved_by if throughput else None,
                )
            )
    return found


def stack_prices(declaration: Declaration, catalog: Catalog) -> PriceTable:
    """The catalog's price table (with the refresh overlay) under the stack's own `crosscloud:prices`."""
    return catalog.prices.with_overrides(declaration.spec.prices)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
