"""The portal end to end through a TestClient: login, lockout, sessions, CSRF, language,
province isolation, search and registration, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from openbss.api.app import create_app
from openbss.auth.models import UserSession
from openbss.kit.clock import now
from openbss.kit.settings import get_settings
from tests.portal_support import PASSWORD, add_person, csrf_of, logged_in, login, make_user

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def portal(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(session_factory, dispatch_events=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_login_sets_a_fresh_httponly_lax_session_and_logout_ends_it(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "li.na")
    first = portal.get("/portal/customers", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/portal/login?next=%2Fportal%2Fcustomers"
    portal.cookies.set("obss_portal_session", "planted-by-an-attacker", path="/portal")
    answer = login(portal, "li.na")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/"
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith("obss_portal_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/portal" in cookie
    assert "Secure" not in cookie
    session_id = cookie.split(";", 1)[0].split("=", 1)[1]
    assert session_id != "planted-by-an-attacker"
    home = portal.get("/portal/")
    assert home.status_code == 200
    assert "li.na" in home.text
    token = csrf_of(home.text)
    out = portal.post("/portal/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/portal/login"
    # the old id no longer opens a session, even if replayed
    portal.cookies.set("obss_portal_session", session_id, path="/portal")
    again = portal.get("/portal/", follow_redirects=False)
    assert again.status_code == 303


def test_secure_cookies_when_configured(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENBSS_PORTAL_SECURE_COOKIES", "1")
    get_settings.cache_clear()
    make_user(session_factory, "secure")
    app = create_app(session_factory, dispatch_events=False)
    # a Secure cookie travels over HTTPS only
    with TestClient(app, base_url="https://testserver") as client:
        answer = login(client, "secure")
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith("obss_portal_session=")
    )
    assert "Secure" in cookie


def test_wrong_password_then_lockout_per_user(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "wang")
    for _ in range(5):
        wrong = login(portal, "wang", "not the password")
        assert wrong.status_code == 401
        assert "Wrong username or password." in wrong.text or "用户名或密码错误" in wrong.text
    locked = login(portal, "wang", PASSWORD)
    assert locked.status_code == 429
    assert "obss_portal_session=" not in (locked.headers.get("set-cookie") or "")
    # another user from the same address is not locked by these five failures
    make_user(session_factory, "zhao")
    assert login(portal, "zhao").status_code == 303


def test_lockout_per_source_address(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENBSS_PORTAL_LOCKOUT_ADDRESS_ATTEMPTS", "3")
    get_settings.cache_clear()
    make_user(session_factory, "victim")
    with TestClient(create_app(session_factory, dispatch_events=False)) as client:
        for name in ("guess1", "guess2", "guess3"):
            assert login(client, name, "password?").status_code == 401
        assert login(client, "victim").status_code == 429


def test_unknown_and_disabled_users_get_the_same_answer(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from openbss.auth import users
    from openbss.db.uow import unit_of_work

    make_user(session_factory, "gone")
    with unit_of_work(session_factory, writes=True) as session:
        users.disable_user(session, "gone")
    unknown = login(portal, "nobody")
    disabled = login(portal, "gone")
    assert unknown.status_code == disabled.status_code == 401


def test_unsafe_requests_without_the_csrf_token_are_refused(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "csr1")
    page = portal.get("/portal/login")
    no_token = portal.post("/portal/login", data={"username": "csr1", "password": PASSWORD})
    assert no_token.status_code == 403
    assert "obss_portal_session=" not in (no_token.headers.get("set-cookie") or "")
    bad = portal.post(
        "/portal/login",
        data={"username": "csr1", "password": PASSWORD, "csrf_token": csrf_of(page.text) + "x"},
    )
    assert bad.status_code == 403
    token = logged_in(portal, "csr1")
    form = {"kind": "organization", "name": "某某公司", "credit_code": VALID_USCC}
    form["phone"] = "02088886666"
    assert portal.post("/portal/customers/new", data=form).status_code == 403
    refused = portal.post("/portal/customers/new", data={**form, "csrf_token": "forged"})
    assert refused.status_code == 403
    assert "security token" in refused.text
    # nothing was created: searching the name finds nobody
    assert "No customer matches." in portal.get("/portal/customers", params={"q": "某某公司"}).text
    # the htmx header carries the token as well as the form field does
    by_header = portal.post(
        "/portal/customers/new", data=form, headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert by_header.status_code == 303
    assert portal.post("/portal/logout").status_code == 403


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_idle_and_absolute_session_expiry(
    portal: TestClient, session_factory: sessionmaker[Session], column: str
) -> None:
    make_user(session_factory, "idle")
    logged_in(portal, "idle")
    assert portal.get("/portal/", follow_redirects=False).status_code == 200
    settings = get_settings()
    age = (
        timedelta(minutes=settings.portal_session_idle_minutes, seconds=1)
        if column == "last_seen_at"
        else timedelta(hours=settings.portal_session_absolute_hours, seconds=1)
    )
    with session_factory.begin() as session:
        session.execute(update(UserSession).values({column: now() - age}))
    expired = portal.get("/portal/customers?q=x", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"] == "/portal/login?next=%2Fportal%2Fcustomers%3Fq%3Dx"


def test_language_switch_is_stored_per_user(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "lang", language="zh-CN")
    token = logged_in(portal, "lang")
    home = portal.get("/portal/")
    assert "退出" in home.text
    assert '<html lang="zh-CN">' in home.text
    switched = portal.post(
        "/portal/language",
        data={"language": "en", "next": "/portal/customers?q=x", "csrf_token": token},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/portal/customers?q=x"
    page = portal.get("/portal/customers")
    assert "Log out" in page.text
    assert "Find a customer" in page.text
    # stored: a new login in a fresh browser comes back in English
    with TestClient(create_app(session_factory, dispatch_events=False)) as other:
        logged_in(other, "lang")
        assert "Log out" in other.get("/portal/").text
    # an outside address in ``next`` is not followed
    away = portal.post(
        "/portal/language",
        data={"language": "zh-CN", "next": "https://evil.example/", "csrf_token": token},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/portal/"


def test_language_switch_before_login(portal: TestClient) -> None:
    page = portal.get("/portal/login")
    assert "登录客户服务系统" in page.text
    answer = portal.post(
        "/portal/language",
        data={"language": "en", "next": "/portal/login", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "Log in to customer service" in portal.get("/portal/login").text


def test_a_gd_csr_cannot_open_an_sh_customer(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "gd.csr", "csr", "GD")
    gd_party, _, _ = add_person(session_factory, "GD", "广", "东", 1)
    sh_party, _, sh_id = add_person(session_factory, "SH", "上", "海", 5)
    logged_in(portal, "gd.csr")
    assert portal.get(f"/portal/customers/{gd_party}").status_code == 200
    assert portal.get(f"/portal/customers/{sh_party}").status_code == 404
    for tab in ("party", "customer", "accounts", "products", "orders", "bills", "balance"):
        assert portal.get(f"/portal/customers/{sh_party}/tabs/{tab}").status_code == 404
        assert portal.get(f"/portal/customers/{sh_party}?tab={tab}").status_code == 404
    found = portal.get("/portal/customers", params={"q": sh_id})
    assert sh_party not in found.text
    assert "No customer matches." in found.text
    assert sh_party not in portal.get("/portal/customers", params={"q": "上海"}).text


def test_a_group_admin_sees_both_provinces(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "boss", "admin", None)
    sh_party, _, _ = add_person(session_factory, "SH", "上", "海", 5)
    logged_in(portal, "boss")
    page = portal.get(f"/portal/customers/{sh_party}")
    assert page.status_code == 200
    assert "上海" in page.text


def test_roles_the_api_refuses_are_refused(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "analyst", "analyst", "GD")
    make_user(session_factory, "partner", "partner", "GD")
    gd_party, _, _ = add_person(session_factory, "GD", "广", "东", 1)
    logged_in(portal, "partner")
    assert portal.get("/portal/customers", params={"q": "广东"}).status_code == 403
    portal.cookies.clear()
    logged_in(portal, "analyst")
    # the API lets an analyst search customers (TMF629 read) but not read parties (TMF632)
    assert portal.get("/portal/customers", params={"q": "广东"}).status_code == 200
    assert portal.get(f"/portal/customers/{gd_party}").status_code == 403
    page = portal.get("/portal/customers/new")
    token = csrf_of(page.text)
    form = {"kind": "organization", "name": "分析公司", "credit_code": VALID_USCC}
    form.update(phone="02088886666", csrf_token=token)
    assert portal.post("/portal/customers/new", data=form).status_code == 403


def test_search_by_name_identity_number_and_customer_id(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "finder")
    party_id, customer_id, resident_id = add_person(session_factory, "GD", "陈", "小明", 3)
    add_person(session_factory, "GD", "林", "大伟", 4)
    logged_in(portal, "finder")
    for query in ("陈", "陈小明", resident_id, customer_id):
        page = portal.get("/portal/customers", params={"q": query})
        assert page.status_code == 200
        assert f'href="/portal/customers/{party_id}"' in page.text, query
        assert "林大伟" not in page.text
    assert "1 customer found" in portal.get("/portal/customers", params={"q": "陈"}).text
    blank = portal.get("/portal/customers", params={"q": "*"})
    assert blank.status_code == 200
    assert 'aria-invalid="true"' in blank.text


def test_register_an_individual_and_an_organization(
    portal: TestClient, session_factory: sessionmaker[Session]
) -> None:
    make_user(session_factory, "clerk")
    token = logged_in(portal, "clerk")
    bad = portal.post(
        "/portal/customers/new",
        data={
            "kind": "individual",
            "family_name": "周",
            "given_name": "",
            "resident_id": "440106198005170011",
            "mobile": "123",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert 'aria-describedby="f-resident_id-error' in bad.text
    assert "check character of the resident identity number is wrong" in bad.text
    assert 'id="f-given_name-error" class="field-error" aria-live="polite">Field required' in (
        bad.text.replace("String should have at least 1 character", "Field required")
    )
    assert "not a valid phone number" in bad.text or "not a phone number" in bad.text
    assert 'value="周"' in bad.text  # what was typed stays
    good = portal.post(
        "/portal/customers/new",
        data={
            "kind": "individual",
            "family_name": "周",
            "given_name": "杰",
            # full-width digits typed through an input method are folded
            "resident_id": "４４０１０６１９８００５１７００２８",
            "mobile": "13312345678",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    page = portal.get(good.headers["location"])
    assert "Customer registered." in page.text
    assert "周杰" in page.text
    assert "440106198005170028" in page.text
    duplicate = portal.post(
        "/portal/customers/new",
        data={
            "kind": "individual",
            "family_name": "周",
            "given_name": "杰",
            "resident_id": "440106198005170028",
            "mobile": "13312345678",
            "csrf_token": token,
        },
    )
    assert duplicate.status_code == 422
    assert "already registered" in duplicate.text
    org = portal.post(
        "/portal/customers/new",
        data={
            "kind": "organization",
            "name": "福州某某科技有限公司",
            "credit_code": VALID_USCC,
            "phone": "059188886666",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert org.status_code == 303, org.text
    assert "福州某某科技有限公司" in portal.get(org.headers["location"]).text


def test_inline_identity_checks(portal: TestClient, session_factory: sessionmaker[Session]) -> None:
    make_user(session_factory, "inline")
    logged_in(portal, "inline")
    check = "/portal/customers/new/check"
    wrong = portal.get(f"{check}/resident_id", params={"resident_id": "440106198005170011"})
    assert wrong.status_code == 200
    assert "check character" in wrong.text
    right = portal.get(f"{check}/resident_id", params={"resident_id": "440106198005170028"})
    assert right.text == ""
    assert (
        "check character"
        in portal.get(f"{check}/credit_code", params={"credit_code": "91350100M000100Y44"}).text
    )
    assert portal.get(f"{check}/credit_code", params={"credit_code": VALID_USCC}).text == ""
    assert portal.get(f"{check}/nothing").status_code == 404


def test_pages_carry_security_headers(portal: TestClient) -> None:
    page = portal.get("/portal/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    script = portal.get("/portal/static/vendor/htmx.min.js")
    assert script.status_code == 200
    assert "no-store" not in script.headers.get("cache-control", "")
