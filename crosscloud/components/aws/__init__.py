"""AWS components."""

from crosscloud.components.aws.bedrock import (
    BedrockAccess,
    BedrockAccessArgs,
    BedrockEndpoint,
    BedrockInvocationLogging,
    InvocationLoggingArgs,
)
from crosscloud.components.aws.context import AwsContext
from crosscloud.components.aws.gpu import GpuCapacity, GpuCapacityArgs
from crosscloud.components.aws.iam import AwsIdentity, AwsIdentityArgs, WorkloadAccess
from crosscloud.components.aws.network import AwsNetwork, AwsNetworkArgs

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
