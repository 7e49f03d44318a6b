"""The official TM Forum CTKs, run with newman against a real ``openbss serve`` process.

For each backend (a SQLite file, a fresh PostgreSQL database) the module starts one server the
way an operator would: ``openbss db upgrade``, ``openbss auth create-key --role admin
--province GD``, ``openbss serve --port <free port>``. Each CTK then runs through
``tests/ctk/run_ctk.js``, which adds the bearer token to every request and points the ids the
CTK payloads reference (product specification "9881", organizations "4665", "6838", "5965")
at data created here through the API. A pass is zero failed assertions.

The CTK files are read from ``../shared/tmf/`` beside the checkout (``OPENBSS_TMF_DIR``
overrides it); nothing from there is copied into the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, text

from openbss.party.identity import make_resident_id
from tests.conftest import PG_ADMIN_URL, _pg_available
from tests.support import need

pytestmark = pytest.mark.ctk

REPO_ROOT = Path(__file__).resolve().parents[2]
CTK_DIR = REPO_ROOT / "tests" / "ctk"
HARNESS = CTK_DIR / "run_ctk.js"
STARTUP_TIMEOUT = 60.0
BORN = date(1980, 1, 1)
CTK_TIMEOUT = 600.0


def tmf_dir() -> Path:
    return Path(os.environ.get("OPENBSS_TMF_DIR") or REPO_ROOT.parent / "shared" / "tmf")


def need_newman() -> str:
    node = shutil.which("node")
    need(node is not None, "node is not installed (the CTKs run with newman)")
    need(shutil.which("npm") is not None, "npm is not installed (the CTKs run with newman)")
    need(
        (CTK_DIR / "node_modules" / "newman" / "package.json").is_file(),
        "newman is not installed: run `npm ci --prefix tests/ctk`",
    )
    assert node is not None
    return node


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def openbss(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "openbss.cli.main", *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        missing_table = any(
            marker in done.stderr
            for marker in ("no such table", "UndefinedTable", "does not exist")
        )
        hint = (
            "hint: a table is missing after `openbss db upgrade` — the migrations in "
            "migrations/versions/ do not create every table the models define\n"
            if missing_table
            else ""
        )
        pytest.fail(
            f"`openbss {' '.join(args)}` exited {done.returncode}\n{hint}"
            f"stdout:\n{done.stdout}\nstderr (last 3000 characters):\n{done.stderr[-3000:]}"
        )
    return done


@dataclass
class LiveServer:
    """A running ``openbss serve`` with an admin key of province GD."""

    url: str  # http://127.0.0.1:<port>, no trailing slash
    token: str
    log_path: Path
    workdir: Path
    env: dict[str, str]  # the OPENBSS_* settings the server runs with

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a resource through the API, or fail the test naming what is missing."""
        response = httpx.post(f"{self.url}{path}", json=body, headers=self.headers, timeout=30)
        if response.status_code != 201:
            pytest.fail(
                f"cannot create the data this CTK references: POST {path} answered "
                f"{response.status_code}: {response.text[:500]}"
            )
        created: dict[str, Any] = response.json()
        return created

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    need(_pg_available(), f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"openbss_ctk_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"`openbss serve` exited with {process.returncode}:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"`openbss serve` did not answer /health within {STARTUP_TIMEOUT:.0f}s")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    need_newman()
    need(tmf_dir().is_dir(), f"the TMF CTK folder is missing: {tmf_dir()} (set OPENBSS_TMF_DIR)")
    workdir = tmp_path_factory.mktemp(f"ctk-{request.param}")
    cleanups: list[Callable[[], None]] = []
    if request.param == "sqlite":
        database_url = f"sqlite:///{workdir / 'openbss.db'}"
    else:
        database_url, drop = _create_pg_database()
        cleanups.append(drop)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OPENBSS_DATABASE_URL": database_url,
        "OPENBSS_DATA_DIR": str(workdir / "data"),
        "OPENBSS_PUBLIC_URL": url,
    }
    try:
        openbss("db", "upgrade", env=env, cwd=workdir)
        token = openbss(
            "auth", "create-key", "--role", "admin", "--province", "GD", env=env, cwd=workdir
        ).stdout.strip()
        assert token.startswith("obss_"), f"create-key printed {token!r}"
        log_path = workdir / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "openbss.cli.main", "serve", "--host", "127.0.0.1",
                 "--port", str(port)],
                env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        cleanups.append(lambda: _stop(process))
        _wait_healthy(url, process, log_path)
        settings = {k: v for k, v in env.items() if k.startswith("OPENBSS_")}
        yield LiveServer(url=url, token=token, log_path=log_path, workdir=workdir, env=settings)
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


# ----- the harness ----------------------------------------------------------------------------


@dataclass
class CtkResult:
    returncode: int
    report: dict[str, Any] | None
    output: str

    @property
    def failures(self) -> list[dict[str, str]]:
        return list((self.report or {}).get("failures", []))

    def describe(self, limit: int = 60) -> str:
        if self.report is None:
            return f"the harness wrote no report (exit {self.returncode}):\n{self.output[-4000:]}"
        stats = self.report["stats"]
        lines = [
            f"{stats['assertionsFailed']} of {stats['assertions']} assertions failed "
            f"({stats['requests']} requests, {len(self.failures)} failures, exit {self.returncode})"
        ]
        lines += [
            f"  [{f['item']}] {f['assertion']}: {f['message']}" for f in self.failures[:limit]
        ]
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more")
        return "\n".join(lines)


def run_ctk(
    collection: Path,
    env_var: str,
    base_url: str,
    token: str,
    workdir: Path,
    rewrites: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> CtkResult:
    node = need_newman()
    stem = f"{collection.stem}-{uuid.uuid4().hex[:6]}"
    report = workdir / f"{stem}.report.json"
    rewrites_file = workdir / f"{stem}.rewrites.json"
    rewrites_file.write_text(json.dumps(rewrites or {}))
    command = [node, str(HARNESS), str(collection), env_var, base_url, token, str(rewrites_file),
               str(report)]  # fmt: skip
    env = {**os.environ, "CTK_QUIET": "1", **(extra_env or {})}
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=CTK_TIMEOUT
    )
    parsed = json.loads(report.read_text()) if report.is_file() else None
    return CtkResult(done.returncode, parsed, done.stdout + done.stderr)


# ----- the CTKs -------------------------------------------------------------------------------


def no_data(_server: LiveServer) -> dict[str, str]:
    return {}


def catalog_data(server: LiveServer) -> dict[str, str]:
    """The ProductOffering payload references productSpecification "9881"."""
    spec = server.post(
        "/tmf-api/productCatalogManagement/v4/productSpecification",
        {"name": "Robotics999", "version": "1.1"},
    )
    return {"9881": spec["id"]}


def account_data(server: LiveServer) -> dict[str, str]:
    """PartyAccount, BillingAccount and SettlementAccount reference organizations by id."""
    rewrites = {}
    for placeholder, name in (
        ("4665", "John Doe"),
        ("6838", "Richard Cole"),
        ("5965", "Jimmy Doe"),
    ):
        org = server.post("/tmf-api/party/v4/organization", {"tradingName": name, "name": name})
        rewrites[placeholder] = org["id"]
    return rewrites


def _bundle_order(customer_id: str, account_id: str, n: int) -> dict[str, Any]:
    return {
        "externalId": f"CTK-{n}",
        "channel": [{"id": "retailHall", "role": "salesChannel"}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account_id},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "CT-PO-BUNDLE-FIXED-ADSL"},
                "product": {
                    "place": [
                        {
                            "role": "installationAddress",
                            "city": "广州",
                            "street1": f"体育西路 {n} 号",
                        }
                    ]
                },
            }
        ],
    }


def _customer_with_account(
    server: LiveServer, family: str, resident_id: str
) -> tuple[str, str, str]:
    party = server.post(
        "/tmf-api/party/v4/individual",
        {
            "familyName": family,
            "givenName": "测试",
            "individualIdentification": [
                {"identificationType": "ResidentIdentityCard", "identificationId": resident_id}
            ],
        },
    )
    customer = server.post(
        "/tmf-api/customerManagement/v4/customer",
        {"name": family, "engagedParty": {"id": party["id"], "@referredType": "Individual"}},
    )
    account = server.post(
        "/tmf-api/accountManagement/v4/billingAccount",
        {
            "name": f"{family} 账户",
            "relatedParty": [{"id": party["id"], "role": "owner", "@referredType": "Individual"}],
        },
    )
    return party["id"], customer["id"], account["id"]


def ordering_data(server: LiveServer) -> dict[str, str]:
    """The ProductOrder payload names individual "456-dd-df45": a real customer's party."""
    party_id, _, _ = _customer_with_account(server, "王", make_resident_id("440106", BORN, 2))
    return {"456-dd-df45": party_id}


def inventory_data(server: LiveServer) -> dict[str, str]:
    """Products come from real orders: the master catalog and number pools are seeded, a
    customer orders two fixed line + broadband bundles, and the server's orchestration
    provisions them through the simulated network elements until they are active."""
    env = {**os.environ, **server.env}
    openbss("seed", "catalog", env=env, cwd=server.workdir)
    openbss("numbers", "seed", "--province", "GD", env=env, cwd=server.workdir)
    catalog = httpx.get(
        f"{server.url}/tmf-api/productCatalogManagement/v4/productOffering?code=CT-PO-BUNDLE-FIXED-ADSL",
        headers=server.headers,
        timeout=30,
    ).json()
    offering_id = catalog[0]["id"]
    resident_id = make_resident_id("440106", BORN, 3)
    _, customer_id, account_id = _customer_with_account(server, "赵", resident_id)
    order_ids = []
    for n in (1, 2):
        body = _bundle_order(customer_id, account_id, n)
        body["productOrderItem"][0]["productOffering"]["id"] = offering_id
        order_ids.append(
            server.post("/tmf-api/productOrderingManagement/v4/productOrder", body)["id"]
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [
            httpx.get(
                f"{server.url}/tmf-api/productOrderingManagement/v4/productOrder/{order_id}",
                headers=server.headers,
                timeout=30,
            ).json()["state"]
            for order_id in order_ids
        ]
        if all(state == "completed" for state in states):
            return {}
        time.sleep(0.5)
    pytest.fail(f"the orders did not complete within 60 s: {states}\n{server.log_tail()}")


def inventory_products_exist(server: LiveServer) -> dict[str, str]:
    """The ODA folder reads the same inventory; order it first when run on its own."""
    listed = httpx.get(
        f"{server.url}/tmf-api/productInventory/v4/product?limit=1",
        headers=server.headers,
        timeout=30,
    ).json()
    return {} if listed else inventory_data(server)


def usage_data(server: LiveServer) -> dict[str, str]:
    """The Usage payload references usage specification "af59-b504c742900e"."""
    spec = server.post(
        "/tmf-api/usageManagement/v4/usageSpecification", {"name": "Voice-Usage-Specification"}
    )
    return {"af59-b504c742900e": spec["id"]}


def _wait_completed(server: LiveServer, order_ids: list[str]) -> None:
    deadline = time.monotonic() + 60
    states: list[str] = []
    while time.monotonic() < deadline:
        states = [
            httpx.get(
                f"{server.url}/tmf-api/productOrderingManagement/v4/productOrder/{order_id}",
                headers=server.headers,
                timeout=30,
            ).json()["state"]
            for order_id in order_ids
        ]
        if all(state == "completed" for state in states):
            return
        time.sleep(0.5)
    pytest.fail(f"the orders did not complete within 60 s: {states}\n{server.log_tail()}")


def _fixed_number(server: LiveServer, account_id: str) -> str:
    """The number (E.164) of the account's fixed line, as the inventory shows it."""
    products = httpx.get(
        f"{server.url}/tmf-api/productInventory/v4/product",
        params={"limit": 1000},
        headers=server.headers,
        timeout=30,
    ).json()
    for product in products:
        serial = str(product.get("productSerialNumber", ""))
        if product.get("billingAccount", {}).get("id") == account_id and serial.startswith("+86"):
            return serial
    pytest.fail(f"no fixed line number among the account's products: {products}")


def _call(number: str, called: str, seconds: int, ref: str) -> dict[str, Any]:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    return {
        "usageDate": at.isoformat().replace("+00:00", "Z"),
        "usageType": "voice",
        "usageCharacteristic": [
            {"name": "callingNumber", "value": number},
            {"name": "calledNumber", "value": called},
            {"name": "duration", "value": seconds},
            {"name": "callReference", "value": ref},
            {"name": "switchId", "value": "SP-PLATFORM"},
        ],
    }


def billing_data(server: LiveServer) -> dict[str, str]:
    """The CustomerBillOnDemand payload names billing account "A0815": a real account of the
    server's province. The collection reads the bills and lines it finds, so they come from a
    real bill run, through the server's own ways in: the catalog and number pools seeded, a
    customer's fixed line + broadband bundle ordered through TMF622 and provisioned, two calls
    pushed through TMF635 and mediated, the period rated and billed with the CLI. The period
    is the one open now (the products start today); its bills are finalised, so the customer
    bill on demand the collection asks for is the rest of the same cycle."""
    env = {**os.environ, **server.env}
    openbss("seed", "catalog", env=env, cwd=server.workdir)
    openbss("numbers", "seed", "--province", "GD", env=env, cwd=server.workdir)
    catalog = httpx.get(
        f"{server.url}/tmf-api/productCatalogManagement/v4/productOffering?code=CT-PO-BUNDLE-FIXED-ADSL",
        headers=server.headers,
        timeout=30,
    ).json()
    _, customer_id, account_id = _customer_with_account(
        server, "钱", make_resident_id("440106", BORN, 678)
    )
    body = _bundle_order(customer_id, account_id, 678)
    body["productOrderItem"][0]["productOffering"]["id"] = catalog[0]["id"]
    _wait_completed(
        server, [server.post("/tmf-api/productOrderingManagement/v4/productOrder", body)["id"]]
    )
    number = _fixed_number(server, account_id)
    for ref, called, seconds in (("ctk-1", "02087654321", 200), ("ctk-2", "01062345678", 61)):
        server.post("/tmf-api/usageManagement/v4/usage", _call(number, called, seconds, ref))
    openbss("mediation", "pushed", "--province", "GD", env=env, cwd=server.workdir)
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    openbss(
        "rating", "run", "--period", period, "--province", "GD", "--workers", "1",
        "--partitions", "1", env=env, cwd=server.workdir,
    )  # fmt: skip
    openbss("billing", "run", "--period", period, "--province", "GD", env=env, cwd=server.workdir)
    bills = httpx.get(
        f"{server.url}/tmf-api/customerBillManagement/v4/customerBill",
        params={"billingAccount.id": account_id},
        headers=server.headers,
        timeout=30,
    ).json()
    if not bills or not bills[0]["amountDue"]["value"]:
        pytest.fail(f"the bill run made no bill of the account: {bills}\n{server.log_tail()}")
    return {"A0815": account_id}


def payment_data(server: LiveServer) -> dict[str, str]:
    """The Payment payload pays billing account "15463151" with payment method
    "15492MIFB865654" (a voucher) in EUR: a real account of the server's province, a cash
    payment method created through TMF670, and the amount in CNY, the currency the books
    are kept in (the harness rewrites ``unit`` members "EUR" to "CNY")."""
    _, _, account_id = _customer_with_account(server, "孙", make_resident_id("440106", BORN, 676))
    method = server.post(
        "/tmf-api/paymentMethod/v4/paymentMethod",
        {"@type": "Cash", "name": "营业厅现金", "account": [{"id": account_id}]},
    )
    return {"15463151": account_id, "15492MIFB865654": method["id"], "unit=EUR": "CNY"}


def prepay_data(server: LiveServer) -> dict[str, str]:
    """The TopupBalance, AdjustBalance and ReserveBalance payloads reference bucket "11",
    product "d3ba9b4b-…" and customer "5", with amounts in EUR: a real product from a real
    order (as for TMF637), a money bucket of it created through TMF654 holding 100 CNY, the
    product's customer, and the amounts in CNY."""
    inventory_products_exist(server)
    products = httpx.get(
        f"{server.url}/tmf-api/productInventory/v4/product",
        params={"limit": 1},
        headers=server.headers,
        timeout=30,
    ).json()
    product = products[0]
    customer = next(p["id"] for p in product["relatedParty"] if p.get("role") == "customer")
    bucket = server.post(
        "/tmf-api/prepayBalanceManagement/v4/bucket",
        {
            "usageType": "monetary",
            "product": [{"id": product["id"]}],
            "remainingValue": {"amount": 100, "units": "CNY"},
        },
    )
    return {
        "11": bucket["id"],
        "d3ba9b4b-781a-42a7-9976-12fb826f6b99": product["id"],
        "5": customer,
        "units=EUR": "CNY",
    }


@dataclass(frozen=True)
class Ctk:
    collection: str  # relative to the TMF folder
    env_var: str
    base_path: str  # with the trailing slash
    data: Callable[[LiveServer], dict[str, str]]


CTKS = {
    "TMF632-v4.0.0": Ctk(
        "TMF632/ctk-v4.0.0/TMF632-Party-v4.0.0.testkit.json", "Party", "/tmf-api/party/v4/", no_data
    ),
    "TMF620-v4.0.0": Ctk(
        "TMF620/ctk-v4.0.0/CTK-Product_Catalog-4.0.0.postman_collection.json",
        "Product_Catalog",
        "/tmf-api/productCatalogManagement/v4/",
        catalog_data,
    ),
    "TMF620-v4.1.0-oda": Ctk(
        "TMF620/ctk-v4.1.0-oda/CTK-Product_Catalog-4.0.0.postman_collection.json",
        "Product_Catalog",
        "/tmf-api/productCatalogManagement/v4/",
        catalog_data,
    ),
    "TMF666-v4.0.0": Ctk(
        "TMF666/ctk-v4.0.0/CTK-Account-4.0.0.postman_collection.json",
        "Account",
        "/tmf-api/accountManagement/v4/",
        account_data,
    ),
    "TMF635-v4.0.0": Ctk(
        "TMF635/ctk-v4.0.0/CTK-Usage-4.0.0.postman_collection.json",
        "Usage",
        "/tmf-api/usageManagement/v4/",
        usage_data,
    ),
    "TMF622-v4.0.0": Ctk(
        "TMF622/ctk-v4.0.0/TMF622-ProductOrdering-v4.0.0.testkit.json",
        "Product_Ordering",
        "/tmf-api/productOrderingManagement/v4/",
        ordering_data,
    ),
    # TMF637 comes after the ordering CTK on purpose: its products come from orders.
    "TMF637-v4.0.0": Ctk(
        "TMF637/ctk-v4.0.0/TMF637-ProductInventory-v4.0.0.testkit.json",
        "Product_Inventory",
        "/tmf-api/productInventory/v4/",
        inventory_data,
    ),
    "TMF637-v4.0.0-oda": Ctk(
        "TMF637/ctk-v4.0.0-oda/TMF637-ProductInventory-v4.0.0.testkit.json",
        "Product_Inventory",
        "/tmf-api/productInventory/v4/",
        inventory_products_exist,
    ),
    "TMF678-v4.0.0": Ctk(
        "TMF678/ctk-v4.0.0/CTK-Customer_Bill-4.0.postman_collection.json",
        "Customer_Bill",
        "/tmf-api/customerBillManagement/v4/",
        billing_data,
    ),
    "TMF676-v4.0.0": Ctk(
        "TMF676/ctk-v4.0.0/CTK-Payment-4.0.0.postman_collection.json",
        "Payment",
        "/tmf-api/paymentManagement/v4/",
        payment_data,
    ),
    "TMF669-v4.0.0": Ctk(
        "TMF669/ctk-v4.0.0/TMF669-PartyRole-v4.0.0.testkit.json",
        "Party_Role",
        "/tmf-api/partyRoleManagement/v4/",
        no_data,
    ),
    # An R18 kit: it writes `{{PartnershipTypeManagementAPI}}/partnershipType`, and the harness
    # gives such collections the base URL without its last slash.
    "TMF668-r18.0": Ctk(
        "TMF668/ctk-r18.0/CTK-TMF668-PartnershipTypeManagement.postman_collection.json",
        "PartnershipTypeManagementAPI",
        "/tmf-api/partnershipManagement/v4/",
        no_data,
    ),
    # The folder holds two collections with the same content (CTK-PrepayBalance-4.0.0 and
    # pmtest.json, equal as JSON): the named one runs.
    "TMF654-v4.0.0": Ctk(
        "TMF654/ctk-v4.0.0/CTK-PrepayBalance-4.0.0.postman_collection.json",
        "PrepayBalance",
        "/tmf-api/prepayBalanceManagement/v4/",
        prepay_data,
    ),
}


def collection_path(relative: str) -> Path:
    path = tmf_dir() / relative
    need(path.is_file(), f"CTK collection not found: {path} (set OPENBSS_TMF_DIR)")
    return path


@pytest.mark.parametrize("name", list(CTKS))
def test_ctk_passes_with_zero_failed_assertions(live_server: LiveServer, name: str) -> None:
    ctk = CTKS[name]
    collection = collection_path(ctk.collection)
    need_newman()
    rewrites = ctk.data(live_server)
    result = run_ctk(
        collection,
        ctk.env_var,
        live_server.url + ctk.base_path,
        live_server.token,
        live_server.workdir,
        rewrites,
    )
    server_errors = [f for f in result.failures if "got 500" in f["message"]]
    context = f"\nserver log:\n{live_server.log_tail()}" if server_errors else ""
    assert result.returncode == 0 and not result.failures, f"{name}: {result.describe()}{context}"
    assert result.report is not None and result.report["stats"]["assertions"] > 0
    print(f"{name}: {result.report['stats']['assertions']} assertions, 0 failed")


# ----- the harness can fail, and it prepares collections as documented ------------------------


def test_harness_fails_against_a_wrong_base_path(live_server: LiveServer) -> None:
    collection = collection_path(CTKS["TMF632-v4.0.0"].collection)
    result = run_ctk(
        collection, "Party", f"{live_server.url}/tmf-api/noSuchApi/v4/", live_server.token,
        live_server.workdir,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    assert result.report is not None
    assert result.report["stats"]["assertionsFailed"] > 0
    assert any("got 404" in f["message"] for f in result.failures), result.describe()
    assert "CTK FAILED" in result.output


def test_harness_fails_with_a_wrong_token(live_server: LiveServer) -> None:
    collection = collection_path(CTKS["TMF632-v4.0.0"].collection)
    bogus = "obss_0000000000000000_" + "x" * 43
    result = run_ctk(
        collection, "Party", f"{live_server.url}/tmf-api/party/v4/", bogus, live_server.workdir
    )
    assert result.returncode == 1, result.output
    assert any("got 401" in f["message"] for f in result.failures), result.describe()


TEMPLATED_BODY = '{"a": {{X}}, "ref": {"id" : "9881", "href": "/x/9881"}, "other": "9881"}'


def _synthetic_collection(base_var: str) -> dict[str, Any]:
    """Bearer auth with a wrong token at every level, a nested id reference, a templated body."""
    wrong_auth = {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "wrong", "type": "string"}],
    }
    check_200 = {
        "listen": "test",
        "script": {"exec": ["pm.test('Status code is 200', function () {",
                            "  pm.response.to.have.status(200); });"], "type": "text/javascript"},
    }  # fmt: skip
    body = {
        "name": "x",
        "productSpecification": {
            "id": "9881",
            "href": "https://example.invalid/productSpecification/9881",
            "note": "9881",
        },
        "relatedParty": [{"id": "4665", "role": "owner"}, {"id": "98810"}],
    }
    return {
        "info": {
            "name": "synthetic",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": wrong_auth,
        "item": [
            {
                "name": "folder",
                "auth": wrong_auth,
                "item": [
                    {
                        "name": "list with item auth",
                        "event": [check_200],
                        "request": {
                            "method": "GET",
                            "auth": wrong_auth,
                            "header": [{"key": "authorization", "value": "Bearer wrong"}],
                            "url": f"{{{{{base_var}}}}}individual",
                        },
                    },
                    {
                        "name": "json body",
                        "request": {
                            "method": "POST",
                            "url": "http://127.0.0.1:9/unused",
                            "body": {"mode": "raw", "raw": json.dumps(body)},
                        },
                    },
                    {
                        "name": "templated body",
                        "request": {
                            "method": "POST",
                            "url": "http://127.0.0.1:9/unused",
                            "body": {
                                "mode": "raw",
                                "raw": TEMPLATED_BODY,
                            },
                        },
                    },
                ],
            }
        ],
    }


def test_harness_injects_the_token_and_rewrites_ids_precisely(
    live_server: LiveServer, tmp_path: Path
) -> None:
    collection = tmp_path / "synthetic.json"
    collection.write_text(json.dumps(_synthetic_collection("Party")))
    dumped = tmp_path / "prepared.json"
    result = run_ctk(
        collection,
        "Party",
        f"{live_server.url}/tmf-api/party/v4/",
        live_server.token,
        tmp_path,
        {"9881": "spec-1", "4665": "org-1"},
        extra_env={"CTK_DUMP_COLLECTION": str(dumped)},
    )
    prepared = json.loads(dumped.read_text())
    assert prepared["auth"] == {"type": "noauth"}
    folder = prepared["item"][0]
    assert folder["auth"] == {"type": "noauth"}
    listing, json_body, templated = folder["item"]
    for item in folder["item"]:
        auth_headers = [h for h in item["request"]["header"] if h["key"].lower() == "authorization"]
        assert auth_headers == [
            {"key": "Authorization", "value": f"Bearer {live_server.token}", "type": "text"}
        ]
    assert listing["request"]["auth"] == {"type": "noauth"}
    rewritten = json.loads(json_body["request"]["body"]["raw"])
    assert rewritten["productSpecification"] == {
        "id": "spec-1",
        "href": "https://example.invalid/productSpecification/9881",
        "note": "9881",
    }
    assert rewritten["relatedParty"] == [{"id": "org-1", "role": "owner"}, {"id": "98810"}]
    assert templated["request"]["body"]["raw"] == TEMPLATED_BODY.replace(
        '"id" : "9881"', '"id" : "spec-1"'
    )
    # The real request with a wrong bearer token at every auth level still authenticated (200);
    # the two requests to a closed port fail, so the run as a whole fails.
    assert result.report is not None
    failed_items = {f["item"] for f in result.failures}
    assert "list with item auth" not in failed_items, result.describe()
    assert failed_items == {"json body", "templated body"}, result.describe()
    assert result.returncode == 1
