"""crosscloud as components any Pulumi program uses: `CrossCloudPlatform` (both clouds from one declaration) and
the single-concern components, each taking the declaration (`DeclarationArgs`, the keys of `Pulumi.<stack>.yaml`).

    from crosscloud.platform import CrossCloudPlatform, declaration_args

    platform = CrossCloudPlatform("ai", declaration_args())   # the stack's crosscloud:* config
"""

from crosscloud.platform.args import DeclarationArgs
from crosscloud.platform.component import (
    COMPONENTS,
    AwsGpuCapacity,
    AwsIdentity,
    AwsNetwork,
    AzureFoundry,
    AzureGpuCapacity,
    AzureIdentity,
    AzureNetwork,
    BedrockAccess,
    CrossCloudPlatform,
)
from crosscloud.platform.inputs import DeclarationInputError, declaration_args

__all__ = [
    "COMPONENTS",
    "AwsGpuCapacity",
    "AwsIdentity",
    "AwsNetwork",
    "AzureFoundry",
    "AzureGpuCapacity",
    "AzureIdentity",
    "AzureNetwork",
    "BedrockAccess",
    "CrossCloudPlatform",
    "DeclarationArgs",
    "DeclarationInputError",
    "declaration_args",
]
