"""The channel file: where notifications go (SMTP, webhooks) and to whom.

It is YAML, named by the `notifications` setting (HEALTHSCORE_NOTIFICATIONS).  It is
validated as a whole: every problem is reported at once, each with its line, so one edit
fixes them all.  Secrets never sit in the settings or the environment: the SMTP password
and webhook signing secrets are given inline or, better, as ``*_file`` paths to files only
the service account can read (the Kubernetes / Docker secrets convention).
"""

from __future__ import annotations

import base64
import difflib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from healthscore.errors import HealthscoreError
from healthscore.yamlfile import load_with_lines

__all__ = [
    "Channels",
    "DeliveryPolicy",
    "DigestPolicy",
    "InvalidChannels",
    "Recipient",
    "SmtpChannel",
    "WebhookChannel",
    "load_channels",
    "parse_channels",
]

DEFAULT_RECIPIENT = "default"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class InvalidChannels(HealthscoreError):
    """The channel file is malformed; `problems` lists each with its line."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SmtpChannel(_Strict):
    """An SMTP relay.  `ssl` is implicit TLS (port 465); `starttls` upgrades a plain one."""

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    password_file: Path | None = None
    sender: str = Field(alias="from")
    timeout: float = Field(default=10.0, gt=0, le=300)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        address = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _EMAIL.match(address):
            raise ValueError(f"{value!r} is no e-mail address; write e.g. cs-bot@example.com")
        return value

    @model_validator(mode="after")
    def _one_password(self) -> SmtpChannel:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give `password` or `password_file`, not both")
        if self.ssl and self.starttls:
            raise ValueError("`ssl` (implicit TLS) and `starttls` exclude each other")
        return self

    def secret(self) -> str | None:
        """The password, read from `password_file` at send time (so a rotation needs no restart)."""
        if self.password_file is not None:
            return _read_secret(self.password_file, "smtp.password_file")
        return self.password


class WebhookChannel(_Strict):
    """An HTTP endpoint: `slack` posts a Slack incoming-webhook message; `json` posts the
    notification as JSON, signed per Standard Webhooks when it has a secret."""

    url: str
    kind: Literal["slack", "json"] = "json"
    secret: str | None = Field(default=None, repr=False)
    secret_file: Path | None = None
    timeout: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is no http(s) URL; write e.g. https://hooks.example.com/x")
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None:
            _check_secret(value)
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookChannel:
        if self.secret is not None and self.secret_file is not None:
            raise ValueError("give `secret` or `secret_file`, not both")
        return self

    def signing_secret(self) -> str | None:
        if self.secret_file is not None:
            value = _read_secret(self.secret_file, "webhook secret_file")
            _check_secret(value)
            return value
        return self.secret


class Recipient(_Strict):
    """Where one owner's notifications go: an e-mail address and/or webhooks by name."""

    email: str | None = None
    webhooks: list[str] = Field(default_factory=list)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is no e-mail address; write e.g. dana@example.com")
        return value


class DigestPolicy(_Strict):
    """Contact hygiene for digests: at most one per owner per `every_days` days."""

    every_days: int = Field(default=1, ge=1, le=31)
    renewal_days: int = Field(default=60, ge=0, le=366)
    send_when_empty: bool = False


class DeliveryPolicy(_Strict):
    """Retries: attempt n waits backoff_seconds x 2^(n-1), capped; give up after max_attempts."""

    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_seconds: float = Field(default=60.0, ge=0, le=86400)
    backoff_max_seconds: float = Field(default=6 * 3600.0, ge=0, le=7 * 86400)


class Immediate(_Strict):
    """Critical CTAs go at once to the owner's channels and to these webhooks."""

    enabled: bool = True
    webhooks: list[str] = Field(default_factory=list)


class Channels(_Strict):
    """The whole channel file."""

    smtp: SmtpChannel | None = None
    webhooks: dict[str, WebhookChannel] = Field(default_factory=dict)
    recipients: dict[str, Recipient] = Field(default_factory=dict)
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    immediate: Immediate = Field(default_factory=Immediate)
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    def recipient(self, owner: str | None) -> Recipient | None:
        """The owner's entry (exact, then ignoring case), else `default`, else an owner that
        is itself an e-mail address (when SMTP is set up), else None."""
        if owner:
            if owner in self.recipients:
                return self.recipients[owner]
            folded = {k.casefold(): v for k, v in self.recipients.items()}
            if owner.casefold() in folded:
                return folded[owner.casefold()]
        if DEFAULT_RECIPIENT in self.recipients:
            return self.recipients[DEFAULT_RECIPIENT]
        if owner and self.smtp is not None and _EMAIL.match(owner):
            return Recipient(email=owner)
        return None


def _check_secret(value: str) -> None:
    body = value.removeprefix("whsec_")
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raise ValueError(
            "a signing secret is `whsec_` + base64 of 24-64 random bytes; make one with "
            "`healthscore notify secret`"
        ) from None
    if not 24 <= len(raw) <= 64:
        raise ValueError(
            f"a signing secret needs 24-64 bytes once base64-decoded (got {len(raw)}); "
            "make one with `healthscore notify secret`"
        )


def _read_secret(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InvalidChannels(
            f"cannot read {what} {path}: {exc.strerror or exc}; make it readable by this user"
        ) from exc


# -- loading with lines ------------------------------------------------------------------


def load_channels(path: Path) -> Channels:
    """Read and validate the channel file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidChannels(
            f"cannot read the notification channel file {path}: {exc.strerror or exc}; "
            "point the notifications setting at a readable YAML file"
        ) from exc
    return parse_channels(text, str(path))


def parse_channels(text: str, file: str = "<channels>") -> Channels:
    """Parse channel YAML; every problem at once, as ``file line N, path: problem``."""
    data, lines = load_with_lines(text, file, InvalidChannels, hint="")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidChannels(f"{file} line 1: the channel file must be a mapping of sections")
    problems: list[tuple[int, str]] = []
    channels: Channels | None = None
    try:
        channels = Channels.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = tuple(e["loc"])
            problems.append(_problem(lines, loc, _explain(e, loc)))
    problems += _cross_problems(data, lines)
    if problems:
        problems.sort()
        shown = [f"line {n}, {msg}" if n else msg for n, msg in problems]
        if len(shown) == 1:
            raise InvalidChannels(f"{file} {shown[0]}", shown)
        raise InvalidChannels(
            f"{file}: {len(shown)} problems:\n" + "\n".join(f"  {p}" for p in shown), shown
        )
    assert channels is not None
    return channels


def _cross_problems(
    data: dict[str, Any], lines: dict[tuple[Any, ...], int]
) -> list[tuple[int, str]]:
    """References between sections, checked on the raw data so that they are reported
    together with the field problems (every problem at once)."""
    out: list[tuple[int, str]] = []
    hooks = data.get("webhooks")
    names = sorted(str(k) for k in hooks) if isinstance(hooks, dict) else []
    refs: list[tuple[tuple[Any, ...], Any]] = []
    immediate = data.get("immediate")
    if isinstance(immediate, dict) and isinstance(immediate.get("webhooks"), list):
        refs += [(("immediate", "webhooks", i), n) for i, n in enumerate(immediate["webhooks"])]
    recipients = data.get("recipients")
    for who, r in recipients.items() if isinstance(recipients, dict) else []:
        if not isinstance(r, dict):
            continue
        if isinstance(r.get("webhooks"), list):
            refs += [(("recipients", who, "webhooks", i), n) for i, n in enumerate(r["webhooks"])]
        if r.get("email") and data.get("smtp") is None:
            out.append(
                _problem(
                    lines,
                    ("recipients", who, "email"),
                    "an e-mail address needs an `smtp:` section to send through",
                )
            )
    for loc, name in refs:
        if isinstance(name, str) and name not in names:
            near = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            known = ", ".join(names) or "none defined under `webhooks:`"
            out.append(_problem(lines, loc, f"unknown webhook {name!r} (known: {known}){hint}"))
    return out


def _problem(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...], msg: str) -> tuple[int, str]:
    path = ".".join(str(p) for p in loc if not str(p).startswith("function-")) or "(top)"
    line = 0
    probe = loc
    while probe:
        if probe in lines:
            line = lines[probe]
            break
        probe = probe[:-1]
    return line, f"{path}: {msg}"


def _explain(err: Any, loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}"
    if kind == "missing":
        return "is required"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{msg} (got {err['input']!r})" if "got" not in msg and kind != "value_error" else msg
