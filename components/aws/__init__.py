"""AWS components."""

from components.aws.bedrock import (
    BedrockAccess,
    BedrockAccessArgs,
    BedrockEndpoint,
    BedrockInvocationLogging,
    InvocationLoggingArgs,
)
from components.aws.context import AwsContext
from components.aws.gpu import GpuCapacity, GpuCapacityArgs
from components.aws.iam import AwsIdentity, AwsIdentityArgs, WorkloadAccess
from components.aws.network import AwsNetwork, AwsNetworkArgs

__all__ = [
    "AwsContext",
    "AwsIdentity",
    "AwsIdentityArgs",
    "AwsNetwork",
    "AwsNetworkArgs",
    "BedrockAccess",
    "BedrockAccessArgs",
    "BedrockEndpoint",
    "BedrockInvocationLogging",
    "GpuCapacity",
    "GpuCapacityArgs",
    "InvocationLoggingArgs",
    "WorkloadAccess",
]
