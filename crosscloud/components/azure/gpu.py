"""Azure GPU capacity: a capacity reservation group with one reservation, targeted (on-demand) or Block (scheduled).

Targeted reservations use the SDK's typed `compute.CapacityReservationGroup` / `CapacityReservation`. ND-series GPUs
(H100, H200, GB200) are reservable only as **Block** reservations: the group's `reservationType: Block` and the
reservation's `scheduleProfile {start, end}` exist from Compute API 2025-04-01, while pulumi-azure-native 3.x types
compute at 2024-11-01. Both Block resources therefore go through the SDK's generic `resources.Resource` with an
explicit `api_version`, which `pulumi up` sends unchanged to ARM. The generic resource has no `zones` input, so Block
reservations are regional. Block reservations cannot be deleted once allocated until their end date: they are
retained on delete (and protected in prod).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native
from pydantic import Field, model_validator

from crosscloud.catalog import load_catalog
from crosscloud.components.standard import StandardArgs, StrInput

BLOCK_API_VERSION = "2025-04-01"
COMPUTE_NAMESPACE = "Microsoft.Compute"


class AzureGpuCapacityArgs(StandardArgs):
    location: str
    resource_group_name: StrInput
    vm_size: str
    count: int = Field(ge=1, le=64)
    reservation: Literal["targeted", "block"] = "targeted"
    zone: Literal["1", "2", "3"] | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    protect: bool = False

    @model_validator(mode="after")
    def _catalog_allows(self) -> AzureGpuCapacityArgs:
        """The catalog decides which VM sizes take which reservation type where (one source for checks and us)."""
        offered = load_catalog().gpu_reservation_types("azure", self.vm_size, self.location)
        if self.reservation not in offered:
            raise ValueError(
                f"{self.vm_size} has no {self.reservation} capacity reservation in {self.location} per the catalog "
                f"(offered there: {', '.join(offered) or 'none'})"
            )
        if self.reservation == "block":
            if self.starts is None or self.ends is None:
                raise ValueError("a Block reservation needs starts and ends (its schedule)")
            if self.ends <= self.starts:
                raise ValueError("ends must be after starts")
        return self


class AzureGpuCapacity(pulumi.ComponentResource):
    """One capacity reservation group and its reservation; VMs join through `group_id`."""

    group_id: pulumi.Output[str]
    reservation_id: pulumi.Output[str]

    def __init__(self, name: str, args: AzureGpuCapacityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:azure:GpuCapacity", name, None, opts)
        tags = dict(args.tags)
        if args.reservation == "block":
            group, reservation = self._block(name, args, tags)
        else:
            group, reservation = self._targeted(name, args, tags)
        self.group_id = group.id
        self.reservation_id = reservation.id
        self.register_outputs({"group_id": self.group_id, "reservation_id": self.reservation_id})

    def _targeted(
        self, name: str, args: AzureGpuCapacityArgs, tags: dict[str, str]
    ) -> tuple[pulumi.CustomResource, pulumi.CustomResource]:
        zones = [args.zone] if args.zone else None
        group = azure_native.compute.CapacityReservationGroup(
            f"{name}-group",
            capacity_reservation_group_name=f"{name}-crg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            zones=zones,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        reservation = azure_native.compute.CapacityReservation(
            f"{name}-reservation",
            capacity_reservation_name=f"{name}-cr",
            capacity_reservation_group_name=group.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=azure_native.compute.SkuArgs(name=args.vm_size, capacity=args.count),
            zones=zones,
            tags=tags,
            # Billed while it exists, used or not; prod keeps it until someone removes protection on purpose.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        return group, reservation

    def _block(
        self, name: str, args: AzureGpuCapacityArgs, tags: dict[str, str]
    ) -> tuple[pulumi.CustomResource, pulumi.CustomResource]:
        assert args.starts is not None and args.ends is not None
        group_name = f"{name}-crg"
        group = azure_native.resources.Resource(
            f"{name}-group",
            resource_provider_namespace=COMPUTE_NAMESPACE,
            parent_resource_path="",
            resource_type="capacityReservationGroups",
            resource_name_=group_name,
            api_version=BLOCK_API_VERSION,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties={"reservationType": "Block"},  # immutable once the group exists
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        reservation = azure_native.resources.Resource(
            f"{name}-reservation",
            resource_provider_namespace=COMPUTE_NAMESPACE,
            parent_resource_path=f"capacityReservationGroups/{group_name}",
            resource_type="capacityReservations",
            resource_name_=f"{name}-cr",
            api_version=BLOCK_API_VERSION,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=azure_native.resources.SkuArgs(name=args.vm_size, capacity=args.count),
            properties={"scheduleProfile": {"start": args.starts.isoformat(), "end": args.ends.isoformat()}},
            tags=tags,
            # Prepaid and non-cancellable after allocation: it ends on its own at `end`.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True, depends_on=[group]),
        )
        return group, reservation
