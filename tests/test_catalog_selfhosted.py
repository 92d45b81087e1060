"""The catalog's open-weight entries and GPU memory: what fits where, and data that contradicts itself is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from crosscloud.catalog import Catalog, CatalogError
from crosscloud.catalog.loader import DATA_DIR


def test_fit_needs_enough_nvidia_gpus_with_enough_memory(catalog: Catalog) -> None:
    assert catalog.fit_problem("gpt-oss-120b", "aws", "p5.48xlarge") is None  # 8 x H100 80GB, one needed
    assert catalog.fit_problem("gpt-oss-120b", "azure", "Standard_NC24ads_A100_v4") is None  # 1 x A100 80GB
    assert "8 x NVIDIA A100 40GB" in (catalog.fit_problem("gpt-oss-120b", "aws", "p4d.24xlarge") or "")
    assert "1 x NVIDIA A100 80GB" in (catalog.fit_problem("llama-3-3-70b", "azure", "Standard_NC24ads_A100_v4") or "")
    assert "CUDA" in (catalog.fit_problem("gpt-oss-120b", "aws", "trn1.32xlarge") or "")
    assert "no fit is proven" in (catalog.fit_problem("gpt-oss-120b", "aws", "p6-b200.48xlarge") or "")
    assert "no open weights" in (catalog.fit_problem("gpt-5.1", "azure", "Standard_NC24ads_A100_v4") or "")


def test_selfhosted_offerings_are_reservable_fitting_types_inside_the_residency(catalog: Catalog) -> None:
    eu = catalog.residency("eu")
    aws = catalog.selfhosted_offerings("gpt-oss-120b", "aws", eu)
    assert aws == {"p5.48xlarge": (["eu-north-1"], True), "p5e.48xlarge": (["eu-north-1", "eu-south-2"], True)}
    assert "eu-west-2" not in aws["p5.48xlarge"][0], "London is outside eu"
    azure = catalog.selfhosted_offerings("gpt-oss-120b", "azure", eu)
    assert set(azure) == {"Standard_NC24ads_A100_v4", "Standard_NC96ads_A100_v4"}
    assert not any(verified for _, verified in azure.values()), "NC A100 v4 regions are unverified"
    assert catalog.selfhosted_offerings("gpt-oss-120b", "azure", eu, verified_only=True) == {}
    assert "Standard_ND96isr_H100_v5" not in azure, "ND takes no targeted reservation anywhere"


def test_open_weights_pin_a_revision_and_the_image_a_digest(catalog: Catalog) -> None:
    weights = catalog.models["gpt-oss-120b"].open_weights
    assert weights is not None and len(weights.revision) == 40 and weights.licence == "Apache-2.0"
    assert catalog.serving.image.reference.startswith("vllm/vllm-openai:v0.11.0@sha256:")
    assert catalog.serving.image.verified is False, "Docker Hub was not read: prod pins its own mirror's digest"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_gpu_memory_that_contradicts_the_gpu_model_is_refused(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    gpus = yaml.safe_load((data / "gpus.yaml").read_text())
    gpus["aws"]["p5.48xlarge"]["gpu_memory_gb"] = 96
    (data / "gpus.yaml").write_text(yaml.safe_dump(gpus))
    with pytest.raises(CatalogError, match=r"p5\.48xlarge\.gpu_memory_gb: 96 contradicts gpu_model"):
        Catalog(data)


def test_an_unpinned_revision_is_refused(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    models = yaml.safe_load((data / "models.yaml").read_text())
    models["models"]["gpt-oss-120b"]["open_weights"]["revision"] = "main"
    (data / "models.yaml").write_text(yaml.safe_dump(models))
    with pytest.raises(CatalogError, match="open_weights.revision"):
        Catalog(data)
