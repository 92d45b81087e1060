"""Azure components."""

from crosscloud.components.azure.foundry import AzureFoundry, AzureFoundryArgs, FoundryDeployment
from crosscloud.components.azure.gpu import AzureGpuCapacity, AzureGpuCapacityArgs
from crosscloud.components.azure.identity import (
    AzureIdentity,
    AzureIdentityArgs,
    FederatedCredential,
    Grant,
    IdentitySpec,
)
from crosscloud.components.azure.monitoring import AzureMonitoring, AzureMonitoringArgs
from crosscloud.components.azure.network import AzureNetwork, AzureNetworkArgs
from crosscloud.components.azure.serverless import AzureServerless, AzureServerlessArgs, ServerlessModel

__all__ = [
    "AzureFoundry",
    "AzureFoundryArgs",
    "AzureGpuCapacity",
    "AzureGpuCapacityArgs",
    "AzureIdentity",
    "AzureIdentityArgs",
    "AzureMonitoring",
    "AzureMonitoringArgs",
    "AzureNetwork",
    "AzureNetworkArgs",
    "AzureServerless",
    "AzureServerlessArgs",
    "FederatedCredential",
    "FoundryDeployment",
    "Grant",
    "IdentitySpec",
    "ServerlessModel",
]
