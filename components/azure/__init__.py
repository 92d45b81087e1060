"""Azure components."""

from components.azure.foundry import AzureFoundry, AzureFoundryArgs, FoundryDeployment
from components.azure.gpu import AzureGpuCapacity, AzureGpuCapacityArgs
from components.azure.identity import AzureIdentity, AzureIdentityArgs, FederatedCredential, Grant, IdentitySpec
from components.azure.monitoring import AzureMonitoring, AzureMonitoringArgs
from components.azure.network import AzureNetwork, AzureNetworkArgs
from components.azure.serverless import AzureServerless, AzureServerlessArgs, ServerlessModel

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
