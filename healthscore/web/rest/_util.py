"""Small helpers the REST routers share: JSON-safe values, the App of a request."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from fastapi import Request

from healthscore.app import App
from healthscore.store import Store
from healthscore.web.store_access import request_app

__all__ = ["app_for", "clean"]


def clean(value: Any) -> Any:
    """`value` with NaN/inf as None, numpy scalars as Python, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | bool) and _is_na(value):
        return None
    return value


def _is_na(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def app_for(request: Request, store: Store) -> App:
    """The server's App around this request's store."""
    return request_app(request.app.state.hs, store)
