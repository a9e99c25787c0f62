"""The real local receivers (SMTP, HTTP) as fixtures for the notify tests."""

from .receivers import mailbox, receiver, refused_url

__all__ = ["mailbox", "receiver", "refused_url"]
