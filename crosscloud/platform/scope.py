"""What the cloud halves of the platform share while they build: the parent component, which parts to build, the
stack outputs collected on the way, and the options every child gets."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pulumi


@dataclass(frozen=True)
class Parts:
    """The concerns to build. `CrossCloudPlatform` builds all of them; each single-concern component a few."""

    aws_network: bool = False
    bedrock: bool = False  # access (policies, profiles, guardrail, throughput) and invocation logging
    aws_gpu: bool = False
    aws_identity: bool = False  # workload and CI roles, federation
    aws_serving: bool = False  # self-hosted endpoints: needs the network and the GPU capacity
    azure_network: bool = False  # the VNet, or the bare resource group without one
    azure_monitoring: bool = False
    foundry: bool = False  # the Foundry account and deployments, the serverless hubs
    azure_gpu: bool = False
    azure_identity: bool = False
    azure_serving: bool = False

    @classmethod
    def everything(cls) -> Parts:
        return cls(**{f.name: True for f in fields(cls)})

    @property
    def aws(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if not f.name.startswith(("azure", "foundry")))

    @property
    def azure(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name.startswith(("azure", "foundry")))


@dataclass
class Scope:
    """`moved`: the children used to be the stack's own (the repository's program before the platform component
    existed), so each carries an alias to its old, parentless URN and existing stacks replace nothing. The engine
    derives their descendants' aliases from theirs."""

    parent: pulumi.Resource
    parts: Parts
    moved: bool = False
    # The stack outputs, in the order the program used to export them (`pulumi stack output` shows them so).
    exports: dict[str, Any] = field(default_factory=dict)

    def opts(self, provider: pulumi.ProviderResource | None = None, *, protect: bool = False) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self.parent,
            providers=[provider] if provider is not None else None,
            aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)] if self.moved else None,
            protect=protect or None,
        )
