"""The deterministic synthetic SaaS portfolio behind `healthscore demo`."""

from healthscore.demo.generator import generate

__all__ = ["generate"]
