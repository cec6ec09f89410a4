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


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright, shared by every browser test."""
    import os

    from browser_support import CHROMIUM, LAUNCH_ARGS

    if CHROMIUM is None:
        if os.environ.get("GUIDELAB_SKIP_BROWSER") == "1":
            pytest.skip("no Chromium and GUIDELAB_SKIP_BROWSER=1")
        pytest.fail("no Chromium found (chromium / chromium-browser): run scripts/ensure-browser "
                    "(installs Debian's chromium and fonts-noto-cjk), or set GUIDELAB_SKIP_BROWSER=1 to skip",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield b
    b.close()
    pw.stop()

