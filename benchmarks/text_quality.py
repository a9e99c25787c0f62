"""Text quality: healthscore's analyser against plain VADER on labelled feedback.

Usage:
    python benchmarks/text_quality.py [--split test|tune|all] [--uci DIR]

On benchmarks/data/feedback_eval.jsonl (see README-feedback.md) it prints 3-class accuracy
and macro-F1 overall and per source, cancellation-intent precision and recall, and theme
and feature-mention F1; report the test split (the rules were tuned on the tune split
only).  On the UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015; CC BY 4.0) it
prints two-class accuracy and AUC per file.  Plain VADER: compound >= 0.05 positive,
<= -0.05 negative (its authors' cut-offs); no themes, features or intent of its own, so
those rows compare against the simplest baseline named in each row.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from healthscore.text import FeatureCatalog, analyze

HERE = Path(__file__).parent
DATA = HERE / "data"
LABELS = ("negative", "neutral", "positive")


def load(split: str) -> list[dict]:
    rows = [json.loads(x) for x in (DATA / "feedback_eval.jsonl").read_text().splitlines() if x]
    return [r for r in rows if split == "all" or r["split"] == split]


def catalogue() -> list[dict]:
    path = DATA / "feedback_eval_features.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x]


def vader_label(c: float) -> str:
    return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"


def accuracy_f1(gold: list[str], pred: list[str]) -> tuple[float, float]:
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    f1s = []
    for lab in LABELS:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return acc, sum(f1s) / len(f1s)


def prf(gold: list[set], pred: list[set]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def auc(labels: list[int], scores: list[float]) -> float:
    """Mann-Whitney AUC with ties counted half."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    ranked = sorted((s, i) for i, s in enumerate(pos + neg))
    ranks = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = sum(ranks[: len(pos)])
    return (r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def feedback(split: str, show_errors: bool) -> None:
    rows = load(split)
    vader = SentimentIntensityAnalyzer()
    cat = FeatureCatalog.from_records(catalogue())
    names_only = FeatureCatalog.from_records([c["feature"] for c in catalogue()])
    ours = [analyze(r["text"], features=cat, source=r["source"]) for r in rows]
    plain = [vader_label(vader.polarity_scores(r["text"])["compound"]) for r in rows]
    print(f"## Customer-feedback evaluation set, {split} split ({len(rows)} texts)\n")
    print("| texts | n | plain VADER acc | ours acc | plain VADER macro-F1 | ours macro-F1 |")
    print("|---|---:|---:|---:|---:|---:|")
    groups = [("all", list(range(len(rows))))]
    for src in ("nps", "csat", "ticket", "note"):
        groups.append((src, [i for i, r in enumerate(rows) if r["source"] == src]))
    for name, idx in groups:
        gold = [rows[i]["sentiment"] for i in idx]
        va, vf = accuracy_f1(gold, [plain[i] for i in idx])
        oa, of = accuracy_f1(gold, [ours[i].sentiment for i in idx])
        print(f"| {name} | {len(idx)} | {va:.3f} | {oa:.3f} | {vf:.3f} | {of:.3f} |")
    gold_c = [r["cancellation_intent"] for r in rows]
    pred_c = [a.cancellation_intent for a in ours]
    kw = [bool(re.search(r"\b(cancel\w*|churn\w*|not renew\w*)\b", r["text"], re.I)) for r in rows]
    print("\n| cancellation intent | positives | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|")
    for name, pred in (("keyword baseline (cancel/churn/not renew)", kw), ("ours", pred_c)):
        p, r, f = prf([{1} if g else set() for g in gold_c], [{1} if x else set() for x in pred])
        print(f"| {name} | {sum(gold_c)} | {p:.3f} | {r:.3f} | {f:.3f} |")
    gold_k = [r["competitor_intent"] for r in rows]
    p, r, f = prf(
        [{1} if g else set() for g in gold_k], [{1} if a.competitor_intent else set() for a in ours]
    )
    print(f"| competitor intent (ours) | {sum(gold_k)} | {p:.3f} | {r:.3f} | {f:.3f} |")
    print("\n| tags | precision | recall | micro-F1 |")
    print("|---|---:|---:|---:|")
    p, r, f = prf([set(r["themes"]) for r in rows], [set(a.themes) for a in ours])
    print(f"| themes (12), ours | {p:.3f} | {r:.3f} | {f:.3f} |")
    gold_f = [set(r["features"]) for r in rows]
    base = [set(names_only.find(r["text"])) for r in rows]
    p, r, f = prf(gold_f, base)
    print(f"| features, feature names only | {p:.3f} | {r:.3f} | {f:.3f} |")
    p, r, f = prf(gold_f, [set(a.features) for a in ours])
    print(f"| features, names + labels + synonyms (ours) | {p:.3f} | {r:.3f} | {f:.3f} |")
    per = Counter()
    for r_, a in zip(rows, ours, strict=True):
        for t in set(r_["themes"]) | set(a.themes):
            per[(t, t in r_["themes"], t in a.themes)] += 1
    print("\n| theme | precision | recall | F1 | n |")
    print("|---|---:|---:|---:|---:|")
    for t in sorted({k[0] for k in per}):
        tp, fp, fn = per[(t, True, True)], per[(t, False, True)], per[(t, True, False)]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"| {t} | {p:.2f} | {r:.2f} | {f:.2f} | {tp + fn} |")
    lang = [
        json.loads(x) for x in (DATA / "feedback_eval_language.jsonl").read_text().splitlines() if x
    ]
    flagged = [analyze(r["text"]) for r in lang]
    right = sum(
        a.sentiment == "unknown" and a.language == r["language"]
        for a, r in zip(flagged, lang, strict=True)
    )
    print(f"\nNon-English texts flagged unknown with the right language: {right}/{len(lang)}")
    if show_errors:
        print("\n### errors")
        for r_, a, v in zip(rows, ours, plain, strict=True):
            if a.sentiment != r_["sentiment"] or a.cancellation_intent != r_["cancellation_intent"]:
                print(
                    f"{r_['id']} gold={r_['sentiment']}/{int(r_['cancellation_intent'])} ours={a.sentiment}/{int(a.cancellation_intent)} {a.score} vader={v} [{a.reason}] {r_['text'][:150]!r}"
                )


def uci(folder: Path) -> None:
    vader = SentimentIntensityAnalyzer()
    print("\n## UCI Sentiment Labelled Sentences (two classes; score > 0 = positive)\n")
    print("| file | n | plain VADER acc | ours acc | plain VADER AUC | ours AUC | ours unknown |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        pairs = []
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text, _, lab = line.rstrip().rpartition("\t")
            if lab in ("0", "1"):
                pairs.append((text, int(lab)))
        y = [lab for _, lab in pairs]
        v = [vader.polarity_scores(t)["compound"] for t, _ in pairs]
        res = [analyze(t) for t, _ in pairs]
        o = [a.score if a.score is not None else 0.0 for a in res]
        unknown = sum(a.score is None for a in res)
        vacc = sum((s > 0) == (lab == 1) for s, lab in zip(v, y, strict=True)) / len(y)
        oacc = sum((s > 0) == (lab == 1) for s, lab in zip(o, y, strict=True)) / len(y)
        print(
            f"| {name} | {len(y)} | {vacc:.3f} | {oacc:.3f} | {auc(y, v):.3f} | {auc(y, o):.3f} | {unknown} |"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test", choices=["test", "tune", "all"])
    ap.add_argument(
        "--uci", type=Path, default=HERE.parents[1] / "shared" / "data" / "uci_sentences"
    )
    ap.add_argument("--errors", action="store_true", help="list the texts ours gets wrong")
    args = ap.parse_args(argv)
    feedback(args.split, args.errors)
    if args.uci.is_dir():
        uci(args.uci)
    else:
        print(f"\n(UCI sentences not found at {args.uci}; skipped)", file=sys.stderr)


if __name__ == "__main__":
    main()
