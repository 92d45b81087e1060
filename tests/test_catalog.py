"""The catalog: residency sets, offering selection, and the loader's own consistency checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crosscloud.catalog import Catalog, CatalogError
from crosscloud.catalog.loader import DATA_DIR


def test_eu_set_excludes_london_zurich_norway_and_names_no_region_by_prefix(catalog: Catalog) -> None:
    eu = catalog.residency("eu")
    assert {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"} <= eu.aws
    assert "eu-west-2" not in eu.aws and "eu-central-2" not in eu.aws
    assert {"swedencentral", "italynorth", "westeurope"} <= eu.azure
    assert not {"norwayeast", "switzerlandnorth", "uksouth"} & eu.azure


def test_eea_adds_norway_and_europe_adds_uk_and_switzerland(catalog: Catalog) -> None:
    eea, europe = catalog.residency("eea"), catalog.residency("europe")
    assert "norwayeast" in eea.azure and "switzerlandnorth" not in eea.azure
    assert {"switzerlandnorth", "uksouth"} <= europe.azure
    assert {"eu-west-2", "eu-central-2"} <= europe.aws
    assert catalog.residency("us").aws == {"us-east-1", "us-east-2", "us-west-1", "us-west-2"}


def test_gpt_oss_is_in_region_on_bedrock_and_never_an_eu_profile(catalog: Catalog) -> None:
    offer = catalog.select_aws("gpt-oss-120b", "eu-central-1", catalog.residency("eu"))
    assert offer is not None and offer.kind == "in-region"
    assert offer.invoke_id == "openai.gpt-oss-120b-1:0"
    assert not any(o.invoke_id.startswith("eu.") for o in catalog.aws_offerings("gpt-oss-120b", "eu-central-1"))


def test_eu_profile_is_refused_under_eu_and_accepted_under_europe(catalog: Catalog) -> None:
    assert catalog.select_aws("claude-sonnet-4-5", "eu-central-1", catalog.residency("eu")) is None
    offer = catalog.select_aws("claude-sonnet-4-5", "eu-central-1", catalog.residency("europe"))
    assert offer is not None and offer.invoke_id == "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert offer.destinations is not None and "eu-west-2" in offer.destinations


def test_global_profile_is_never_resident(catalog: Catalog) -> None:
    offers = catalog.aws_offerings("amazon-nova-2-lite", "eu-central-1")
    glob = next(o for o in offers if o.prefix == "global")
    assert glob.destinations is None
    assert not any(glob.resident_in(catalog.residency(n)) for n in catalog.residency_names)


def test_azure_data_zone_spans_the_eu_data_boundary(catalog: Catalog) -> None:
    dz = next(o for o in catalog.azure_offerings("gpt-4.1", "swedencentral") if o.sku == "DataZoneStandard")
    assert dz.processing_regions is not None and {"norwayeast", "switzerlandnorth"} <= dz.processing_regions
    assert "uksouth" not in dz.processing_regions
    assert not dz.resident_in(catalog.residency("eu"))
    assert dz.resident_in(catalog.residency("europe"))
    assert catalog.select_azure("gpt-4.1", "swedencentral", catalog.residency("eu")).sku == "Standard"  # type: ignore[union-attr]
    assert catalog.select_azure("gpt-4.1", "swedencentral", catalog.residency("europe")).sku == "DataZoneStandard"  # type: ignore[union-attr]


def test_global_sku_is_never_resident(catalog: Catalog) -> None:
    assert catalog.select_azure("gpt-oss-120b", "swedencentral", catalog.residency("europe")) is None


def test_provisioned_selection_uses_ptu_skus(catalog: Catalog) -> None:
    offer = catalog.select_azure("gpt-4.1", "swedencentral", catalog.residency("eu"), provisioned=True)
    assert offer is not None and offer.sku == "ProvisionedManaged" and offer.provisioned


def test_every_table_names_its_source_and_date(catalog: Catalog) -> None:
    for table in (catalog.regions, catalog.azure_skus, catalog.bedrock_profiles):
        assert table.sources and all(s.source and s.date for s in table.sources)
    assert catalog.models_file.sources and catalog.gpus.sources


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_a_model_naming_an_unknown_region_is_a_catalog_error(data_copy: Path) -> None:
    models = data_copy / "models.yaml"
    models.write_text(models.read_text().replace("eu-central-1, eu-north-1", "eu-centrall-1, eu-north-1", 1))
    with pytest.raises(CatalogError, match="unknown aws region.*eu-centrall-1"):
        Catalog(data_copy)


def test_a_misspelt_field_is_a_catalog_error(data_copy: Path) -> None:
    skus = data_copy / "azure_skus.yaml"
    skus.write_text(skus.read_text().replace("{processing: global", "{procesing: global", 1))
    with pytest.raises(CatalogError, match="azure_skus.yaml"):
        Catalog(data_copy)


def test_an_unknown_sku_in_a_model_is_a_catalog_error(data_copy: Path) -> None:
    models = data_copy / "models.yaml"
    models.write_text(models.read_text().replace("GlobalStandard: any", "GlobalStandrd: any", 1))
    with pytest.raises(CatalogError, match="unknown SKU GlobalStandrd"):
        Catalog(data_copy)
