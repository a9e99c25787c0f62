"""The web app: server-rendered pages (Jinja2 + htmx) over the same core as the CLI.

`create_app(hs)` builds it; `healthscore serve` runs it with uvicorn.  See docs/web.md.
"""

from healthscore.web.app import create_app

__all__ = ["create_app"]
