"""AWS components."""

from components.aws.network import AwsNetwork, AwsNetworkArgs

__all__ = ["AwsNetwork", "AwsNetworkArgs"]
