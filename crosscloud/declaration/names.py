"""Project, stack and generated names, checked against Pulumi's and the clouds' rules before anything is built.

A stack name becomes part of every URN and of generated cloud names: `a::b c` corrupts URNs, `../../x` walks out of
the project folder when it names a stack file, and `rg-<project>-<stack>` can exceed Azure's 90 characters.
"""

from __future__ import annotations

import re

from crosscloud.declaration.errors import ConfigIssue
from crosscloud.declaration.spec import PlatformSpec

# Pulumi: "stack names may only contain alphanumeric, hyphens, underscores, or periods", at most 100 characters;
# project names likewise (the engine rejects others at `pulumi stack init` / `pulumi new`).
PULUMI_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# Azure resource group: 1-90 characters of letters, digits, '-', '_', '.', '(' and ')', not ending with a period.
AZURE_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")


def stack_name_problem(stack: str) -> str | None:
    if PULUMI_NAME.fullmatch(stack) and stack not in (".", ".."):
        return None
    return "is not a valid stack name (letters, digits, '-', '_' and '.', at most 100 characters)"


def default_resource_group(project: str, stack: str) -> str:
    return f"rg-{project}-{stack}"


def check_names(project: str, stack: str, spec: PlatformSpec, file: str) -> list[ConfigIssue]:
    """Every name this stack would generate, against the rule that applies to it."""
    issues = []
    if not PULUMI_NAME.fullmatch(project):
        issues.append(
            ConfigIssue.given(
                file, "Pulumi.yaml name", project, "is not a valid project name", "letters, digits, -, _, ."
            )
        )
    problem = stack_name_problem(stack)
    if problem:
        issues.append(ConfigIssue.given(file, "stack", stack, problem))
    if spec.azure is not None and spec.azure.resource_group is None and not problem:
        group = default_resource_group(project, stack)
        if not AZURE_RESOURCE_GROUP.fullmatch(group):
            issues.append(
                ConfigIssue.given(
                    file,
                    "crosscloud:azure.resource_group",
                    group,
                    "(the default rg-<project>-<stack>) is not a valid Azure resource group name",
                    "set crosscloud:azure.resource_group: at most 90 letters, digits, - _ . ( ), not ending in '.'",
                )
            )
    return issues
