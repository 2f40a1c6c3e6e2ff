"""Fixtures for the verl plug-in tests."""

from __future__ import annotations

import pytest

from tests.rl.helpers import REPO, registered_mix, run_data_gen_rl, write_mix


@pytest.fixture(scope="session")
def mix_pair(tmp_path_factory) -> tuple[str, str]:
    """(train mix file, val mix file) over the registered families."""
    d = tmp_path_factory.mktemp("mixes")
    train = write_mix(d / "all-train.yaml", name="all-train", **registered_mix("train", 100_000, seed=3))
    val = write_mix(d / "all-val.yaml", name="all-val", **registered_mix("val", 48, seed=3))
    return train, val


@pytest.fixture(scope="session")
def data_gen_parquet(tmp_path_factory) -> tuple[str, str]:
    """(train.parquet, val.parquet) from `python -m data_gen rl` over every registered family."""
    return run_data_gen_rl(tmp_path_factory.mktemp("data_gen"))


@pytest.fixture
def in_repo(monkeypatch):
    """Run from the repository root, as the launcher does, so the relative plug-in paths resolve."""
    monkeypatch.chdir(REPO)
    return REPO
