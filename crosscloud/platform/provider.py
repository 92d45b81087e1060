"""The component provider: crosscloud's components for every Pulumi language (`crosscloud:index:<Class>`).

`PulumiPlugin.yaml` at the repository root makes the repository a source-based plugin: `pulumi package add
<repo>@<tag>` clones it, installs it with uv and runs `__main__.py`, which calls `main()`. The schema is inferred by
the Pulumi SDK from the components' annotations; the plugin's version is the installed package's (pyproject.toml),
so a release tag `v<version>` names exactly the schema consumers generate their SDK from.
"""

from __future__ import annotations

from importlib import metadata

from pulumi.provider.experimental import component_provider_host

from crosscloud.platform.component import COMPONENTS, PACKAGE


def version() -> str:
    """The plugin (and schema) version: the installed crosscloud distribution's."""
    return metadata.version(PACKAGE)


def main() -> None:
    component_provider_host(list(COMPONENTS), name=PACKAGE, version=version())
