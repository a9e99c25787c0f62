"""One typed settings model, read from the environment once (and overridable by CLI options)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from healthscore.errors import InvalidSettings

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
    memory_limit: str | None = Field(
        default=None,
        pattern=r"(?i)^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$",
        description="Memory the embedded store may use before it spills to disk, e.g. 4GB; "
        "default: DuckDB's own (80% of RAM).",
    )

    def __repr__(self) -> str:  # engine URLs may carry passwords
        return (
            f"Settings(db={str(self.db)!r}, engine={_mask(self.engine)!r}, "
            f"scorecard={self.scorecard!r}, memory_limit={self.memory_limit!r})"
        )


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
    for key in ("db", "engine", "scorecard", "memory_limit"):
        if (v := env.get(f"HEALTHSCORE_{key.upper()}")) is not None:
            values[key] = v
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "settings"
        why = (
            "is not a size; write it like 4GB, 512MB or 2GiB"
            if key == "memory_limit"
            else f"is not valid: {first['msg']}"
        )
        raise InvalidSettings(f"HEALTHSCORE_{key.upper()}={first.get('input')!r} {why}") from None
