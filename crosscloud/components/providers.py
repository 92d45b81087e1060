"""Explicit providers, one per cloud and region, so no resource silently follows ambient provider config."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native

from crosscloud.declaration.spec import AwsSettings, AzureSettings


def aws_provider(name: str, settings: AwsSettings, opts: pulumi.ResourceOptions | None = None) -> aws.Provider:
    extra = {"allowed_account_ids": [settings.account_id]} if settings.account_id else {}
    return aws.Provider(name, region=settings.region, opts=opts, **extra)  # type: ignore[arg-type]


def azure_provider(
    name: str, settings: AzureSettings, opts: pulumi.ResourceOptions | None = None
) -> azure_native.Provider:
    return azure_native.Provider(name, location=settings.location, subscription_id=settings.subscription_id, opts=opts)


def with_provider(provider: pulumi.ProviderResource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[provider])
