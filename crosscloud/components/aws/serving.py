"""A self-hosted model on EC2: vLLM's OpenAI-compatible server on the instances of one GPU reservation.

Two components, because the reservation's launch template (aws/gpu.py) sits between them: the template
needs this endpoint's instance profile, security group and boot document, and the fleet needs the template.

- `AwsServingEndpoint`: what the fleet needs and how clients reach it. An in-region weights bucket (KMS, private,
  versioned, TLS only; the private subnets reach S3 only through the VPC's gateway endpoint), an in-region ECR
  repository for the mirrored vLLM image (immutable tags, scanned, KMS), a KMS-encrypted log group, an instance
  profile that may read exactly those (plus Session Manager), an internal Network Load Balancer whose security group
  admits only the workload subnets, reached by a private DNS name (a Route 53 zone of the VPC), and the instances'
  security group, which admits only the load balancer.
- `AwsServingFleet`: an Auto Scaling group of exactly `replicas` instances in the reservation's zone, from the
  reservation's launch template, that launches only into that reservation (`capacity-reservations-only` with the
  reservation as target: no silent on-demand spill-over), behind the load balancer with its health check.

Sources (read 2026-12-03): AWS::AutoScaling::AutoScalingGroup CapacityReservationSpecification
(capacity-reservations-only: "If capacity isn't available, instances will fail to launch"; a Capacity Block is
consumed with the launch template's market type `capacity-block` alongside the group's target, EC2 Auto Scaling user
guide target-capacity-reservations); Session Manager's instance permissions (ssm:UpdateInstanceInformation and the
four ssmmessages channel actions; ec2messages for older agents), Systems Manager user guide
getting-started-create-iam-instance-profile.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.documents import ACCESS_TAG, IAM_PATH, VERSION, log_group_arn
from crosscloud.components.aws.gpu import FleetLaunch
from crosscloud.components.aws.kms import customer_managed_key
from crosscloud.components.aws.storage import private_bucket
from crosscloud.components.serving_host import aws_host, cloud_init, weights_prefix
from crosscloud.components.standard import StatefulArgs, StrInput
from crosscloud.declaration.selfhosted import SelfHostedRoute

IntInput = pulumi.Output[int] | int
LISTENER_PORT = 80  # clients call http://<load balancer>/v1 inside the network
CAPACITY_ONLY = "capacity-reservations-only"
GPU_TAG = "crosscloud-gpu"  # crosscloud/components/aws/gpu.py tags a reservation's instances with its pool's name


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def serving_names(ctx: AwsContext, endpoint: str) -> dict[str, str]:
    """The physical names of one endpoint's resources, chosen here so every document is known at preview."""
    bucket = f"{ctx.prefix}-{endpoint}-weights-{ctx.account}"
    if len(bucket) > 63:  # S3's limit: fall back to a stable digest of the same parts
        bucket = f"crosscloud-weights-{_digest(ctx.prefix, endpoint, ctx.account, ctx.region, length=24)}"
    short = f"{endpoint[:20]}-{_digest(ctx.prefix, endpoint, length=8)}"  # load balancer names: 32 characters
    return {
        "bucket": bucket,
        "repository": f"{ctx.prefix}/{endpoint}/vllm-openai",
        "log_group": ctx.log_group(f"serving/{endpoint}"),
        "role": f"{ctx.prefix}-{endpoint}-serving"[:64],
        "load_balancer": short,
        "target_group": short,
        "access": f"{ctx.prefix}-{endpoint}-serving",
        "dns": f"{endpoint}.{ctx.prefix}.internal",  # .internal: reserved for private use (ICANN, 2024)
    }


def instance_document(ctx: AwsContext, names: dict[str, str], prefix: str, pool: str) -> dict[str, Any]:
    """What a serving instance may do: read its weights (one prefix of one bucket, decrypted through S3 only), pull
    its image (one repository), write its logs (one group) and register with Session Manager. Known at preview:
    every ARN is built from names chosen here; the key is named by its crosscloud-access tag."""
    bucket_arn = f"arn:{ctx.partition}:s3:::{names['bucket']}"
    group = log_group_arn(ctx.partition, ctx.region, ctx.account, names["log_group"])
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ReadWeights",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/{prefix}/*",
            },
            {
                "Sid": "ListWeights",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
            },
            {
                "Sid": "DecryptWeightsThroughS3",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account}:key/*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/{ACCESS_TAG}": names["access"],
                        "kms:ViaService": f"s3.{ctx.region}.amazonaws.com",
                    }
                },
            },
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": f"arn:{ctx.partition}:ecr:{ctx.region}:{ctx.account}:repository/{names['repository']}",
            },
            {
                # GetAuthorizationToken names no resource (Service Authorization Reference: "*" only).
                "Sid": "RegistryToken",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{group}:log-stream:*",
            },
            {
                # Session Manager registers the instance: only instances of this pool (the template tags them).
                "Sid": "SessionManagerRegistration",
                "Effect": "Allow",
                "Action": "ssm:UpdateInstanceInformation",
                "Resource": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:instance/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{GPU_TAG}": pool}},
            },
            {
                # Session Manager's channels; these actions name no resource ("*" only).
                "Sid": "SessionManagerChannels",
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                    "ec2messages:AcknowledgeMessage",
                    "ec2messages:DeleteMessage",
                    "ec2messages:FailMessage",
                    "ec2messages:GetEndpoint",
                    "ec2messages:GetMessages",
                    "ec2messages:SendReply",
                ],
                "Resource": "*",
            },
        ],
    }


def ec2_trust_document() -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "Ec2Instances",
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def weights_bucket_document(partition: str, bucket: str) -> dict[str, Any]:
    """TLS only, and nothing but SSE-KMS objects (the weights stay encrypted with the stack's key)."""
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


class AwsServingEndpointArgs(StatefulArgs):
    ctx: AwsContext  # the fleet's Region (the reservation's)
    route: SelfHostedRoute
    vpc_id: StrInput
    vpc_cidr: str
    subnet_id: StrInput  # the private subnet in the reservation's zone
    client_cidrs: list[str] = Field(min_length=1)  # the workload subnets that may call the endpoint
    s3_prefix_list_id: StrInput  # the VPC's S3 gateway endpoint
    image_repository: str  # upstream name of the image (vllm/vllm-openai): its last part names the mirror
    image_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    host_image: str  # resolve:ssm:<public parameter> of the GPU AMI
    port: int = 8000
    health_path: str = "/health"
    log_retention_days: int = 365


class AwsServingEndpoint(pulumi.ComponentResource):
    """Weights bucket, image repository, logs, instance profile, security groups and an internal NLB."""

    launch: FleetLaunch
    target_group_arn: pulumi.Output[str]
    base_url: str  # through the private DNS name, known at preview
    bucket_name: str
    repository_url: str
    log_group_name: str
    user_data: str  # the cloud-init document (plain text; `launch.user_data` is its base64)
    route: SelfHostedRoute
    region: str

    def __init__(self, name: str, args: AwsServingEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:ServingEndpoint", name, None, opts)
        ctx, route, tags = args.ctx, args.route, dict(args.tags)
        self.route, self.region = route, ctx.region
        names = serving_names(ctx, route.endpoint)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        tags = {**tags, "crosscloud-model": route.model, "crosscloud-gpu": route.pool}

        key = customer_managed_key(
            f"{name}-key",
            ctx,
            purpose=f"self-hosted {route.endpoint}: weights, image and logs",
            tags={**tags, ACCESS_TAG: names["access"]},
            opts=stateful,
            log_groups=[names["log_group"]],
        )
        bucket = self._bucket(name, names["bucket"], ctx, key, tags, stateful)
        aws.ecr.Repository(
            f"{name}-repository",
            name=names["repository"],
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
            force_delete=False,
            tags=tags,
            opts=stateful,
        )
        aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=names["log_group"],
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=tags,
            opts=stateful,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=names["role"],
            path=IAM_PATH,
            assume_role_policy=json.dumps(ec2_trust_document()),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-role-access",
            role=role.id,
            policy=json.dumps(instance_document(ctx, names, weights_prefix(route), route.pool)),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-profile", name=names["role"], path=IAM_PATH, role=role.name, tags=tags, opts=child
        )

        lb_group = aws.ec2.SecurityGroup(
            f"{name}-lb-sg",
            vpc_id=args.vpc_id,
            description=f"Self-hosted {route.endpoint}: clients from the workload subnets only",
            ingress=[
                {
                    "description": "OpenAI-compatible API from the workload subnets",
                    "protocol": "tcp",
                    "from_port": LISTENER_PORT,
                    "to_port": LISTENER_PORT,
                    "cidr_blocks": sorted(args.client_cidrs),
                }
            ],
            egress=[
                {
                    "description": "to the serving instances",
                    "protocol": "tcp",
                    "from_port": args.port,
                    "to_port": args.port,
                    "cidr_blocks": [args.vpc_cidr],
                }
            ],
            tags={**tags, "Name": f"{name}-lb"},
            opts=child,
        )
        instance_group = aws.ec2.SecurityGroup(
            f"{name}-instance-sg",
            vpc_id=args.vpc_id,
            description=f"Self-hosted {route.endpoint}: the load balancer only; out to the VPC endpoints and S3",
            ingress=[
                {
                    "description": "vLLM from the load balancer (traffic and health checks)",
                    "protocol": "tcp",
                    "from_port": args.port,
                    "to_port": args.port,
                    "security_groups": [lb_group.id],
                }
            ],
            egress=[
                {
                    "description": "HTTPS to the interface endpoints (ECR, logs, Session Manager)",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": [args.vpc_cidr],
                },
                {
                    "description": "HTTPS to S3 through the gateway endpoint (weights, image layers)",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "prefix_list_ids": [args.s3_prefix_list_id],
                },
            ],
            tags={**tags, "Name": f"{name}-instances"},
            opts=child,
        )
        balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            name=names["load_balancer"],
            load_balancer_type="network",
            internal=True,
            ip_address_type="ipv4",
            subnets=[args.subnet_id],
            security_groups=[lb_group.id],
            enable_deletion_protection=args.protect,
            tags=tags,
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-targets",
            name=names["target_group"],
            port=args.port,
            protocol="TCP",
            target_type="instance",
            vpc_id=args.vpc_id,
            deregistration_delay=60,
            health_check={
                "enabled": True,
                "protocol": "HTTP",
                "port": str(args.port),
                "path": args.health_path,
                "matcher": "200",
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
                "interval": 30,
            },
            tags=tags,
            opts=child,
        )
        # A private name for the load balancer, known now (its own DNS name exists only after creation), resolvable
        # inside the fleet's VPC: the endpoint's base URL.
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=names["dns"],
            comment=f"crosscloud self-hosted endpoint {route.endpoint}",
            vpcs=[{"vpc_id": args.vpc_id, "vpc_region": ctx.region}],
            force_destroy=False,
            tags=tags,
            opts=child,
        )
        aws.route53.Record(
            f"{name}-record",
            zone_id=zone.zone_id,
            name=names["dns"],
            type="A",
            aliases=[{"name": balancer.dns_name, "zone_id": balancer.zone_id, "evaluate_target_health": True}],
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=balancer.arn,
            port=LISTENER_PORT,
            protocol="TCP",
            default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
            tags=tags,
            opts=child,
        )

        registry = (
            f"{ctx.account}.dkr.ecr.{ctx.region}.{'amazonaws.com.cn' if ctx.partition == 'aws-cn' else 'amazonaws.com'}"
        )
        host = aws_host(
            route,
            bucket=names["bucket"],
            region=ctx.region,
            registry=registry,
            repository=names["repository"],
            digest=args.image_digest,
            log_group=names["log_group"],
            port=args.port,
        )
        self.user_data = cloud_init(route, host)
        self.launch = FleetLaunch(
            image_id=args.host_image,
            user_data=base64.b64encode(self.user_data.encode()).decode(),
            instance_profile_arn=profile.arn,
            security_group_ids=[instance_group.id],
        )
        self.target_group_arn = target_group.arn
        self.base_url = f"http://{names['dns']}/v1"
        self.bucket_name = bucket
        self.repository_url = f"{registry}/{names['repository']}"
        self.log_group_name = names["log_group"]
        self.register_outputs(
            {
                "base_url": self.base_url,
                "bucket_name": self.bucket_name,
                "repository_url": self.repository_url,
                "log_group_name": self.log_group_name,
                "target_group_arn": self.target_group_arn,
            }
        )

    def _bucket(
        self,
        name: str,
        bucket_name: str,
        ctx: AwsContext,
        key: aws.kms.Key,
        tags: dict[str, str],
        stateful: pulumi.ResourceOptions,
    ) -> str:
        stored = private_bucket(f"{name}-weights", bucket_name, key, tags, parent=self, stateful=stateful)
        aws.s3.BucketPolicy(
            f"{name}-weights-policy",
            bucket=bucket_name,
            policy=json.dumps(weights_bucket_document(ctx.partition, bucket_name)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stored.bucket, stored.public_access]),
        )
        return bucket_name


class AwsServingFleetArgs(StatefulArgs):
    route: SelfHostedRoute
    launch_template_id: StrInput
    launch_template_version: IntInput
    reservation_id: StrInput
    subnet_id: StrInput  # the private subnet in the reservation's zone
    target_group_arn: StrInput
    # Instances need minutes to boot and tens of GB of weights before /health answers.
    health_check_grace_seconds: int = Field(default=3600, ge=300)


class AwsServingFleet(pulumi.ComponentResource):
    """Exactly `replicas` instances of one reservation, in its zone, behind the load balancer."""

    group_name: pulumi.Output[str]

    def __init__(self, name: str, args: AwsServingFleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crosscloud:aws:ServingFleet", name, None, opts)
        route = args.route
        tags = {**args.tags, "crosscloud-model": route.model, "crosscloud-gpu": route.pool}
        group = aws.autoscaling.Group(
            f"{name}-group",
            min_size=route.replicas,
            max_size=route.replicas,
            desired_capacity=route.replicas,
            vpc_zone_identifiers=[args.subnet_id],  # one subnet: the reservation's zone
            launch_template={"id": args.launch_template_id, "version": args.launch_template_version},
            capacity_reservation_specification={
                "capacity_reservation_preference": CAPACITY_ONLY,
                "capacity_reservation_target": {"capacity_reservation_ids": [args.reservation_id]},
            },
            target_group_arns=[args.target_group_arn],
            health_check_type="ELB",
            health_check_grace_period=args.health_check_grace_seconds,
            # The reservation holds exactly the fleet: no spare instance for a surge, so a refresh replaces in place.
            instance_refresh={"strategy": "Rolling", "preferences": {"min_healthy_percentage": 0}},
            wait_for_capacity_timeout="20m",
            tags=[{"key": k, "value": v, "propagate_at_launch": False} for k, v in sorted(tags.items())],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.group_name = group.name
        self.register_outputs({"group_name": self.group_name})
