"""The one loader for crosscloud's data files (regions, SKUs, inference-profile prefixes, models, GPUs).

Components, policies and the CLI all read the catalog through `load_catalog()`; nothing else opens these files.
The catalog imports nothing else from crosscloud.
"""

from __future__ import annotations

from crosscloud.catalog.loader import Catalog, CatalogError, load_catalog
from crosscloud.catalog.offerings import AwsOffering, AzureOffering, ResidencySet

__all__ = ["AwsOffering", "AzureOffering", "Catalog", "CatalogError", "ResidencySet", "load_catalog"]
