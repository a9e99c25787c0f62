"""Which catalogue features a text is about: by name, by label, by configured synonyms.

A feature named like an event type ("report_created", "data_imported") is found by the
noun in its name ("report", "data import"), so a store's catalogue works without any
configuration; `synonyms` add the words customers use ("CSV export" for reports, "SAML"
for login).  Matching is on whole words, case-insensitive, plural- and -ing-tolerant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FeatureCatalog", "feature_terms"]

# Trailing verbs of event-type names: "report_created" is about reports.
_VERBS = {
    "viewed", "created", "imported", "exported", "performed", "added", "assigned",
    "automated", "connected", "call", "called", "launched", "shared", "generated", "sent",
    "used", "opened", "clicked", "completed", "updated", "deleted", "run", "ran", "edited",
    "submitted", "uploaded", "downloaded", "started", "finished", "enabled", "configured",
}  # fmt: skip
_NOUN_OF = {"imported": "import", "exported": "export", "uploaded": "upload",
            "automated": "automation", "connected": "connection", "shared": "sharing",
            "generated": "generation", "performed": "", "launched": "launch"}  # fmt: skip
# Words too common to name a feature on their own.
_GENERIC = {"data", "user", "users", "page", "item", "record", "event", "account", "the",
            "a", "an", "app", "feature", "viewed", "file", "new", "object"}  # fmt: skip
_SPLIT = re.compile(r"[\s_\-./]+")


def feature_terms(
    feature: str, label: str | None = None, synonyms: Iterable[str] = ()
) -> list[str]:
    """The phrases that name `feature` in free text, longest first."""
    out: set[str] = set()
    words = [w for w in _SPLIT.split(feature.lower()) if w]
    nouns = [w for w in words if w not in _VERBS]
    if nouns and not set(nouns) <= _GENERIC:
        out.add(" ".join(nouns))
    elif nouns:
        stems = [_NOUN_OF.get(w, w) for w in words if w in _VERBS]
        out |= {" ".join([*nouns, s]).strip() for s in stems if s}
        out |= {s for s in stems if s and s not in _GENERIC}
    for extra in [label or "", *synonyms]:
        term = " ".join(w for w in _SPLIT.split(str(extra).lower()) if w)
        term = re.sub(r"^(the|a|an) ", "", term)
        if term and term not in _GENERIC:
            out.add(term)
    return sorted(out, key=len, reverse=True)


def _pattern(term: str) -> str:
    parts = [re.escape(w) for w in term.split(" ")]
    return r"\b" + r"[\s_\-]+".join(parts) + r"(?:s|es|ing)?\b"


@dataclass(frozen=True)
class FeatureCatalog:
    """Compiled feature names; `find(text)` lists the features a text mentions."""

    names: tuple[str, ...]
    _regex: re.Pattern[str] | None

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | str]) -> FeatureCatalog:
        """From catalogue rows (feature, optional label and synonyms) or bare names.

        `synonyms` may be a list or one string separated by commas, semicolons or "|"."""
        names: list[str] = []
        groups: list[str] = []
        for rec in records:
            row: Mapping[str, Any] = {"feature": rec} if isinstance(rec, str) else rec
            name = str(row["feature"])
            syn = row.get("synonyms") or ()
            if isinstance(syn, str):
                syn = [s for s in re.split(r"[,;|]", syn) if s.strip()]
            terms = feature_terms(name, row.get("label"), [str(s) for s in syn])
            if not terms:
                continue
            groups.append(f"(?P<f{len(names)}>{'|'.join(_pattern(t) for t in terms)})")
            names.append(name)
        regex = re.compile("|".join(groups), re.I) if groups else None
        return cls(tuple(names), regex)

    def find(self, text: str) -> tuple[str, ...]:
        if self._regex is None:
            return ()
        found = {
            int(k[1:]) for m in self._regex.finditer(text) for k, v in m.groupdict().items() if v
        }
        return tuple(sorted(self.names[i] for i in found))
