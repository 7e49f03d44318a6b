"""A crawler over the whole portal: logged in as an admin and as a CSR, it follows every link
and htmx fragment under /portal and submits every form it finds — empty, and with malformed
values (overlong, markup, SQL quotes, full-width digits, wrong types, control characters).

No answer may be a 500, no submitted markup may come back unescaped, and every unsafe request
sent without its CSRF token must be refused with 403. Forms are discovered from the HTML, so
screens added later are covered without changing this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from openbss.api.app import create_app
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.registry import metadata
from openbss.seed.demo import seed_demo
from openbss.seed.subscriptions import seed_subscriptions
from tests.portal_support import add_person, logged_in, make_user

MAX_PAGES = 120
SCRIPT = "<script>alert(1)</script>"
MALFORMED = (
    "x" * 5000,
    SCRIPT,
    "' OR '1'='1'; --",
    '"; DROP TABLE customer; --',
    "１３３１２３４５６７８",
    "-1",
    "1e309",
    "NaN",
    "[]",
    "😀" * 3,
    "../../etc/passwd",
    "a\x00b",
)


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, value)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return self.method, self.action, tuple(sorted(name for name, _, _ in self.fields))


class PageParser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self.labelled: set[str] = set()
        self.inputs: list[str] = []  # ids (or names, when without id) of fields people fill

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for attr in ("href", "hx-get"):
            if attr in a and tag != "link":
                self.links.append(urljoin(self.base, a[attr]))
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            self.inputs.append(a.get("id") or f"(no id) {a.get('name')}")
        if tag == "input" and a.get("hx-get") and a.get("name"):
            # an inline check: a GET of the field's value alone, fuzzed like a form
            check = Form("GET", urljoin(self.base, a["hx-get"]), [(a["name"], "text", "")])
            self.forms.append(check)
        if tag == "form":
            action = urljoin(self.base, a.get("action") or self.base)
            self._form = Form(a.get("method", "get").upper(), action)
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "button") and a.get("name"):
            self._form.fields.append((a["name"], a.get("type", tag), a.get("value", "")))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.fields.append((a["name"], "select", ""))
        elif self._form is not None and tag == "option" and self._select and "selected" in a:
            self._form.fields[-1] = (self._select, "select", a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A small demo province (customers, accounts, subscribed products, orders), one SH
    customer, and the users the crawl logs in as."""
    path = Path(tmp_path_factory.mktemp("crawl")) / "crawl.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        seed_demo(session, "GD", 4, 1)
    seed_subscriptions(factory, "GD", 3)
    add_person(factory, "SH", "上", "海", 7)
    make_user(factory, "crawl.admin", "admin", "GD")
    make_user(factory, "crawl.csr", "csr", "GD")
    yield factory
    engine.dispose()


def _portal_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/portal"):
        return None
    if parts.path.startswith("/portal/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Crawl:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token
        self.problems: list[str] = []
        self.requests = 0

    def check(self, what: str, response: object, expect: int | None = None) -> None:
        self.requests += 1
        status = response.status_code  # type: ignore[attr-defined]
        text = response.text  # type: ignore[attr-defined]
        if status >= 500:
            self.problems.append(f"{status} {what}")
        if expect is not None and status != expect:
            self.problems.append(f"{status} instead of {expect}: {what}")
        if SCRIPT in text:
            self.problems.append(f"unescaped markup echoed: {what}")


def _variants(form: Form) -> Iterator[tuple[str, dict[str, str]]]:
    editable = [(n, t) for n, t, _ in form.fields if t not in ("hidden", "submit", "button")]
    hidden = {n: v for n, t, v in form.fields if t in ("hidden", "submit", "button")}
    yield "empty", {**hidden, **{n: "" for n, _ in editable}}
    for value in MALFORMED:
        label = repr(value[:20])
        yield f"visible={label}", {**hidden, **{n: value for n, _ in editable}}
        everything = {n: value for n, _, _ in form.fields if n != "csrf_token"}
        yield f"all={label}", {**hidden, **everything}


def _submit(crawl: Crawl, form: Form) -> None:
    path = _portal_path(form.action)
    if path is None:
        return
    ends_session = path.startswith("/portal/logout")
    for label, values in _variants(form):
        values.pop("csrf_token", None)
        what = f"{form.method} {path} [{label}]"
        if form.method == "GET":
            crawl.check(what, crawl.client.get(path, params=values, follow_redirects=False))
            continue
        refused = crawl.client.post(path, data=values, follow_redirects=False)
        crawl.check(f"{what} without CSRF", refused, expect=403)
        if not ends_session:
            answer = crawl.client.post(
                path, data={**values, "csrf_token": crawl.token}, follow_redirects=False
            )
            crawl.check(what, answer)


def crawl_portal(client: TestClient, token: str, start: list[str]) -> Crawl:
    crawl = Crawl(client, token)
    queue = list(start)
    seen: set[str] = set()
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or path.startswith("/portal/logout"):
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=False)
        crawl.check(f"GET {path}", response)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = PageParser(f"http://testserver{path}")
        parser.feed(response.text)
        for unlabelled in set(parser.inputs) - parser.labelled:
            crawl.problems.append(f"no <label for> for {unlabelled} on {path}")
        for link in parser.links:
            found = _portal_path(link)
            if found is not None and found not in seen:
                queue.append(found)
        for form in parser.forms:
            forms.setdefault(form.key, form)
    assert len(seen) >= 10, f"the crawl found too few pages: {sorted(seen)}"
    for form in forms.values():
        _submit(crawl, form)
    return crawl


@pytest.mark.slow
@pytest.mark.parametrize("username", ["crawl.admin", "crawl.csr"])
def test_crawl_every_page_and_form(seeded: sessionmaker[Session], username: str) -> None:
    from openbss.customer.public import customers_named
    from openbss.kit.security import SYSTEM

    with seeded() as session:
        names = [c.name for c in customers_named(session, SYSTEM, "*", 10)]
    app = create_app(seeded, dispatch_events=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = logged_in(client, username)
        start = ["/portal/", "/portal/customers/new?kind=organization", "/portal/nowhere"]
        start += [f"/portal/customers?q={name}" for name in names]
        crawl = crawl_portal(client, token, start)
        # still logged in: the crawl never submitted the logout form with its token
        assert client.get("/portal/", follow_redirects=False).status_code == 200
    assert crawl.requests > 200
    assert crawl.problems == []
