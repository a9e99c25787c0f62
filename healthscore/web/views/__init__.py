"""Page routes, one module per resource; `ROUTERS` is what `create_app` includes."""

from healthscore.web.views.auth import router as auth_router
from healthscore.web.views.portfolio import router as portfolio_router

ROUTERS = [auth_router, portfolio_router]

__all__ = ["ROUTERS"]
