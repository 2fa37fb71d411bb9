"""The screens a newcomer sees after `make run`, in a real browser: the demo's past
(`monitoring.demo`, the same steps and 30 days as `bootstrap_demo`) fills the monitoring
page and the incident queue. The README's screenshots come from here."""

import pytest

from governance.services import portal_user_provision
from loanportal.roles import Role
from monitoring.demo import DemoContext, demo_history_build
from monitoring.models import Incident
from tests.browser.support import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long browser test password"
SCREEN = {"width": 1366, "height": 900}


@pytest.fixture
def demo(draft_version, take_to, api_client_user, author, demo_csv):
    version = take_to(draft_version, "production")
    demo_history_build(
        context=DemoContext(version=version, client=api_client_user, author=author, data_path=str(demo_csv))
    )
    return version


def fits_the_screen(page) -> bool:
    """No horizontal scrolling: not of the page, not inside a change list's results box."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= window.innerWidth
            && [...document.querySelectorAll('.results')].every(box => box.scrollWidth <= box.clientWidth + 1)"""
    )


def test_the_demo_fills_the_monitoring_page_and_the_incident_queue(page, demo, screenshot_dir):
    portal_user_provision(username="vic", role=Role.MODEL_VALIDATOR, password=PASSWORD, check_password=False)
    page.set_viewport_size(SCREEN)
    log_in(page, "vic", PASSWORD)

    page.goto(f"/admin/monitoring/monitoredversion/{demo.pk}/monitoring/")
    heatmap = page.locator("svg[aria-label^='PSI per input field']")
    assert heatmap.count() == 1
    cells = heatmap.locator("rect[fill='#d8ecd3']").count(), heatmap.locator("rect[fill='#f6c667']").count()
    assert cells[0] > 100 and cells[1] >= 4  # stable cells, and the four subjects on watch
    assert heatmap.locator("rect[fill='#d9534f']").count() >= 8  # four subjects on act for two days
    assert "not computed yet" not in page.content()
    page.screenshot(path=str(screenshot_dir / "monitoring-page.png"), full_page=True)

    page.goto("/admin/monitoring/incident/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == Incident.objects.count() == 6
    assert fits_the_screen(page)
    page.screenshot(path=str(screenshot_dir / "incident-queue.png"), full_page=True)

    for url in ("/admin/governance/transition/", "/admin/predictions/decisionlog/", "/admin/governance/modelversion/"):
        page.goto(url)
        assert fits_the_screen(page), url
    page.goto(f"/admin/governance/modelversion/{demo.pk}/change/")
    assert fits_the_screen(page)
    page.screenshot(path=str(screenshot_dir / "model-card.png"))
    # The numbers a reviewer reads: holdout metrics and the training ranges, rounded.
    credit = next(f for f in demo.feature_schema["fields"] if f["name"] == "Credit_Score")
    schema = page.locator("#card-schema")
    assert schema.get_by_text(f"{credit['min']:.0f} .. {credit['max']:.0f}").count() == 1
    assert page.locator("#card-metrics").get_by_text(f"{demo.threshold:.4f}").get_attribute("title") == repr(
        demo.threshold
    )
    schema.screenshot(path=str(screenshot_dir / "model-card-schema.png"))
