"""Where AWS resources of a stack live: partition, Region, account and the prefix of every physical name.

All plain strings known before any resource exists, so ARNs built from them are readable at preview time.
"""

from __future__ import annotations

from dataclasses import dataclass

# Interface endpoint service names are "<prefix>.<region>.<service>" (AWS PrivateLink guide, "AWS services that
# integrate with AWS PrivateLink", read 2026-11-23); China Regions use the cn.com.amazonaws prefix.
_SERVICE_PREFIX = {"aws": "com.amazonaws", "aws-us-gov": "com.amazonaws", "aws-cn": "cn.com.amazonaws"}
_DNS_SUFFIX = {"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}


@dataclass(frozen=True)
class AwsContext:
    partition: str
    region: str
    account: str
    # Prefix of physical names (IAM roles, policies, log groups, buckets): unique per account, e.g. crosscloud-prod.
    prefix: str

    def service_name(self, service: str) -> str:
        if self.partition not in _SERVICE_PREFIX:
            raise ValueError(f"partition {self.partition}: VPC endpoint service names are not known to crosscloud")
        return f"{_SERVICE_PREFIX[self.partition]}.{self.region}.{service}"

    def regional_dns(self, service: str) -> str:
        """The public regional DNS name; with private DNS on an interface endpoint it resolves inside the VPC."""
        return f"{service}.{self.region}.{_DNS_SUFFIX.get(self.partition, 'amazonaws.com')}"

    def log_group(self, purpose: str) -> str:
        return f"/crosscloud/{self.prefix}/{purpose}"
