"""The portal in a real browser (Debian Chromium, headless) against a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, Demo, screenshot

pytestmark = pytest.mark.external

PageFor = Callable[[str], Any]


def test_log_in(demo: Demo, browser: Any) -> None:
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/portal/customers")
        assert page.url.endswith("/portal/login?next=%2Fportal%2Fcustomers")
        assert page.locator("label[for=f-username]").count() == 1
        page.fill("#f-username", "csr.gd")
        page.fill("#f-password", "wrong password")
        page.click("button[type=submit].primary")
        assert page.locator("#login-error").is_visible()
        screenshot(page, "login")
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/portal/customers")
        assert page.locator(".who").inner_text().startswith("csr.gd")
        # keyboard: the first Tab reaches the skip link, which moves focus to the content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert page.locator(".skip-link").is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["obss_portal_session"]["httpOnly"] is True
        assert cookies["obss_portal_session"]["sameSite"] == "Lax"
    finally:
        context.close()


def test_find_a_demo_customer_by_phone_number(demo: Demo, logged_in_page: PageFor) -> None:
    page = logged_in_page("csr.gd")
    page.goto("/portal/customers")
    # typed as people say it: the national form with the area code, not E.164
    national = "0" + demo.phone_number.removeprefix("+86")
    page.fill("#f-q", f"{national[:4]} {national[4:]}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/customers?q=*")
    link = page.get_by_role("link", name=demo.phone_owner)
    assert link.count() == 1
    screenshot(page, "search")
    link.click()
    page.wait_for_selector("#tab-panel h2")
    assert demo.phone_owner in page.locator("h1").inner_text()
    screenshot(page, "customer-360")
    # the tabs load in place (htmx) and keep an address the back button returns to
    page.get_by_role("link", name="Products").click()
    page.wait_for_selector(f"#tab-panel >> text={demo.phone_number}")
    assert page.url.endswith("?tab=products")
    assert page.get_by_role("link", name="Products").get_attribute("aria-current") == "page"
    page.locator("#tab-panel details").first.click()
    screenshot(page, "customer-products")
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_selector("#tab-panel >> text=Credit limit")
    page.go_back()
    page.wait_for_url("**?tab=products")


def test_register_a_new_customer(logged_in_page: PageFor) -> None:
    page = logged_in_page("csr.gd")
    page.goto("/portal/customers/new")
    page.fill("#f-family_name", "欧阳")
    page.fill("#f-given_name", "修")
    page.fill("#f-resident_id", "110101199003070018")  # wrong check character
    page.locator("#f-mobile").focus()  # leaving the field runs the inline check
    error = page.locator("#f-resident_id-error")
    error.filter(has_text="check character").wait_for()
    described_by = page.locator("#f-resident_id").get_attribute("aria-describedby") or ""
    assert "f-resident_id-error" in described_by.split()
    page.fill("#f-mobile", "13912345678")
    screenshot(page, "register")
    page.fill("#f-resident_id", "11010119900307002X")
    page.locator("#f-mobile").focus()
    page.wait_for_function(
        "document.querySelector('#f-resident_id-error').textContent.trim() === ''"
    )
    page.get_by_role("button", name="Register", exact=True).click()
    page.wait_for_selector(".flash")
    assert "Customer registered." in page.locator(".flash").inner_text()
    assert "欧阳修" in page.locator("h1").inner_text()


def test_switch_the_language(logged_in_page: PageFor) -> None:
    page = logged_in_page("admin.gd")
    page.goto("/portal/customers")
    assert page.get_by_role("button", name="Log out").count() == 1
    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("text=退出")
    assert page.url.endswith("/portal/customers")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("label[for=f-q]").inner_text() == "查询"
    assert page.get_by_role("link", name="客户登记").count() == 1
    screenshot(page, "customers-zh")
    page.goto("/portal/customers/new")
    assert page.locator("label[for=f-resident_id]").inner_text().startswith("居民身份证号码")
    screenshot(page, "register-zh")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("text=Log out")


def test_a_gd_csr_cannot_open_an_sh_customer(demo: Demo, logged_in_page: PageFor) -> None:
    page = logged_in_page("csr.gd")
    response = page.goto(f"/portal/customers/{demo.sh_party_id}")
    assert response.status == 404
    assert "404" in page.locator("h1").inner_text()
    sh = logged_in_page("csr.sh")
    assert sh.goto(f"/portal/customers/{demo.sh_party_id}").status == 200


def test_a_form_posted_without_its_csrf_token_is_refused(logged_in_page: PageFor) -> None:
    page = logged_in_page("csr.gd")
    page.goto("/portal/customers/new?kind=organization")
    page.fill("#f-name", "无令牌公司")
    page.evaluate(
        "document.querySelectorAll('main form input[name=csrf_token]').forEach(e => e.remove())"
    )
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Register", exact=True).click()
    assert navigation.value.status == 403
    assert "403" in page.locator("h1").inner_text()
    # nothing was registered
    page.goto("/portal/customers?q=无令牌公司")
    assert page.locator("text=No customer matches.").count() == 1
