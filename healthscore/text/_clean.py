"""Turning whatever a text column holds into text worth reading, or a reason it is not.

Texts arrive from survey tools, help desks and CRMs: HTML e-mails with quoted replies,
pasted logs, a 2 MB attachment dumped into a body, or nothing at all.  Cleaning never
raises; it returns the cleaned text and notes on what it did, or the reason the input
cannot be analysed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["MAX_ANALYSED_CHARS", "MAX_INPUT_CHARS", "Cleaned", "clean_text"]

# Inputs longer than this are truncated before anything else (100 kB of text).
MAX_INPUT_CHARS = 100_000
# The part of a cleaned text that is scored: feedback is short; a 90 kB body is a pasted
# log, and its opening says what the customer wanted to say.
MAX_ANALYSED_CHARS = 5_000

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(\s[^<>]*)?/?>")
_QUOTED_REPLY = re.compile(
    r"(^|\n)\s*(>|On .{4,80} wrote:|-{2,}\s*Original Message|From: .+\nSent: ).*", re.S
)
_INLINE_QUOTE = re.compile(r"\s>\s.*$", re.S)
_URL = re.compile(r"https?://\S+|www\.\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITE = re.compile(r"\s")
_LETTER = re.compile(r"[^\W\d_]")
_LONG_TOKEN = re.compile(r"\S{200}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class Cleaned:
    """The text to analyse (empty when `problem` is set) and what cleaning did to it."""

    text: str
    notes: tuple[str, ...] = ()
    problem: str | None = None


def _decode(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes | bytearray | memoryview):
        return bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, float) and raw != raw:  # NaN from a pandas column
        return None
    return raw if isinstance(raw, str) else str(raw)


def _looks_binary(text: str) -> bool:
    """Mostly not letters, or riddled with undecodable bytes: an attachment, not a comment."""
    sample = text[:4000]
    visible = len(sample) - len(_WHITE.findall(sample))
    if visible < 12:
        return False
    letters = len(_LETTER.findall(sample))
    bad = sample.count("\ufffd") + len(_CONTROL.findall(sample))
    return letters / visible < 0.45 or bad / visible > 0.05 or bool(_LONG_TOKEN.search(sample))


def clean_text(raw: object) -> Cleaned:
    """Decode, strip markup and quoted replies, bound the length; never raises."""
    text = _decode(raw)
    if text is None or not text.strip():
        return Cleaned("", problem="empty text")
    notes: list[str] = []
    if len(text) > MAX_INPUT_CHARS:
        notes.append(f"truncated from {len(text):,} characters")
        text = text[:MAX_INPUT_CHARS]
    if _looks_binary(text):
        return Cleaned("", tuple(notes), problem="not readable text (binary or encoded data)")
    if "<" in text and _ANY_TAG.search(text):
        text = _ANY_TAG.sub(" ", _BREAK.sub("\n", _TAG.sub(" ", text)))
        notes.append("HTML removed")
    if "&" in text:
        text = html.unescape(text)
    quoted = _QUOTED_REPLY.search(text)
    if quoted and quoted.start() > 0:
        text = text[: quoted.start()]
        notes.append("quoted reply removed")
    elif " > " in text and (inline := _INLINE_QUOTE.search(text)) and inline.start() > 10:
        text = text[: inline.start()]
        notes.append("quoted reply removed")
    text = _URL.sub(" ", _EMAIL.sub(" ", _CONTROL.sub(" ", text)))
    text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    if not text:
        return Cleaned("", tuple(notes), problem="no text left after removing markup")
    if len(text) > MAX_ANALYSED_CHARS:
        notes.append(f"analysed the first {MAX_ANALYSED_CHARS:,} characters")
        cut = text.rfind(" ", 0, MAX_ANALYSED_CHARS)
        text = text[: cut if cut > 0 else MAX_ANALYSED_CHARS]
    return Cleaned(text, tuple(notes))
