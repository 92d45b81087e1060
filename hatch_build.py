"""Build hook: the policy packs (the repository's policies/ folder) ship inside the wheel as package data
(`crosscloud/policies/packs/`), for `crosscloud check` on a project without packs of its own. Only in a real wheel:
an editable install reads them from the checkout (crosscloud.policies.pack_root), and copying them into
site-packages would leave a stray `crosscloud` folder there beside the checkout's package."""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PacksAsPackageData(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"]["policies"] = "crosscloud/policies/packs"
