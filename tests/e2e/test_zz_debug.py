import json
import pytest
from tests.e2e.casework import people, open_case, act
from tests.e2e.registration_steps import register

pytestmark = pytest.mark.e2e

def test_debug(platform, browser):
    base = platform.gateway_url.rstrip("/")
    with people(browser, base) as crowd:
        clerk = crowd.page("clerk.620102001")
        logs = []
        def on_resp(r):
            if 'graphql' in r.url:
                try:
                    body = r.json()
                except Exception:
                    return
                d = (body.get("data") or {}).get("case")
                logs.append(json.dumps({"errors": body.get("errors"), "actions": d and d.get("availableActions"), "stage": d and d.get("stage"), "status": d and d.get("status")}, ensure_ascii=False)[:800])
        clerk.on("response", on_resp)
        r = register(clerk, base, channel="来信", summary="反映某某问题", persons=[("王五", "某单位", "主任")])
        clerk.goto(f"{base}/cases/{r.case_id}")
        clerk.wait_for_timeout(2000)
        clerk.screenshot(path="/tmp/dbg.png", full_page=True)
        print("\n".join(l for l in logs if '"actions": null' not in l or 'errors": null' not in l))
