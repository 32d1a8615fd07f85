"""Typed node configuration: defaults < YAML file < environment (``INDUSTRYOS_*``).

Every setting is declared once here; nothing else in the code base reads the environment.
A bad value raises :class:`ConfigError` with one line that names the setting, so start-up
stops with a message the operator can act on.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

ENV_PREFIX = "INDUSTRYOS_"
MIN_JWT_SECRET_BYTES = 64


class ConfigError(Exception):
    """A setting has a value the node cannot start with."""


class Settings(BaseSettings):
    """Everything one node needs to know before it starts."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Path("./data")
    http_host: str = "0.0.0.0"
    http_port: int = Field(8080, ge=0, le=65535)
    mqtt_port: int = Field(1883, ge=0, le=65535)
    mqtt_tls_port: int = Field(8883, ge=0, le=65535)
    mqtt_tls_cert: Path | None = None
    mqtt_tls_key: Path | None = None
    max_payload_bytes: int = Field(65536, ge=1024, le=268_435_455)
    client_rpc_timeout_s: float = Field(60.0, gt=0)
    rpc_min_timeout_ms: int = Field(5000, ge=0)
    coap_port: int = Field(5683, ge=0, le=65535)
    # connections the kernel completes and holds per listening socket (HTTP, MQTT, MQTT TLS)
    # until the node accepts them; Linux caps it at net.core.somaxconn
    listen_backlog: int = Field(2048, ge=1, le=65535)
    db_url: str = ""
    jwt_secret: str = ""
    jwt_issuer: str = "industryos.io"
    jwt_access_ttl_s: int = Field(9000, ge=1)
    jwt_refresh_ttl_s: int = Field(604800, ge=1)
    demo: bool = True
    log_level: str = "INFO"
    max_page_size: int = Field(1000, ge=1)
    login_max_failures: int = Field(5, ge=1)
    login_lockout_s: int = Field(300, ge=0)
    ts_default_ttl_days: int = Field(365, ge=0)
    ts_partition_days: int = Field(7, ge=1)
    ts_flush_interval_ms: int = Field(100, ge=1)  # ThingsBoard: sql.ts.batch_max_delay, 100
    ts_batch_max_points: int = Field(20000, ge=1)
    state_default_inactivity_timeout_s: float = Field(600.0, gt=0)
    state_check_interval_s: float = Field(60.0, gt=0)
    rule_events_ttl_s: int = Field(604800, ge=1)  # debug/lifecycle/error/stats events
    # device uplinks wait while the rule engine's Main backlog exceeds this many records
    # (industryos/queue/backpressure.py); 0 turns the wait off
    ingest_max_lag: int = Field(10000, ge=0)
    bus_url: str = ""  # cluster bus between nodes: "" in-process, nats://host:4222 in a cluster
    # the durable queue from the transports to the rule engine: "" the embedded log in the
    # data dir; nats://host:4222 JetStream, shared by a cluster's nodes (industryos/queue/jetstream)
    queue_url: str = ""
    queue_prefix: str = Field("industryos", pattern=r"^[A-Za-z0-9_-]{1,32}$")  # one per cluster
    queue_partitions: int = Field(10, ge=1, le=1024)  # of each topic JetStream creates
    queue_replicas: int = Field(1, ge=1, le=5)  # stream copies on a clustered NATS
    queue_lease_ttl_s: float = Field(10.0, ge=1)  # a dead node's partitions move after this
    # processes serving this node's devices and API (industryos/workers): each uses about
    # one core; 1 runs the node in one process
    workers: int = Field(1, ge=1, le=64)

    @field_validator("db_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_JWT_SECRET_BYTES} bytes (HS512 key)")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @model_validator(mode="after")
    def _tls_files_together(self) -> Settings:
        # one without the other used to be ignored for a generated self-signed pair
        if (self.mqtt_tls_cert is None) != (self.mqtt_tls_key is None):
            raise ValueError("mqtt_tls_cert and mqtt_tls_key are set together, or neither")
        return self

    @field_validator("queue_url")
    @classmethod
    def _jetstream_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("nats", "tls"):
            raise ValueError("queue_url is nats://host:port (JetStream), or empty (embedded)")
        return value

    @model_validator(mode="after")
    def _cluster_shares_its_secret(self) -> Settings:
        # a secret generated into each node's data dir signs tokens no other node accepts:
        # behind a load balancer, a signed-in user would get 401 from every other node
        if self.bus_url and not self.bus_url.startswith("unix://") and not self.jwt_secret:
            raise ValueError(
                "a cluster's nodes (bus_url) sign and check each other's tokens: set "
                "jwt_secret (INDUSTRYOS_JWT_SECRET) to the same value on every node"
            )
        return self

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or a SQLite file in the data dir."""
        url = self.db_url or f"sqlite:///{(self.data_dir / 'industryos.db').resolve()}"
        return to_async_url(url)

    @property
    def is_postgresql(self) -> bool:
        """True when the node stores everything in PostgreSQL."""
        return self.database_url.startswith("postgresql")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit overrides win over the environment, which wins over the YAML file."""
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))


def to_async_url(url: str) -> str:
    """Map a user-facing database URL to the async driver SQLAlchemy should use."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def load_settings(yaml_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, an optional YAML file, the environment and overrides."""
    if yaml_file is not None and not yaml_file.is_file():
        raise ConfigError(f"config file {yaml_file} does not exist")
    settings_cls = Settings
    if yaml_file is not None:

        class _FromFile(Settings):
            model_config = SettingsConfigDict(yaml_file=yaml_file)

        settings_cls = _FromFile
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a rule across settings (its message names them)
            raise ConfigError(f"invalid settings: {message}") from None
        name = str(error["loc"][0])
        env_name = ENV_PREFIX + name.upper()
        raise ConfigError(f"invalid setting {env_name} ({name}): {message}") from None


def resolve_jwt_secret(settings: Settings) -> str:
    """The configured JWT secret, or one generated once and kept in the data dir."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.data_dir / "jwt-secret"
    if path.is_file():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret
