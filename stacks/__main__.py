"""The crosscloud program: one declaration (Pulumi.<stack>.yaml) -> components on AWS and Azure.

Runs unchanged under `pulumi up` and under crosscloud's offline engine (`crosscloud preview`). Each cloud's half lives
in its own module (`aws_platform.py`, `azure_platform.py`); this file reads the declaration and assembles the stack
outputs that applications use.
"""

from __future__ import annotations

import aws_platform
import azure_platform
import pulumi

from components.declaration import load_from_pulumi
from components.standard import stack_tags

declaration = load_from_pulumi()
spec = declaration.spec
tags = stack_tags(spec.tags, project=pulumi.get_project(), stack=pulumi.get_stack(), environment=spec.environment)

aws_endpoints = aws_platform.build(declaration, tags)
azure_endpoints = azure_platform.build(declaration, tags)

# What each logical endpoint resolves to on each cloud under the stack's residency: the contract applications use.
pulumi.export("residency", declaration.residency.name)
pulumi.export(
    "endpoints",
    {
        e.name: {"primary": e.primary, "aws": aws_endpoints.get(e.name), "azure": azure_endpoints.get(e.name)}
        for e in declaration.endpoints
    },
)
