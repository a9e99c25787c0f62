"""One typed settings model, read from the environment once (and overridable by CLI options)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Settings", "load_settings"]

DEFAULT_DB = "healthscore.duckdb"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    db: Path = Field(default=Path(DEFAULT_DB), description="Path of the embedded DuckDB store.")
    engine: str = Field(
        default="duckdb",
        description="Where metrics run: 'duckdb' (the store itself), 'postgres://…' or 'spark://…' / 'spark-local'.",
    )
    scorecard: Path | None = Field(
        default=None, description="Scorecard YAML in force; default = the shipped one."
    )

    def __repr__(self) -> str:  # engine URLs may carry passwords
        return f"Settings(db={str(self.db)!r}, engine={_mask(self.engine)!r}, scorecard={self.scorecard!r})"


def _mask(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def load_settings(env: Mapping[str, str], **overrides: object) -> Settings:
    """Settings from HEALTHSCORE_* variables, then explicit overrides (CLI options) on top."""
    values: dict[str, object] = {}
    for key in ("db", "engine", "scorecard"):
        if (v := env.get(f"HEALTHSCORE_{key.upper()}")) is not None:
            values[key] = v
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(values)
