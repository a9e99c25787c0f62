"""Is this English?  A cheap word check first; py3langid only when that is unsure.

py3langid (Lui & Baldwin's langid.py, repackaged) classifies ~2,000 texts a second here,
too slow to run on every comment, so a text whose words are mostly common English words
is taken as English without asking it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["detect_language"]

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_COMMON = frozenset(
    ["a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "back", "be", "because", "been", "before", "being", "but", "by", "can", "can't", "cannot", "could", "day", "did", "didn't", "do", "does", "doesn't", "don't", "down", "each", "even", "every", "few", "for", "from", "get", "gets", "getting", "go", "going", "good", "got", "great", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "i'm", "if", "in", "into", "is", "isn't", "it", "it's", "its", "just", "know", "last", "like", "lot", "love", "make", "many", "me", "more", "most", "much", "my", "need", "needs", "new", "no", "not", "now", "of", "off", "ok", "on", "once", "one", "only", "or", "other", "our", "out", "over", "please", "really", "right", "same", "see", "she", "should", "since", "so", "some", "still", "such", "take", "than", "thank", "thanks", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "time", "to", "too", "two", "up", "us", "use", "used", "very", "want", "was", "wasn't", "we", "we're", "well", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "won't", "work", "works", "would", "you", "your", "yes", "team", "product", "support", "customer", "issue", "issues", "problem", "fixed", "help", "helpful", "slow", "fast", "easy", "hard", "bad", "better", "best", "worst", "nice", "call", "meeting", "account", "renewal", "sponsor", "champion", "left", "new", "price", "data", "report", "reports", "dashboard", "dashboards", "users", "user", "login", "sync", "export", "import", "feature", "features", "tool", "app"]
)
# Letters outside Latin-1 (Cyrillic, CJK, Greek, Arabic, ...) settle it without a model.
_NON_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f\u20a0-\u20cf\ufffd]")


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, confidence 0-1) of `text`; ("en", 1.0) for clearly English text."""
    words = [w.lower() for w in _WORD.findall(text[:2000])]
    if not words:
        return "en", 0.0
    non_latin = len(_NON_LATIN.findall(text[:2000]))
    if non_latin == 0:
        common = sum(w in _COMMON for w in words) / len(words)
        if common >= 0.3 or (len(words) <= 3 and common > 0):
            return "en", 1.0
    lang, prob = _identifier().classify(text[:2000])
    if lang != "en" and non_latin == 0 and len(words) <= 3 and prob < 0.9:
        # Two or three unknown Latin words ("Acme rocks!"): too little to call it foreign.
        return "en", 0.5
    if lang != "en" and prob < 0.7:
        # An unsure guess on jargon-heavy English ("SAML SSO 2FA MFA") is not a flag.
        return "en", float(1 - prob)
    return str(lang), float(prob)
