"""Azure components."""

from components.azure.network import AzureNetwork, AzureNetworkArgs

__all__ = ["AzureNetwork", "AzureNetworkArgs"]
