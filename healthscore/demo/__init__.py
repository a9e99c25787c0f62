"""The deterministic synthetic SaaS portfolio behind `healthscore demo`."""

from healthscore.demo.build import build_demo, store_is_empty, summarize_store
from healthscore.demo.generator import generate

__all__ = ["build_demo", "generate", "store_is_empty", "summarize_store"]
