"""The scorecard editor: a candidate card from edited weights and band thresholds, its
preview (`healthscore.scoring.preview_scorecard`), and saving it as a new version.

The candidate is the card's own YAML with the edited numbers put in and the version
bumped, parsed by `parse_scorecard`: every rule of a scorecard file applies, and a bad
value is reported the way a file's would be.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from healthscore.app import App
from healthscore.auth import User, record
from healthscore.config import Settings
from healthscore.errors import HealthscoreError
from healthscore.predict.preview_backtest import ChurnOutcomes
from healthscore.scoring import Preview, Scorecard, parse_scorecard, preview_scorecard
from healthscore.scoring.history import record_scorecard
from healthscore.scoring.preview import scoring_inputs, stored_dates
from healthscore.store import Store
from healthscore.store.queries.scores import snapshot_dates
from healthscore.web.store_access import StampedCache, open_request_store, store_stamp

__all__ = [
    "candidate_from_form",
    "card_summary",
    "next_version",
    "preview",
    "save_card",
    "saved_path",
    "warm_preview",
]

_previews: StampedCache[Preview] = StampedCache(size=16)


def next_version(version: str) -> str:
    """'1.0' -> '1.1', '2' -> '3', 'v1.9' -> 'v1.10'; otherwise '<version>.1'."""
    m = re.match(r"^(.*?)(\d+)$", version)
    return f"{m.group(1)}{int(m.group(2)) + 1}" if m else f"{version}.1"


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_parsed: dict[str, dict[str, Any]] = {}


def _data(card: Scorecard) -> dict[str, Any]:
    """The card's YAML as data (a fresh copy; the parse is kept per card)."""
    key = card.content_hash
    if key not in _parsed:
        loaded = yaml.load(card.source, Loader=_Loader) if card.source else None
        if not isinstance(loaded, dict):
            loaded = card.model_dump(mode="json", exclude_defaults=True)
        if len(_parsed) > 32:
            _parsed.clear()
        _parsed[key] = loaded
    return copy.deepcopy(_parsed[key])


def card_summary(card: Scorecard) -> dict[str, Any]:
    """The card for the page: bands, groups with their measures and weights."""
    total = sum(g.weight for g in card.groups) or 1.0
    return {
        "name": card.name,
        "version": card.version,
        "stored_version": card.stored_version,
        "description": card.description,
        "bands": [{"name": b.name, "min": b.min} for b in card.bands],
        "groups": [
            {
                "index": gi,
                "name": g.name,
                "weight": g.weight,
                "share": g.weight / total,
                "measures": [
                    {
                        "index": mi,
                        "name": m.name or m.metric,
                        "metric": m.metric,
                        "weight": m.weight,
                        "method": m.normalize.method,
                    }
                    for mi, m in enumerate(g.measures)
                ],
            }
            for gi, g in enumerate(card.groups)
        ],
        "segments": sorted(card.segments),
    }


def _number(form: Mapping[str, Any], key: str, current: float) -> float:
    raw = form.get(key)
    if raw is None or str(raw).strip() == "":
        return current
    try:
        return float(str(raw))
    except ValueError:
        from healthscore.errors import InvalidScorecard

        raise InvalidScorecard(f"{key}: {raw!r} is not a number") from None


def candidate_from_form(card: Scorecard, form: Mapping[str, Any]) -> Scorecard:
    """The card with the form's weights (``g<i>``, ``g<i>m<j>``) and band minimums
    (``band<i>``), as a new version."""
    data = _data(card)
    for gi, g in enumerate(card.groups):
        data["groups"][gi]["weight"] = _number(form, f"g{gi}", g.weight)
        for mi, m in enumerate(g.measures):
            data["groups"][gi]["measures"][mi]["weight"] = _number(form, f"g{gi}m{mi}", m.weight)
    for bi, b in enumerate(card.bands):
        data["bands"][bi]["min"] = _number(form, f"band{bi}", b.min)
    data["version"] = next_version(str(card.version))
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return parse_scorecard(text, file="the scorecard editor")


def preview(store: Store, candidate: Scorecard, engine: Any = None) -> Preview:
    """Replay the candidate on the newest snapshot date, with the backtest of old against
    new; cached per store version.  The stored inputs behind it are read once per version
    of the score tables (`healthscore.scoring.preview.scoring_inputs`), so each edit is an
    in-memory re-scoring."""
    dates = stored_dates(store)
    since = dates[-1] if dates else None
    return _previews.get(
        store_stamp(store.path),
        candidate.content_hash,
        lambda: preview_scorecard(
            store, candidate, since=since, engine=engine, outcomes=ChurnOutcomes()
        ),
    )


def warm_preview(settings: Settings) -> threading.Thread:
    """Read the preview's stored inputs in the background (e.g. when the scorecard page is
    opened), so the first edit is answered from memory too.  Holds the store only while
    reading."""

    def work() -> None:
        try:
            with open_request_store(settings) as store:
                dates = snapshot_dates(store)
                if dates:
                    scoring_inputs(store, [dates[-1]], outcomes=ChurnOutcomes())
        except HealthscoreError:  # busy or empty store: the first preview reads instead
            pass

    thread = threading.Thread(target=work, name="preview-warm", daemon=True)
    thread.start()
    return thread


def saved_path(hs: App) -> Path:
    """Where a saved card goes: the scorecard file in force, else one beside the store."""
    if hs.settings.scorecard is not None:
        return Path(hs.settings.scorecard)
    db = Path(hs.settings.db)
    return db.with_name(db.stem + ".scorecard.yaml")


def save_card(hs: App, store: Store, old: Scorecard, new: Scorecard, user: User) -> Path:
    """Write the new version's YAML, keep it in the store's scorecards, audit the change."""
    path = saved_path(hs)
    with store.transaction() as con:
        record_scorecard(con, new)
        record(
            con,
            actor=user.username,
            action="save",
            entity="scorecard",
            entity_id=new.stored_version,
            before={"version": old.stored_version, **_weights(old)},
            after={"version": new.stored_version, "file": str(path), **_weights(new)},
        )
    path.write_text(new.source, encoding="utf-8")
    return path


def _weights(card: Scorecard) -> dict[str, Any]:
    return {
        "bands": {b.name: b.min for b in card.bands},
        "groups": {g.name: g.weight for g in card.groups},
        "measures": {
            f"{g.name} / {m.name or m.metric}": m.weight for g in card.groups for m in g.measures
        },
    }
