"""What the API, the CLI and the portal use of search."""

from __future__ import annotations

from openbss.search.calculations import DEFAULT_LIMIT, MAX_LIMIT, SearchQuery, parse_query
from openbss.search.service import (
    BY_ACCOUNT,
    BY_CUSTOMER_ID,
    BY_IDENTITY,
    BY_NAME,
    BY_PHONE,
    BY_PRODUCT,
    SEARCH_ROLES,
    SearchHit,
    SearchResult,
    search,
)

__all__ = [
    "BY_ACCOUNT",
    "BY_CUSTOMER_ID",
    "BY_IDENTITY",
    "BY_NAME",
    "BY_PHONE",
    "BY_PRODUCT",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SEARCH_ROLES",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "parse_query",
    "search",
]
