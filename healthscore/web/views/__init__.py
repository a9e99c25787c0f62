"""Page routes, one module per resource; `ROUTERS` is what `create_app` includes."""

from healthscore.web.views.account import router as account_router
from healthscore.web.views.admin import router as admin_router
from healthscore.web.views.auth import router as auth_router
from healthscore.web.views.ctas import router as ctas_router
from healthscore.web.views.feedback import router as feedback_router
from healthscore.web.views.portfolio import router as portfolio_router
from healthscore.web.views.scorecard import router as scorecard_router
from healthscore.web.views.validation import router as validation_router

ROUTERS = [
    auth_router,
    portfolio_router,
    account_router,
    ctas_router,
    scorecard_router,
    validation_router,
    feedback_router,
    admin_router,
]

__all__ = ["ROUTERS"]
