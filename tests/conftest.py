"""Shared fixtures: paths of the repository, the example specs and the committed sample."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def onboarding_spec():
    from guidelab.experiment import load_experiment

    return load_experiment(EXPERIMENTS / "onboarding-tour-vs-checklist.yaml")


@pytest.fixture(scope="session")
def banner_spec():
    from guidelab.experiment import load_experiment

    return load_experiment(EXPERIMENTS / "maintenance-banner-copy.yaml")


@pytest.fixture(scope="session")
def simulated_onboarding(tmp_path_factory, onboarding_spec):
    """A seeded simulation of the onboarding experiment (Parquet), shared by several tests."""
    from guidelab.simulate import simulate

    out = tmp_path_factory.mktemp("sim-onboarding")
    simulate(onboarding_spec, users=6000, days=21, out_dir=out, seed=11)
    return out
