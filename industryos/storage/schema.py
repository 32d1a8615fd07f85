"""The relational schema: one SQLAlchemy Core ``MetaData`` for SQLite and PostgreSQL.

Tables follow the entity model of the REST contract (spec platform-api §2). Times are epoch
milliseconds in BIGINT columns; ids are UUIDs; free-form JSON (``additional_info``,
``profile_data``…) is JSON on SQLite and JSONB on PostgreSQL. Alembic migrations in
``storage/migrations`` create and evolve exactly this schema; a test compares the two.
Time-series tables live in ``storage/timeseries/schema.py`` on the same ``metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _created_time() -> sa.Column[object]:
    return sa.Column("created_time", sa.BigInteger(), nullable=False)


def _version() -> sa.Column[object]:
    return sa.Column("version", sa.BigInteger(), nullable=False, server_default="1")


def _contact() -> list[sa.Column[object]]:
    return [
        sa.Column(name, sa.String(255))
        for name in ("country", "state", "city", "address", "address2", "zip", "phone", "email")
    ]


tenant_profile = sa.Table(
    "tenant_profile",
    metadata,
    _id(),
    _created_time(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text()),
    sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("isolated_rule_engine", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("profile_data", Json),
    _version(),
)

tenant = sa.Table(
    "tenant",
    metadata,
    _id(),
    _created_time(),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("region", sa.String(255)),
    sa.Column("tenant_profile_id", sa.Uuid(), sa.ForeignKey("tenant_profile.id"), nullable=False),
    *_contact(),
    sa.Column("additional_info", Json),
    _version(),
)

customer = sa.Table(
    "customer",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("is_public", sa.Boolean(), nullable=False, server_default=sa.false()),
    *_contact(),
    sa.Column("additional_info", Json),
    sa.Column("external_id", sa.Uuid()),
    _version(),
    sa.UniqueConstraint("tenant_id", "title"),
)

user = sa.Table(
    "tb_user",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("authority", sa.String(32), nullable=False),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("phone", sa.String(255)),
    sa.Column("additional_info", Json),
    _version(),
)

user_credentials = sa.Table(
    "user_credentials",
    metadata,
    _id(),
    sa.Column(
        "user_id",
        sa.Uuid(),
        sa.ForeignKey("tb_user.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("activate_token", sa.String(255), unique=True),
    sa.Column("reset_token", sa.String(255), unique=True),
    sa.Column("failed_login_attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("locked_until", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("tokens_valid_after", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("last_login_ts", sa.BigInteger()),
)

revoked_session = sa.Table(
    "revoked_session",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.BigInteger(), nullable=False, index=True),
)

device_profile = sa.Table(
    "device_profile",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("image", sa.Text()),
    sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("type", sa.String(32), nullable=False, server_default="DEFAULT"),
    sa.Column("transport_type", sa.String(32), nullable=False, server_default="DEFAULT"),
    sa.Column("provision_type", sa.String(64), nullable=False, server_default="DISABLED"),
    sa.Column("provision_device_key", sa.String(255), unique=True),
    sa.Column("default_rule_chain_id", sa.Uuid()),
    sa.Column("default_dashboard_id", sa.Uuid()),
    sa.Column("default_queue_name", sa.String(255)),
    sa.Column("default_edge_rule_chain_id", sa.Uuid()),
    sa.Column("firmware_id", sa.Uuid()),
    sa.Column("software_id", sa.Uuid()),
    sa.Column("profile_data", Json),
    sa.Column("external_id", sa.Uuid()),
    _version(),
    sa.UniqueConstraint("tenant_id", "name"),
)

device = sa.Table(
    "device",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("device_profile_id", sa.Uuid(), sa.ForeignKey("device_profile.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("device_data", Json),
    sa.Column("firmware_id", sa.Uuid()),
    sa.Column("software_id", sa.Uuid()),
    sa.Column("additional_info", Json),
    sa.Column("external_id", sa.Uuid()),
    _version(),
    sa.UniqueConstraint("tenant_id", "name"),
)

device_credentials = sa.Table(
    "device_credentials",
    metadata,
    _id(),
    _created_time(),
    sa.Column(
        "device_id",
        sa.Uuid(),
        sa.ForeignKey("device.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("credentials_type", sa.String(32), nullable=False),
    sa.Column("credentials_id", sa.String(255), nullable=False, unique=True),
    sa.Column("credentials_value", sa.Text()),
    _version(),
)

asset_profile = sa.Table(
    "asset_profile",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("image", sa.Text()),
    sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("default_rule_chain_id", sa.Uuid()),
    sa.Column("default_dashboard_id", sa.Uuid()),
    sa.Column("default_queue_name", sa.String(255)),
    sa.Column("default_edge_rule_chain_id", sa.Uuid()),
    sa.Column("external_id", sa.Uuid()),
    _version(),
    sa.UniqueConstraint("tenant_id", "name"),
)

asset = sa.Table(
    "asset",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("asset_profile_id", sa.Uuid(), sa.ForeignKey("asset_profile.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("additional_info", Json),
    sa.Column("external_id", sa.Uuid()),
    _version(),
    sa.UniqueConstraint("tenant_id", "name"),
)

relation = sa.Table(
    "relation",
    metadata,
    sa.Column("from_id", sa.Uuid(), primary_key=True),
    sa.Column("from_type", sa.String(32), primary_key=True),
    sa.Column("to_id", sa.Uuid(), primary_key=True),
    sa.Column("to_type", sa.String(32), primary_key=True),
    sa.Column("relation_type_group", sa.String(64), primary_key=True),
    sa.Column("relation_type", sa.String(255), primary_key=True),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("additional_info", Json),
    _version(),
    sa.Index("ix_relation_to", "to_id", "to_type", "relation_type_group"),
)

key_dictionary = sa.Table(
    "key_dictionary",
    metadata,
    sa.Column("key_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
)

attribute_kv = sa.Table(
    "attribute_kv",
    metadata,
    sa.Column("entity_id", sa.Uuid(), primary_key=True),
    sa.Column("attribute_type", sa.String(16), primary_key=True),
    sa.Column("attribute_key", sa.Integer(), primary_key=True),
    sa.Column("bool_v", sa.Boolean()),
    sa.Column("str_v", sa.Text()),
    sa.Column("long_v", sa.BigInteger()),
    sa.Column("dbl_v", sa.Float(precision=53)),
    # ``json``, not ``jsonb``: a JSON attribute comes back as the text it was written as
    # (jsonb would reorder keys), as ThingsBoard stores it.
    sa.Column("json_v", sa.JSON().with_variant(sa.Text(), "sqlite")),
    sa.Column("last_update_ts", sa.BigInteger(), nullable=False),
    _version(),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    _created_time(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False),
    sa.Column("customer_id", sa.Uuid()),
    sa.Column("entity_type", sa.String(32)),
    sa.Column("entity_id", sa.Uuid()),
    sa.Column("entity_name", sa.String(255)),
    sa.Column("user_id", sa.Uuid()),
    sa.Column("user_name", sa.String(255)),
    sa.Column("action_type", sa.String(64), nullable=False),
    sa.Column("action_data", Json),
    sa.Column("action_status", sa.String(16), nullable=False),
    sa.Column("action_failure_details", sa.Text()),
    sa.Index("ix_audit_log_tenant_time", "tenant_id", "created_time"),
    sa.Index("ix_audit_log_entity", "entity_id", "created_time"),
)
