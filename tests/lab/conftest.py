"""Fixtures for the lab tests: the sample files shipped in ``lab/samples``."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "lab" / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """``lab/samples``."""
    return SAMPLES
