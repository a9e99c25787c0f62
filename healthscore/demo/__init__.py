"""The deterministic synthetic SaaS portfolio behind `healthscore demo`."""

from healthscore.demo.actions import raise_demo_ctas
from healthscore.demo.build import build_demo, store_is_empty, summarize_store
from healthscore.demo.generator import generate
from healthscore.demo.run import DemoRun, DemoStoreNotEmpty, build_and_score, prepare_demo_store

__all__ = [
    "DemoRun",
    "DemoStoreNotEmpty",
    "build_and_score",
    "build_demo",
    "generate",
    "prepare_demo_store",
    "raise_demo_ctas",
    "store_is_empty",
    "summarize_store",
]
