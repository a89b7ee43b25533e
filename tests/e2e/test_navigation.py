"""Lists that page and count, addresses that hold (runs by reference, filters in the URL), dark mode, the docs link.

Each test is what a person would check: the count they read, the address they reload, the theme that stays.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from tests.e2e.browser import LiveServer

API = "/api/v1"


def _save(api: httpx.Client, name: str, nodes: list[dict[str, Any]], edges: list[dict[str, str]] | None = None) -> None:
    response = api.post(f"{API}/pipelines", json={"name": name, "nodes": nodes, "edges": edges or []})
    assert response.status_code == 201, response.text


def _runs(api: httpx.Client, name: str, count: int) -> list[dict[str, Any]]:
    started = [api.post(f"{API}/pipelines/{name}/runs", json={}).json() for _ in range(count)]
    assert all("id" in r for r in started), started
    return started


@pytest.mark.timeout(180)
def test_the_run_list_pages_counts_and_keeps_its_filters_in_the_address(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        _save(api, "many", [{"id": "a", "kind": "noop"}])
        _save(api, "other", [{"id": "a", "kind": "noop"}])
        _runs(api, "many", 53)
        _runs(api, "other", 2)
    sign_in(page, live_server, Role.VIEWER, "/runs")
    foot = page.get_by_test_id("page-foot")
    expect(foot).to_contain_text("50 of 55 runs")  # a page, and how many there are in all
    page.get_by_role("button", name="Show more runs").click()
    expect(foot).to_contain_text("55 runs")
    expect(page.get_by_role("button", name="Show more runs")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^many v\d+$"))).to_have_count(53)

    page.get_by_label("Pipeline filter").select_option("other")
    expect(page).to_have_url(re.compile(r"[?&]pipeline=other"))
    expect(foot).to_contain_text("2 runs")
    page.reload()  # the filter is in the address: a reload keeps it
    expect(page.get_by_label("Pipeline filter")).to_have_value("other")
    expect(foot).to_contain_text("2 runs")
    page.go_back()
    expect(page.get_by_label("Pipeline filter")).to_have_value("")
    expect(foot).to_contain_text("of 55 runs")

    page.get_by_label("Search runs").fill("many/v7")
    expect(page).to_have_url(re.compile(r"[?&]q=many%2Fv7"))
    expect(page.get_by_role("link", name=re.compile(r"v\d+$"))).to_have_text(["many v7"])
    page.get_by_label("Search runs").fill("")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()  # a day no run started on, whatever the zone
    page.get_by_label("Started from (date)").fill(tomorrow)
    expect(page).to_have_url(re.compile(rf"[?&]from={tomorrow}"))
    expect(page.get_by_text("No runs match these filters.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(foot).to_contain_text("of 55 runs")
    shot(page, "nav-runs-paged")


@pytest.mark.timeout(120)
def test_a_run_has_an_address_by_pipeline_and_number(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        _save(api, "addressed", [{"id": "a", "kind": "noop"}])
        _runs(api, "addressed", 2)
    sign_in(page, live_server, Role.VIEWER, "/runs/addressed/v2")
    expect(page.get_by_role("heading", level=1)).to_contain_text("addressed v2")
    page.goto(f"{live_server.base_url}/runs")
    page.get_by_role("link", name="addressed v1").click()
    expect(page).to_have_url(re.compile(r"/runs/addressed/v1$"))  # the list links by the readable address
    expect(page.get_by_role("heading", level=1)).to_contain_text("addressed v1")
    page.goto(f"{live_server.base_url}/runs/addressed/v9")
    expect(page.get_by_text(re.compile("no run|not found|No such", re.IGNORECASE)).first).to_be_visible()


@pytest.mark.timeout(120)
def test_compare_refuses_runs_of_two_pipelines(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        _save(api, "apples", [{"id": "a", "kind": "noop"}])
        _save(api, "pears", [{"id": "a", "kind": "noop"}])
        (apple,) = _runs(api, "apples", 1)
        (pear,) = _runs(api, "pears", 1)
    sign_in(page, live_server, Role.VIEWER, "/runs")
    page.get_by_label("Compare apples/v1").check()
    page.get_by_label("Compare pears/v1").check()
    expect(page.get_by_role("status")).to_contain_text("Runs of two pipelines cannot be compared")
    expect(page.get_by_role("button", name=re.compile("^Compare"))).to_be_disabled()
    page.goto(f"{live_server.base_url}/runs/compare?a={apple['id']}&b={pear['id']}")  # a hand-made address
    expect(page.get_by_role("heading", level=1)).to_have_text("These runs cannot be compared")
    expect(page.get_by_role("alert")).to_contain_text("two different pipelines")


@pytest.mark.timeout(120)
def test_settings_tabs_that_do_not_exist_or_are_not_allowed_say_so(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.VIEWER, "/settings/bogus")
    expect(page.get_by_role("heading", level=1)).to_have_text("No such settings page")
    expect(page.get_by_role("tab", name="Credentials")).to_have_count(0)  # not Credentials under another name
    page.goto(f"{live_server.base_url}/settings/keys")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("needs the admin role")).to_be_visible()
    page.get_by_role("link", name="Model profiles").click()
    expect(page).to_have_url(re.compile(r"/settings/models$"))


@pytest.mark.timeout(120)
def test_the_inbox_badge_and_list_count_every_waiting_task(page: Page, live_server: LiveServer) -> None:
    review = {"approve_complete": True}
    with live_server.client() as api:
        _save(api, "reviewed", [{"id": "work", "kind": "transform", "config": {"value": "x"}, "review": review}])
        runs = _runs(api, "reviewed", 3)
        for run in runs:
            for _ in range(300):
                tasks = api.get(f"{API}/tasks", params={"run": run["id"], "assigned": "any"}).json()["items"]
                if tasks:
                    break
                page.wait_for_timeout(100)
        total = api.get(f"{API}/tasks").json()["total"]
    assert total == 3
    sign_in(page, live_server, Role.ADMIN, "/approvals")
    expect(page.get_by_test_id("approvals-count")).to_have_text("3")
    expect(page.get_by_test_id("page-foot")).to_contain_text("3 tasks")
    page.get_by_label("Which tasks").select_option("any")
    expect(page).to_have_url(re.compile(r"[?&]show=all"))
    page.reload()
    expect(page.get_by_label("Which tasks")).to_have_value("any")


@pytest.mark.timeout(120)
def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(live_server.base_url + "/")
        html = page.locator("html")
        expect(html).to_have_attribute("data-theme", "dark")  # prefers-color-scheme, nothing chosen yet
        code = page.locator(".signin-card code")
        expect(code).to_have_text(["lockgate serve", "lockgate keys create"])  # Markdown backticks rendered
        expect(page.get_by_text("`")).to_have_count(0)
        sign_in(page, live_server, Role.VIEWER, "/pipelines")
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        page.get_by_role("button", name="Use the light theme").click()
        expect(html).to_have_attribute("data-theme", "light")
        assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") != background
        page.reload()  # the choice outlives the system setting and a reload
        expect(html).to_have_attribute("data-theme", "light")
        expect(page.get_by_role("button", name="Use the dark theme")).to_be_visible()
        docs = page.get_by_role("link", name="API docs")
        expect(docs).to_have_attribute("href", "/docs")
        assert httpx.get(live_server.base_url + "/docs").status_code == 200
    finally:
        context.close()
