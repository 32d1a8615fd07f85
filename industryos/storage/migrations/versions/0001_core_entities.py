"""core entities

Revision ID: 0001
Revises:
Create Date: 2026-11-26 22:17:57.029631
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "asset_profile",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("default_rule_chain_id", sa.Uuid(), nullable=True),
        sa.Column("default_dashboard_id", sa.Uuid(), nullable=True),
        sa.Column("default_queue_name", sa.String(length=255), nullable=True),
        sa.Column("default_edge_rule_chain_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_profile")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_asset_profile_tenant_id_name")),
    )
    with op.batch_alter_table("asset_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_profile_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "attribute_kv",
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("attribute_type", sa.String(length=16), nullable=False),
        sa.Column("attribute_key", sa.Integer(), nullable=False),
        sa.Column("bool_v", sa.Boolean(), nullable=True),
        sa.Column("str_v", sa.Text(), nullable=True),
        sa.Column("long_v", sa.BigInteger(), nullable=True),
        sa.Column("dbl_v", sa.Float(precision=53), nullable=True),
        sa.Column("json_v", sa.JSON().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.Column("last_update_ts", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint(
            "entity_id", "attribute_type", "attribute_key", name=op.f("pk_attribute_kv")
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("entity_type", sa.String(length=32), nullable=True),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("entity_name", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_name", sa.String(length=255), nullable=True),
        sa.Column("action_type", sa.String(length=64), nullable=False),
        sa.Column(
            "action_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("action_status", sa.String(length=16), nullable=False),
        sa.Column("action_failure_details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity", ["entity_id", "created_time"], unique=False)
        batch_op.create_index(
            "ix_audit_log_tenant_time", ["tenant_id", "created_time"], unique=False
        )

    op.create_table(
        "customer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("address2", sa.String(length=255), nullable=True),
        sa.Column("zip", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("tenant_id", "title", name=op.f("uq_customer_tenant_id_title")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "device_profile",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type", sa.String(length=32), server_default="DEFAULT", nullable=False),
        sa.Column("transport_type", sa.String(length=32), server_default="DEFAULT", nullable=False),
        sa.Column(
            "provision_type", sa.String(length=64), server_default="DISABLED", nullable=False
        ),
        sa.Column("provision_device_key", sa.String(length=255), nullable=True),
        sa.Column("default_rule_chain_id", sa.Uuid(), nullable=True),
        sa.Column("default_dashboard_id", sa.Uuid(), nullable=True),
        sa.Column("default_queue_name", sa.String(length=255), nullable=True),
        sa.Column("default_edge_rule_chain_id", sa.Uuid(), nullable=True),
        sa.Column("firmware_id", sa.Uuid(), nullable=True),
        sa.Column("software_id", sa.Uuid(), nullable=True),
        sa.Column(
            "profile_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profile")),
        sa.UniqueConstraint(
            "provision_device_key", name=op.f("uq_device_profile_provision_device_key")
        ),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_device_profile_tenant_id_name")),
    )
    with op.batch_alter_table("device_profile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_profile_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "key_dictionary",
        sa.Column("key_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_key_dictionary")),
        sa.UniqueConstraint("key", name=op.f("uq_key_dictionary_key")),
    )
    op.create_table(
        "relation",
        sa.Column("from_id", sa.Uuid(), nullable=False),
        sa.Column("from_type", sa.String(length=32), nullable=False),
        sa.Column("to_id", sa.Uuid(), nullable=False),
        sa.Column("to_type", sa.String(length=32), nullable=False),
        sa.Column("relation_type_group", sa.String(length=64), nullable=False),
        sa.Column("relation_type", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint(
            "from_id",
            "from_type",
            "to_id",
            "to_type",
            "relation_type_group",
            "relation_type",
            name=op.f("pk_relation"),
        ),
    )
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relation_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_relation_to", ["to_id", "to_type", "relation_type_group"], unique=False
        )

    op.create_table(
        "revoked_session",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_session")),
    )
    with op.batch_alter_table("revoked_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revoked_session_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "tb_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("authority", sa.String(length=32), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=255), nullable=True),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tb_user")),
        sa.UniqueConstraint("email", name=op.f("uq_tb_user_email")),
    )
    with op.batch_alter_table("tb_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tb_user_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tb_user_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_profile",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("isolated_rule_engine", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "profile_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_profile")),
        sa.UniqueConstraint("name", name=op.f("uq_tenant_profile_name")),
    )
    op.create_table(
        "asset",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("asset_profile_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_profile_id"],
            ["asset_profile.id"],
            name=op.f("fk_asset_asset_profile_id_asset_profile"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_asset_tenant_id_name")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("device_profile_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column(
            "device_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("firmware_id", sa.Uuid(), nullable=True),
        sa.Column("software_id", sa.Uuid(), nullable=True),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["device_profile_id"],
            ["device_profile.id"],
            name=op.f("fk_device_device_profile_id_device_profile"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_device_tenant_id_name")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=255), nullable=True),
        sa.Column("tenant_profile_id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("address2", sa.String(length=255), nullable=True),
        sa.Column("zip", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "additional_info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_profile_id"],
            ["tenant_profile.id"],
            name=op.f("fk_tenant_tenant_profile_id_tenant_profile"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
    )
    op.create_table(
        "user_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("activate_token", sa.String(length=255), nullable=True),
        sa.Column("reset_token", sa.String(length=255), nullable=True),
        sa.Column("failed_login_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tokens_valid_after", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_login_ts", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["tb_user.id"],
            name=op.f("fk_user_credentials_user_id_tb_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_credentials")),
        sa.UniqueConstraint("activate_token", name=op.f("uq_user_credentials_activate_token")),
        sa.UniqueConstraint("reset_token", name=op.f("uq_user_credentials_reset_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_credentials_user_id")),
    )
    op.create_table(
        "device_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("credentials_type", sa.String(length=32), nullable=False),
        sa.Column("credentials_id", sa.String(length=255), nullable=False),
        sa.Column("credentials_value", sa.Text(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_device_credentials_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_credentials")),
        sa.UniqueConstraint("credentials_id", name=op.f("uq_device_credentials_credentials_id")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_credentials_device_id")),
    )


def downgrade() -> None:

    op.drop_table("device_credentials")
    op.drop_table("user_credentials")
    op.drop_table("tenant")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_device_customer_id"))

    op.drop_table("device")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_asset_customer_id"))

    op.drop_table("asset")
    op.drop_table("tenant_profile")
    with op.batch_alter_table("tb_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tb_user_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_tb_user_customer_id"))

    op.drop_table("tb_user")
    with op.batch_alter_table("revoked_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_session_expires_at"))

    op.drop_table("revoked_session")
    with op.batch_alter_table("relation", schema=None) as batch_op:
        batch_op.drop_index("ix_relation_to")
        batch_op.drop_index(batch_op.f("ix_relation_tenant_id"))

    op.drop_table("relation")
    op.drop_table("key_dictionary")
    with op.batch_alter_table("device_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_profile_tenant_id"))

    op.drop_table("device_profile")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tenant_id"))

    op.drop_table("customer")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_tenant_time")
        batch_op.drop_index("ix_audit_log_entity")

    op.drop_table("audit_log")
    op.drop_table("attribute_kv")
    with op.batch_alter_table("asset_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_profile_tenant_id"))

    op.drop_table("asset_profile")
