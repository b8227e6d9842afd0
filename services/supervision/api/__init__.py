"""Supervision's REST API: one router per resource."""

from services.supervision.api.calendar import router as calendar_router
from services.supervision.api.cases import router as cases_router
from services.supervision.api.deadlines import router as deadlines_router
from services.supervision.api.evaluations import router as evaluations_router
from services.supervision.api.loops import router as loops_router
from services.supervision.api.orders import router as orders_router
from services.supervision.api.readmodels import router as readmodels_router
from services.supervision.api.testing import router as testing_router

routers = [cases_router, deadlines_router, orders_router, evaluations_router, loops_router,
           calendar_router, testing_router, readmodels_router]

__all__ = ["routers"]
