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


def test_eu_profile_routes_by_the_callers_region(catalog: Catalog) -> None:
    eu, europe = catalog.residency("eu"), catalog.residency("europe")
    offer = catalog.select_aws("claude-sonnet-4-5", "eu-central-1", eu)
    assert offer is not None and offer.invoke_id == "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert offer.destinations == {"eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"}
    from_london = catalog.profile_destinations("claude-sonnet-4-5", "eu", "eu-west-2")
    from_zurich = catalog.profile_destinations("claude-sonnet-4-5", "eu", "eu-central-2")
    assert from_london is not None and "eu-west-2" in from_london and "eu-central-2" not in from_london
    assert from_zurich is not None and "eu-central-2" in from_zurich and "eu-west-2" not in from_zurich
    zurich = catalog.select_aws("claude-sonnet-4-5", "eu-central-2", europe)
    assert zurich is not None and not zurich.resident_in(eu), "Zurich's own route leaves the EU"


def test_a_profile_is_accepted_from_one_source_and_refused_from_another(catalog: Catalog) -> None:
    europe = catalog.residency("europe")
    frankfurt = next(o for o in catalog.aws_offerings("amazon-nova-pro", "eu-central-1") if o.prefix == "eu")
    tel_aviv = next(o for o in catalog.aws_offerings("amazon-nova-pro", "il-central-1") if o.prefix == "eu")
    assert frankfurt.resident_in(europe) and frankfurt.destinations == {
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-3",
    }
    assert not tel_aviv.resident_in(europe) and tel_aviv.outside(europe) == {"il-central-1"}


def test_a_source_missing_from_the_card_cannot_call_the_profile(catalog: Catalog) -> None:
    # Nova 2 Lite's eu. table has no London row: from eu-west-2 only the global profile remains.
    prefixes = {o.prefix for o in catalog.aws_offerings("amazon-nova-2-lite", "eu-west-2")}
    assert prefixes == {"global"}
    assert catalog.profile_sources("amazon-nova-2-lite", "eu") == {
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-3",
    }


def test_invoke_ids_split_only_on_catalog_prefixes(catalog: Catalog) -> None:
    assert catalog.split_invoke_id("eu.amazon.nova-pro-v1:0") == ("eu", "amazon.nova-pro-v1:0")
    assert catalog.split_invoke_id("amazon.titan-embed-text-v2:0") == (None, "amazon.titan-embed-text-v2:0")
    assert catalog.split_invoke_id("us-gov.anthropic.x") == ("us-gov", "anthropic.x")
    assert catalog.bedrock_model_key("anthropic.claude-haiku-4-5-20251001-v1:0") == "claude-haiku-4-5"
    assert catalog.bedrock_model_key("anthropic.unknown") is None


def test_new_zealand_is_a_region_of_the_au_tables(catalog: Catalog) -> None:
    assert catalog.regions.aws_regions["ap-southeast-6"].country == "NZ"
    assert catalog.profile_destinations("claude-haiku-4-5", "au", "ap-southeast-6") == {
        "ap-southeast-2",
        "ap-southeast-4",
        "ap-southeast-6",
    }


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
    europe = catalog.residency("europe")
    assert catalog.select_azure("llama-3-3-70b", "swedencentral", europe, route="deployment") is None


def test_unlisted_sku_offers_no_region(catalog: Catalog) -> None:
    assert catalog.models["gpt-oss-120b"].azure.skus == {"GlobalStandard": []}  # type: ignore[union-attr]
    assert not any(catalog.azure_offerings("gpt-oss-120b", region) for region in catalog.regions_of("azure"))


def test_serverless_route_is_resident_in_its_hub_region(catalog: Catalog) -> None:
    eu = catalog.residency("eu")
    offer = catalog.select_azure("cohere-embed-multilingual-v3", "swedencentral", eu)
    assert offer is not None and offer.route == "serverless" and offer.sku is None
    assert offer.processing_regions == {"swedencentral", "swedensouth"} and offer.resident_in(eu)
    assert catalog.select_azure("cohere-embed-multilingual-v3", "westeurope", eu) is None


def test_unverified_rows_are_not_offered_when_verified_only(catalog: Catalog) -> None:
    europe = catalog.residency("europe")
    # Mistral Large 3's format string is community-sourced: resident under "europe", but not in prod.
    offer = catalog.select_azure("mistral-large-3", "swedencentral", europe)
    assert offer is not None and offer.sku == "DataZoneStandard" and not offer.verified
    assert catalog.select_azure("mistral-large-3", "swedencentral", europe, verified_only=True) is None


def test_provisioned_selection_uses_ptu_skus(catalog: Catalog) -> None:
    offer = catalog.select_azure("gpt-4.1", "swedencentral", catalog.residency("eu"), provisioned=True)
    assert offer is not None and offer.sku == "ProvisionedManaged" and offer.provisioned


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
    models.write_text(models.read_text().replace("GlobalStandard: [", "GlobalStandrd: [", 1))
    with pytest.raises(CatalogError, match="unknown SKU GlobalStandrd"):
        Catalog(data_copy)


def test_any_is_refused_as_an_azure_region_list(data_copy: Path) -> None:
    models = data_copy / "models.yaml"
    text = models.read_text()
    start = text.index("GlobalStandard: [", text.index("  gpt-4.1:"))
    models.write_text(text[:start] + "GlobalStandard: any" + text[text.index("\n", start) :])
    with pytest.raises(CatalogError, match="gpt-4.1.azure.skus.GlobalStandard"):
        Catalog(data_copy)


def test_a_route_table_naming_an_unknown_region_or_source_is_a_catalog_error(data_copy: Path) -> None:
    models = data_copy / "models.yaml"
    text = models.read_text()
    models.write_text(text.replace("ap-southeast-6: [ap-southeast-2", "ap-southeast-9: [ap-southeast-2", 1))
    with pytest.raises(CatalogError, match="unknown aws region.*ap-southeast-9"):
        Catalog(data_copy)
    models.write_text(text.replace("source: A3", "source: A99", 1))
    with pytest.raises(CatalogError, match="unknown source key A99"):
        Catalog(data_copy)
