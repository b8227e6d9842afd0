import pytest

import tests.e2e.test_casework_stories as stories
from tests.e2e import casework

pytestmark = pytest.mark.e2e

ACCEPT = """mutation($id: ID!) { acceptPetition(caseId: $id, reportType: "accusation") { id stage } }"""

def _gql(page, query, variables):
    return page.evaluate("""async ([q, v]) => {
      const me = await (await fetch('/graphql', {method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify({query: '{ me { csrfToken } }'})})).json();
      const r = await fetch('/graphql', {method: 'POST', headers: {'content-type': 'application/json',
        'X-CSRF-Token': me.data.me.csrfToken}, body: JSON.stringify({query: q, variables: v})});
      return await r.json();
    }""", [query, variables])

def test_story1_probe(platform, browser, monkeypatch):
    real = casework.act
    def act(page, action, **kw):
        if action == "acceptPetition" and not page.get_by_test_id("action-acceptPetition").count():
            case_id = page.url.rsplit("/", 1)[-1]
            print("accept via graphql", _gql(page, ACCEPT, {"id": case_id}))
            page.reload()
            return
        return real(page, action, **kw)
    monkeypatch.setattr(stories, "act", act)
    stories.test_story_1_visit_up_to_the_county_down_to_another_township_and_archived(platform, browser)
