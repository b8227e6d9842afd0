"""A test-only clock offset 测试时钟: browser tests move supervision's "today" forward and
run the scheduler at once. Refused in production, and absent from the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body

from domain.errors import Forbidden
from infra.settings import get_settings
from services.supervision.api.deps import App
from services.supervision.scheduler import tick

router = APIRouter(tags=["testing"], include_in_schema=False)


@router.post("/testing/clock")
def shift_clock(app: App, days: Annotated[int, Body(embed=True, ge=0, le=400)]) -> dict[str, Any]:
    """Run supervision `days` ahead of the real clock (0 puts it back), then tick once."""
    if get_settings().is_production:
        raise Forbidden("test_clock_forbidden", "生产环境不能调整时钟",
                        "The clock cannot be moved in production")
    real: Callable[[], datetime] = app.__dict__.setdefault("real_clock", app.clock)
    app.clock = (lambda: real() + timedelta(days=days)) if days else real
    report = tick(app)
    return {"today": app.today().isoformat(), "warnings": len(report.warnings),
            "reminders": len(report.reminders), "escalations": report.escalations}
