"""Settings from the environment (prefix ``OPENBSS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENBSS_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Directory for files (usage, bills)")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default: a SQLite file under data_dir"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL used in hrefs of emitted events"
    )
    default_province: str = Field(default="GD", description="Province of the demo deployment")
    timezone: str = "Asia/Shanghai"
    event_max_attempts: int = 5
    event_retry_base_seconds: float = 2.0
    event_dispatch_interval_seconds: float = 1.0
    # The time one delivery may take; one hanging listener delays others by no more.
    event_delivery_timeout_seconds: float = 5.0
    # Listeners served at once by one dispatcher round (each listener's events in order).
    event_delivery_concurrency: int = 16
    # Callback addresses allowed although not public: CIDR blocks and host names, comma-
    # separated (e.g. "10.20.0.0/16,crm.internal"); empty means public addresses only.
    webhook_allow: str = ""
    # Service orders to network elements: attempts per order before it fails, exponential
    # backoff between attempts (base * 2^(n-1), capped), the time an element has to answer
    # one call, and how long a worker's claim on an order lasts before another may take it.
    provisioning_max_attempts: int = 4
    provisioning_retry_base_seconds: float = 2.0
    provisioning_retry_cap_seconds: float = 300.0
    provisioning_timeout_seconds: float = 10.0
    provisioning_lease_seconds: float = 60.0
    # Online payment gateways and the secrets their callbacks are signed with, as JSON:
    # OPENBSS_GATEWAY_SECRETS='{"alipay": "<secret>"}'. Never logged.
    gateway_secrets: dict[str, str] = Field(default_factory=dict, repr=False)
    # The web portal: cookies marked Secure (behind HTTPS), session expiry when idle and
    # absolute, and the login lockout (failures per username, per source address, its length).
    portal_secure_cookies: bool = False
    portal_session_idle_minutes: int = 30
    portal_session_absolute_hours: int = 12
    portal_lockout_attempts: int = 5
    portal_lockout_address_attempts: int = 20
    portal_lockout_minutes: int = 15
    # Prepaid vouchers: the key PINs are hashed with (HMAC-SHA256; empty: a key file made
    # once under data_dir/secrets/), and the lockout after too many wrong PINs.
    voucher_pin_key: str = Field(default="", repr=False)
    voucher_max_failures: int = 10
    voucher_lockout_minutes: int = 30
    # How long a server process trusts an API key it has verified before reading the key's
    # row again: the bound on how late a revocation made elsewhere (the CLI, another server
    # process) takes effect. 0 reads the row on every request.
    api_key_cache_seconds: float = 5.0

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'openbss.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
