"""Interfaces every crosscloud component exposes the same way on both clouds (in the spirit of Azure Verified
Modules' standard interfaces). Tags come first; role assignments, diagnostics, private endpoints and customer-managed
keys join this module as the components that need them arrive."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

MANAGED_BY = "crosscloud"


class StandardArgs(BaseModel):
    """Arguments shared by every component: the tags to stamp on every taggable child."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    tags: dict[str, str] = {}


def stack_tags(user_tags: Mapping[str, str], *, project: str, stack: str, environment: str) -> dict[str, str]:
    """The declaration's tags plus the ones crosscloud always sets, so every resource traces back to its stack."""
    return {
        **user_tags,
        "managed-by": MANAGED_BY,
        "crosscloud-project": project,
        "crosscloud-stack": stack,
        "environment": environment,
    }


class StatefulArgs(StandardArgs):
    """Arguments of a component that holds state (keys, logs, reservations): `protect` guards it against deletion
    (set in prod from the declaration's environment)."""

    protect: bool = False
