"""Reserved GPU capacity on EC2, and a launch template per reservation so the capacity is actually usable.

- `on-demand`: an On-Demand Capacity Reservation, `targeted` (only instances that name it use it) and
  `endDateType: limited` with the declared end, so it stops billing on its own.
- `capacity-block`: a Capacity Block for ML bought from the offering that matches the declared window
  (aws.ec2.get_capacity_block_offering). It is prepaid and cannot be cancelled, so it is protected and retained on
  delete in every environment; the offering ID is ignored after purchase (a new offering would mean a new block).

Instances launch into a Capacity Block by its reservation ID with market type `capacity-block` (EC2 user guide,
capacity-blocks-launch; CloudFormation AWS::EC2::LaunchTemplate InstanceMarketOptions, MarketType allowed values
spot | capacity-block | interruptible-capacity-reservation; both read 2026-11-23). pulumi-aws 7.51.1 documents only
`spot` for `market_type` but passes the value through to the EC2 API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
from pydantic import Field

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.standard import StandardArgs, StatefulArgs, StrInput
from crosscloud.declaration.spec import GpuReservation

PLATFORM = "Linux/UNIX"
BLOCK_TAG = "crosscloud:capacity-block"


def block_tag(instance_type: str, count: int, starts: dt.date, ends: dt.date) -> str:
    """`<instance type>:<count>:<first day>:<end day>`, e.g. `p5.48xlarge:2:2027-01-25:2027-02-08`."""
    return f"{instance_type}:{count}:{starts.isoformat()}:{ends.isoformat()}"


def _utc(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


class FleetLaunch(StandardArgs):
    """What a reservation's launch template needs when a self-hosted fleet consumes it (aws/serving.py):
    the host image, the boot document, the instance profile and the security groups of its only network interface,
    which gets no public IP."""

    image_id: str = Field(pattern=r"^(ami-[0-9a-f]{8,17}|resolve:ssm:/aws/service/[A-Za-z0-9_./-]+)$")
    user_data: str  # base64 cloud-init
    instance_profile_arn: StrInput
    security_group_ids: list[StrInput] = Field(min_length=1)
    root_volume_gb: int = Field(default=256, ge=64, le=16384)  # holds the weights (tens of GB) and the image


class GpuCapacityArgs(StatefulArgs):
    ctx: AwsContext
    reservations: list[GpuReservation]
    # Reservation name -> the fleet settings its launch template carries (reservations nobody serves on get none).
    fleets: Mapping[str, FleetLaunch] = Field(default_factory=dict)


class GpuCapacity(pulumi.ComponentResource):
    """One reservation (capacity reservation or Capacity Block) and one launch template per declared entry."""

    reservation_ids: dict[str, pulumi.Output[str]]
    launch_template_ids: dict[str, pulumi.Output[str]]
    launch_templates: dict[str, aws.ec2.LaunchTemplate]
    # The zone each reservation holds capacity in (a Capacity Block's comes from its offering).
    zones: dict[str, pulumi.Input[str]]

    def __init__(self, name: str, args: GpuCapacityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:GpuCapacity", name, None, opts)
        ctx, tags = args.ctx, dict(args.tags)
        self.reservation_ids, self.launch_template_ids, self.launch_templates, self.zones = {}, {}, {}, {}
        for gpu in args.reservations:
            if gpu.cloud != "aws":
                raise ValueError(f"{gpu.name}: an {gpu.cloud} reservation in the AWS GPU component")
            res_tags = {**tags, **gpu.approval_tags, "Name": f"{ctx.prefix}-{gpu.name}", "crosscloud-gpu": gpu.name}
            market: dict[str, str] | None = None
            zone: pulumi.Input[str] = gpu.zone
            if gpu.reservation_type == "capacity-block":
                assert gpu.starts is not None  # the declaration requires it for capacity blocks
                offering = aws.ec2.get_capacity_block_offering(
                    instance_type=gpu.instance_type,
                    instance_count=gpu.count,
                    capacity_duration_hours=(gpu.ends - gpu.starts).days * 24,
                    start_date_range=_utc(gpu.starts),
                    end_date_range=_utc(gpu.ends),
                    region=gpu.region or ctx.region,
                    opts=pulumi.InvokeOptions(parent=self),
                )
                block = aws.ec2.CapacityBlockReservation(
                    f"{name}-{gpu.name}",
                    capacity_block_offering_id=offering.capacity_block_offering_id,
                    instance_platform=PLATFORM,
                    region=gpu.region,
                    # The offering decides type, count and window, and none of them is an input: the tag says what
                    # was bought, so the capacity pack can price the block (monthly-commitment-within-budget).
                    tags={**res_tags, BLOCK_TAG: block_tag(gpu.instance_type, gpu.count, gpu.starts, gpu.ends)},
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        protect=True,
                        retain_on_delete=True,
                        ignore_changes=["capacityBlockOfferingId"],
                    ),
                )
                reservation_id = block.id
                zone = offering.availability_zone
                market = {"market_type": "capacity-block"}
            else:
                reservation = aws.ec2.CapacityReservation(
                    f"{name}-{gpu.name}",
                    availability_zone=gpu.zone,
                    instance_type=gpu.instance_type,
                    instance_count=gpu.count,
                    instance_platform=PLATFORM,
                    instance_match_criteria="targeted",
                    end_date_type="limited",
                    end_date=_utc(gpu.ends),
                    ebs_optimized=True,
                    region=gpu.region,  # a GPU entry may name another Region than the stack's
                    tags=res_tags,
                    opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
                )
                reservation_id = reservation.id
            fleet = args.fleets.get(gpu.name)
            template = aws.ec2.LaunchTemplate(
                f"{name}-{gpu.name}-template",
                name=f"{ctx.prefix}-{gpu.name}",
                description=f"Launch into reserved capacity {gpu.name} ({gpu.count} x {gpu.instance_type})",
                instance_type=gpu.instance_type,
                capacity_reservation_specification={
                    "capacity_reservation_target": {"capacity_reservation_id": reservation_id}
                },
                instance_market_options=market,
                placement={"availability_zone": zone},
                # IMDSv2 only; one hop, so containers on the instance cannot reach the instance role's credentials.
                metadata_options={
                    "http_tokens": "required",
                    "http_endpoint": "enabled",
                    **({"http_put_response_hop_limit": 1} if fleet else {}),
                },
                update_default_version=True,
                region=gpu.region,
                tag_specifications=[{"resource_type": "instance", "tags": res_tags}],
                tags=res_tags,
                opts=pulumi.ResourceOptions(parent=self),
                **(_fleet_inputs(fleet) if fleet else {}),
            )
            self.reservation_ids[gpu.name] = reservation_id
            self.launch_template_ids[gpu.name] = template.id
            self.launch_templates[gpu.name] = template
            self.zones[gpu.name] = zone
        self.register_outputs({"reservation_ids": self.reservation_ids, "launch_templates": self.launch_template_ids})


def _fleet_inputs(fleet: FleetLaunch) -> dict[str, object]:
    """Launch template inputs of a served reservation: no public IP on its one interface, an encrypted root volume."""
    return {
        "image_id": fleet.image_id,
        "user_data": fleet.user_data,
        "iam_instance_profile": {"arn": fleet.instance_profile_arn},
        "network_interfaces": [
            {
                "device_index": 0,
                "associate_public_ip_address": "false",
                "delete_on_termination": "true",
                "security_groups": list(fleet.security_group_ids),
            }
        ],
        "block_device_mappings": [
            {
                "device_name": "/dev/sda1",  # the Ubuntu AMI's root device
                "ebs": {
                    "volume_size": fleet.root_volume_gb,
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                },
            }
        ],
        "monitoring": {"enabled": True},
    }
