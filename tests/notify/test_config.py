"""The channel file: every problem at once, with its line; secrets from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.notify import InvalidChannels, load_channels, new_secret, parse_channels

BAD = """\
smtp:
  host: localhost
  port: 99999
  from: nope
webhooks:
  alerts:
    url: ftp://x
    kind: teams
  crm:
    url: https://crm.example.com/hook
    secret: not-a-secret
recipients:
  default:
    emial: x@example.com
    webhooks: [alert]
digest:
  every_days: 0
"""


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(InvalidChannels) as exc:
        parse_channels(BAD, "channels.yaml")
    problems = exc.value.problems
    assert str(exc.value).startswith("channels.yaml: 8 problems:")
    expected = [
        ("line 3, smtp.port", "65535"),
        ("line 4, smtp.from", "no e-mail address"),
        ("line 7, webhooks.alerts.url", "no http(s) URL"),
        ("line 8, webhooks.alerts.kind", "'slack' or 'json'"),
        ("line 11, webhooks.crm.secret", "whsec_"),
        ("line 14, recipients.default.emial", "unknown key"),
        (
            "line 15, recipients.default.webhooks.0",
            "unknown webhook 'alert' (known: alerts, crm); did you mean 'alerts'?",
        ),
        ("line 17, digest.every_days", "greater than or equal to 1"),
    ]
    assert len(problems) == len(expected)
    for got, (where, what) in zip(problems, expected, strict=True):
        assert got.startswith(where) and what in got, got


def test_unknown_webhook_names_and_mail_without_smtp_are_reported() -> None:
    text = (
        "webhooks:\n  slack-cs: {url: 'https://hooks.example.com/a', kind: slack}\n"
        "recipients:\n  Dana Lee:\n    email: dana@example.com\n    webhooks: [slack_cs]\n"
    )
    with pytest.raises(InvalidChannels) as exc:
        parse_channels(text, "c.yaml")
    assert exc.value.problems == [
        "line 5, recipients.Dana Lee.email: an e-mail address needs an `smtp:` section to send through",
        "line 6, recipients.Dana Lee.webhooks.0: unknown webhook 'slack_cs' (known: slack-cs); "
        "did you mean 'slack-cs'?",
    ]


def test_not_yaml_and_a_missing_file_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidChannels, match=r"c.yaml line 2: not valid YAML"):
        parse_channels("smtp:\n  host: a: b\n", "c.yaml")
    with pytest.raises(InvalidChannels, match="cannot read the notification channel file"):
        load_channels(tmp_path / "missing.yaml")


def test_secrets_come_from_files_and_are_not_shown(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    secret = new_secret()
    (tmp_path / "hook").write_text(secret)
    ch = parse_channels(
        f"smtp: {{host: h, from: a@example.com, username: u, password_file: {tmp_path / 'pw'}}}\n"
        f"webhooks: {{crm: {{url: 'https://x.example.com/h', secret_file: {tmp_path / 'hook'}}}}}\n"
    )
    assert ch.smtp is not None and ch.smtp.secret() == "s3cret"
    assert ch.webhooks["crm"].signing_secret() == secret
    inline = parse_channels(
        f"webhooks: {{crm: {{url: 'https://x.example.com/h', secret: '{secret}'}}}}\n"
    )
    assert secret not in repr(inline) and "s3cret" not in repr(ch)


def test_recipients_fall_back_to_default_then_to_an_owner_that_is_an_address() -> None:
    ch = parse_channels(
        "smtp: {host: h, from: a@example.com}\nrecipients:\n  Dana Lee: {email: dana@example.com}\n"
    )
    assert ch.recipient("dana lee").email == "dana@example.com"  # type: ignore[union-attr]
    assert ch.recipient("sam@example.com").email == "sam@example.com"  # type: ignore[union-attr]
    assert ch.recipient("Sam") is None
    with_default = parse_channels(
        "smtp: {host: h, from: a@example.com}\nrecipients: {default: {email: cs@example.com}}\n"
    )
    assert with_default.recipient("Sam").email == "cs@example.com"  # type: ignore[union-attr]
