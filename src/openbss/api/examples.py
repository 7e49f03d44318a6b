"""Examples shown in the OpenAPI document for the main TMF resources.

Each is what the API answers (``RESPONSES``) or takes (``REQUESTS``); the test suite checks
every example against the schema it illustrates, so they cannot drift from the contract.
Identifiers and numbers are made up; phone numbers are from the 555 fictional range style.
"""

from __future__ import annotations

from typing import Any

BASE = "https://bss.example.cn"
PARTY = f"{BASE}/tmf-api/party/v4"
CUSTOMER = f"{BASE}/tmf-api/customerManagement/v4"
ACCOUNT = f"{BASE}/tmf-api/accountManagement/v4"
CATALOG = f"{BASE}/tmf-api/productCatalogManagement/v4"
ORDERING = f"{BASE}/tmf-api/productOrderingManagement/v4"
INVENTORY = f"{BASE}/tmf-api/productInventory/v4"

_INDIVIDUAL_ID = "0193c9a8-5e1f-7b2a-9d3c-1f2e3d4c5b6a"
_CUSTOMER_ID = "0193c9a8-6a10-7c4d-8e5f-0a1b2c3d4e5f"
_ACCOUNT_ID = "0193c9a8-7b21-7d5e-9f60-1b2c3d4e5f60"
_OFFERING_ID = "0193c9a8-8c32-7e6f-a071-2c3d4e5f6071"
_ORDER_ID = "0193c9a8-9d43-7f70-b182-3d4e5f607182"
_PRODUCT_ID = "0193c9a8-ae54-7081-c293-4e5f60718293"

REQUESTS: dict[str, dict[str, Any]] = {
    "Individual": {
        "@type": "Individual",
        "familyName": "王",
        "givenName": "小明",
        "gender": "male",
        "birthDate": "1985-04-12",
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {"contactType": "mobile", "phoneNumber": "+86 189 0000 0000"},
            }
        ],
        "individualIdentification": [
            {"identificationType": "身份证", "identificationId": "11010519491231002X"}
        ],
    },
    "Organization": {
        "@type": "Organization",
        "tradingName": "广州示例科技有限公司",
        "isLegalEntity": True,
        "organizationIdentification": [
            {"identificationType": "统一社会信用代码", "identificationId": "91350100M000100Y43"}
        ],
    },
    "Customer": {
        "@type": "Customer",
        "name": "王小明",
        "engagedParty": {"id": _INDIVIDUAL_ID, "@referredType": "Individual"},
    },
    "BillingAccount": {
        "@type": "BillingAccount",
        "name": "王小明 家庭账户",
        "accountType": "individual",
        "relatedParty": [{"id": _INDIVIDUAL_ID, "role": "owner", "@referredType": "Individual"}],
    },
    "ProductOffering": {
        "@type": "ProductOffering",
        "name": "天翼 畅享 129",
        "description": "Mobile plan: 1,000 minutes and 30 GB a month",
        "isBundle": False,
        "isSellable": True,
        "lifecycleStatus": "Active",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
    },
    "ProductOrder": {
        "@type": "ProductOrder",
        "externalId": "SHOP-20261203-0001",
        "description": "New mobile line",
        "relatedParty": [{"id": _CUSTOMER_ID, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": _ACCOUNT_ID, "@referredType": "BillingAccount"},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "quantity": 1,
                "productOffering": {"id": _OFFERING_ID, "name": "天翼 畅享 129"},
            }
        ],
    },
}


def _answer(resource_type: str, resource_id: str, href: str, **server: Any) -> dict[str, Any]:
    return {"id": resource_id, "href": href, **REQUESTS[resource_type], **server}


RESPONSES: dict[str, dict[str, Any]] = {
    "Individual": _answer(
        "Individual",
        _INDIVIDUAL_ID,
        f"{PARTY}/individual/{_INDIVIDUAL_ID}",
        status="validated",
    ),
    "Organization": _answer(
        "Organization",
        "0193c9a8-5e1f-7b2a-9d3c-aaaaaaaaaaaa",
        f"{PARTY}/organization/0193c9a8-5e1f-7b2a-9d3c-aaaaaaaaaaaa",
    ),
    "Customer": _answer(
        "Customer",
        _CUSTOMER_ID,
        f"{CUSTOMER}/customer/{_CUSTOMER_ID}",
        status="Approved",
    ),
    "BillingAccount": _answer(
        "BillingAccount",
        _ACCOUNT_ID,
        f"{ACCOUNT}/billingAccount/{_ACCOUNT_ID}",
        state="Active",
    ),
    "ProductOffering": _answer(
        "ProductOffering",
        _OFFERING_ID,
        f"{CATALOG}/productOffering/{_OFFERING_ID}",
        lastUpdate="2026-01-01T00:00:00Z",
    ),
    "ProductOrder": _answer(
        "ProductOrder",
        _ORDER_ID,
        f"{ORDERING}/productOrder/{_ORDER_ID}",
        state="acknowledged",
        orderDate="2026-12-03T02:15:00Z",
    ),
    "Product": {
        "id": _PRODUCT_ID,
        "href": f"{INVENTORY}/product/{_PRODUCT_ID}",
        "@type": "Product",
        "name": "天翼 畅享 129",
        "status": "active",
        "startDate": "2026-12-03T02:20:00Z",
        "productOffering": {"id": _OFFERING_ID, "name": "天翼 畅享 129"},
        "relatedParty": [{"id": _CUSTOMER_ID, "role": "customer", "@referredType": "Customer"}],
        "statusHistory": [
            {
                "status": "active",
                "validFor": {"startDateTime": "2026-12-03T02:20:00Z"},
                "productOffering": {"id": _OFFERING_ID},
                "productOrder": {"id": _ORDER_ID},
            }
        ],
    },
}
