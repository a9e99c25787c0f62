"""E-mail over SMTP (smtplib), with a timeout so a dead relay cannot stall the daily job."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from healthscore.notify.config import SmtpChannel

__all__ = ["SendResult", "send_email"]


class SendResult:
    """One attempt's outcome: ok, the status code (SMTP reply or HTTP status), the error."""

    __slots__ = ("error", "ok", "status_code")

    def __init__(self, ok: bool, status_code: int | None = None, error: str | None = None):
        self.ok = ok
        self.status_code = status_code
        self.error = error

    def __repr__(self) -> str:
        return f"SendResult(ok={self.ok}, status_code={self.status_code}, error={self.error!r})"


def send_email(cfg: SmtpChannel, message: EmailMessage) -> SendResult:
    """Send `message` through the relay; never raises for a network or SMTP failure."""
    try:
        client: smtplib.SMTP
        if cfg.ssl:
            client = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        with client:
            if cfg.starttls:
                client.starttls(context=ssl.create_default_context())
            if cfg.username:
                client.login(cfg.username, cfg.secret() or "")
            refused = client.send_message(message)
        if refused:
            who = ", ".join(f"{k} ({v[0]})" for k, v in refused.items())
            return SendResult(False, None, f"recipients refused: {who}")
        return SendResult(True, 250)
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return SendResult(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {text}")
    except smtplib.SMTPRecipientsRefused as exc:
        return SendResult(False, None, f"recipients refused: {', '.join(exc.recipients)}")
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult(False, None, f"{type(exc).__name__}: {exc}")
