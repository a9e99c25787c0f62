"""The settings loader: the one place that reads the environment.

`load_settings(env)` reads the ``HEALTHSCORE_*`` variables of `env` (the process environment
when None; tests pass a dict), puts explicit overrides (CLI options) on top and validates
everything at once, so a bad value stops the program at start-up with one line that names
the variable and the fix.  An unknown ``HEALTHSCORE_*`` variable is an error too, with the
closest known name: a typo in ``HEALTHSCORE_ENGNE`` would otherwise silently score on the
wrong engine.

Engine URLs may carry a password; they are held as `SecretUrl`, whose ``str()`` and
``repr()`` mask it, and error messages show the masked form only.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from healthscore.errors import InvalidSettings

__all__ = [
    "DEFAULT_DB",
    "ENV_PREFIX",
    "TEST_ONLY_VARIABLES",
    "BadSetting",
    "SecretUrl",
    "Settings",
    "check_engine_url",
    "load_settings",
    "terminal_columns",
]

DEFAULT_DB = "healthscore.duckdb"
ENV_PREFIX = "HEALTHSCORE_"

# Read by the test suite, never by the package: allowed so that loading the settings in a
# test run (where they are set) does not fail.  Nothing else under the prefix is ignored.
TEST_ONLY_VARIABLES = frozenset({"HEALTHSCORE_TEST_POSTGRES", "HEALTHSCORE_UPDATE_SQL"})

_ENGINES = "'duckdb', 'postgresql://user@host:port/db', 'spark-local' or 'spark://host:port'"


class BadSetting(InvalidSettings):
    """One setting rejected: `name` is the field, `from_env` whether a variable held it.

    Adapters use these to say where the value came from (the CLI names its option when the
    value was an option, not a variable)."""

    def __init__(self, message: str, name: str, from_env: bool):
        super().__init__(message)
        self.name = name
        self.from_env = from_env


class SecretUrl(SecretStr):
    """A URL whose password is masked in ``str()`` and ``repr()``; the rest stays readable.

    ``get_secret_value()`` returns the full URL, for the one place that connects with it.
    """

    def _display(self) -> str:
        return mask_url(self.get_secret_value())

    def __repr__(self) -> str:
        return f"SecretUrl({self._display()!r})"


def mask_url(url: str) -> str:
    """``scheme://user:***@host/db`` for a URL with a password; other text unchanged."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"


def check_engine_url(url: str) -> str:
    """`url` if it names an engine healthscore can connect to and is well formed.

    Raises ValueError (with the masked URL) otherwise; nothing is connected here.
    """
    shown = mask_url(url)
    if url in ("duckdb", "spark-local"):
        return url
    if "://" not in url:
        raise ValueError(f"{shown!r} is not an engine; use {_ENGINES}")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("postgres", "postgresql", "spark"):
        raise ValueError(f"{shown!r}: unknown engine {scheme!r}; use {_ENGINES}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown!r} has a port that is not a number; use {_ENGINES}") from None
    if not parts.hostname:
        raise ValueError(f"{shown!r} names no host; use {_ENGINES}")
    if scheme == "spark" and port is None:
        raise ValueError(f"{shown!r} names no port; a Spark master is spark://host:port")
    return url


class Settings(BaseSettings):
    """What healthscore runs with; every field is a ``HEALTHSCORE_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    db: Path = Field(default=Path(DEFAULT_DB), description="Path of the embedded DuckDB store.")
    engine: SecretUrl = Field(
        default=SecretUrl("duckdb"),
        description="Where metrics run: 'duckdb' (the store itself), 'postgresql://…', "
        "'spark://host:port' or 'spark-local'. A password in it is masked wherever it is shown.",
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
    rules: Path | None = Field(
        default=None,
        description="Rules YAML for calls-to-action; default = the shipped built-in rules.",
    )
    notifications: Path | None = Field(
        default=None,
        description="Notification channels YAML (SMTP, webhooks); default = none configured.",
    )
    intent_decay_days: int = Field(
        default=90,
        ge=1,
        description="Days a cancellation or competitor intent read in a customer's text stays "
        "raised unless repeated.",
    )
    competitors: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Competitor product names (comma-separated) that text analysis flags, on "
        "top of its built-in list.",
    )
    lock_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds to wait for the store when another process (an import, the web "
        "server) holds it, before giving up with the holder's PID; 0 fails at once.",
    )

    @field_validator("competitors", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_url(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            return SecretUrl(check_engine_url(raw.strip()))
        return value

    @property
    def engine_url(self) -> str | None:
        """The engine URL to connect with (None: metrics run on the store itself)."""
        url = self.engine.get_secret_value()
        return None if url == "duckdb" else url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what `load_settings` passes in: the environment arrives as a parameter, so a
        # test's dict is the whole truth and os.environ never leaks into it.
        return (init_settings,)


class _GivenEnv(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]):
        self._given = dict(env)
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._given, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def _variable(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def _check_names(env: Mapping[str, str]) -> None:
    known = {_variable(n) for n in Settings.model_fields}
    for key in sorted(env):
        if not key.upper().startswith(ENV_PREFIX) or key.upper() in known | TEST_ONLY_VARIABLES:
            continue
        # Compare what follows the prefix: every name shares it, which would make any
        # typo look close to every setting.
        names = sorted(n.upper() for n in Settings.model_fields)
        close = difflib.get_close_matches(key.upper().removeprefix(ENV_PREFIX), names, n=1)
        hint = (
            f"did you mean {_variable(close[0])}?"
            if close
            else f"the settings are {', '.join(sorted(known))}"
        )
        raise BadSetting(f"unknown setting {key}; {hint}", key, True)


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the HEALTHSCORE_* variables of `env`, then explicit overrides on top.

    `env` defaults to the process environment (this is the only module that reads it).
    Overrides that are None are ignored, so CLI options can be passed through as they come.
    Raises `BadSetting` (an `InvalidSettings`) naming the variable, or the setting for an
    override, with the value (passwords masked) and what is allowed.
    """
    env = os.environ if env is None else env
    _check_names(env)
    from_env = _GivenEnv(Settings, env)()
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**{**from_env, **given})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "settings"
        source_is_env = key not in given
        where = _variable(key) if source_is_env else key
        value = first.get("input")
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        shown = mask_url(value) if isinstance(value, str) else value
        if key == "memory_limit":
            why = f"={shown!r} is not a size; write it like 4GB, 512MB or 2GiB"
        elif key == "engine" and first["type"] == "value_error":
            why = f": {str(first['msg']).removeprefix('Value error, ')}"
        elif first["type"] == "extra_forbidden":
            raise BadSetting(f"unknown setting {key!r}", key, False) from None
        else:
            why = f"={shown!r} is not valid: {first['msg']}"
        raise BadSetting(f"{where}{why}", key, source_is_env) from None


def terminal_columns(env: Mapping[str, str] | None = None) -> str | None:
    """$COLUMNS, the terminal width a user or pager asked for (a terminal concern, not a
    HEALTHSCORE_* setting: Rich reads it too).  Read here so the environment has one reader."""
    env = os.environ if env is None else env
    return env.get("COLUMNS") or None
