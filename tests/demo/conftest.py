"""Shared generated portfolios: generating once per session keeps the demo tests fast."""

from __future__ import annotations

import pandas as pd
import pytest

from healthscore.demo import generate


@pytest.fixture(scope="session")
def portfolio() -> dict[str, pd.DataFrame]:
    """A mid-sized portfolio: large enough for rates to be stable, small enough to be quick."""
    return generate(seed=11, n_accounts=200, months=18)


@pytest.fixture(scope="session")
def small() -> dict[str, pd.DataFrame]:
    return generate(seed=5, n_accounts=60, months=12)
