"""registered_models, model_versions, model_aliases, model_tags, model_version_tags,
endpoints, endpoint_variants, endpoint_events, endpoint_replicas, endpoint_stats,
endpoint_predictions, endpoint_feedback, endpoint_captures: the model registry and endpoints

Registered models and their versions (approval, lineage, signature, trusted types), aliases
and tags; endpoints with their variants, deployment history, serving replicas, per-second
counters, predictions awaiting feedback, early feedback and capture file pointers. Only new
tables: nothing stored is touched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("capture", sa.Float(), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=True),
        sa.Column("token_hash", sa.String(length=255), nullable=True),
        sa.Column("proxy_key", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("evaluation_since", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "task IS NULL OR task IN ('classification', 'regression')",
            name=op.f("ck_endpoints_task"),
        ),
        sa.CheckConstraint("capture >= 0 AND capture <= 1", name=op.f("ck_endpoints_capture")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_endpoints_name")),
    )
    op.create_table(
        "registered_models",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("gates", sa.JSON(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registered_models")),
        sa.UniqueConstraint("name", name=op.f("uq_registered_models_name")),
    )
    op.create_table(
        "endpoint_captures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("path", sa.String(length=4096), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_captures_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_captures")),
        sa.UniqueConstraint("path", name=op.f("uq_endpoint_captures_path")),
    )
    op.create_index(
        "ix_endpoint_captures_time", "endpoint_captures", ["endpoint_id", "first_at"], unique=False
    )
    op.create_table(
        "endpoint_feedback",
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_feedback_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "request_id", name=op.f("pk_endpoint_feedback")),
    )
    op.create_table(
        "endpoint_predictions",
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("prediction", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=True),
        sa.Column("labelled_at", sa.BigInteger(), nullable=True),
        sa.Column("score_sum", sa.Float(), nullable=True),
        sa.Column("score_sq_sum", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_predictions_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "endpoint_id", "request_id", "variant", name=op.f("pk_endpoint_predictions")
        ),
    )
    op.create_index(
        "ix_endpoint_predictions_scored",
        "endpoint_predictions",
        ["endpoint_id", "labelled_at"],
        unique=False,
    )
    op.create_index(
        "ix_endpoint_predictions_time",
        "endpoint_predictions",
        ["endpoint_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "endpoint_replicas",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("bind_host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("pgid", sa.Integer(), nullable=False),
        sa.Column("pid_started_at", sa.Float(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_replicas_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_replicas")),
    )
    op.create_index(
        op.f("ix_endpoint_replicas_endpoint_id"), "endpoint_replicas", ["endpoint_id"], unique=False
    )
    op.create_table(
        "endpoint_stats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("invocations", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("latency_sum_ms", sa.Float(), nullable=False),
        sa.Column("latency_hist", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_stats_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_stats")),
    )
    op.create_index(
        "ix_endpoint_stats_time", "endpoint_stats", ["endpoint_id", "second"], unique=False
    )
    op.create_table(
        "model_tags",
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=5000), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name=op.f("fk_model_tags_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "key", name=op.f("pk_model_tags")),
    )
    op.create_table(
        "model_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=4096), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("artifact_path", sa.String(length=4096), nullable=False),
        sa.Column("storage_path", sa.String(length=4096), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("flavor", sa.String(length=250), nullable=False),
        sa.Column("model_class", sa.String(length=255), nullable=False),
        sa.Column("untrusted_types", sa.JSON(), nullable=False),
        sa.Column("approved_types", sa.JSON(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=True),
        sa.Column("input_example", sa.JSON(), nullable=True),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_by", sa.String(length=255), nullable=True),
        sa.Column("status_at", sa.BigInteger(), nullable=True),
        sa.Column("status_comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("format IN ('skops', 'joblib')", name=op.f("ck_model_versions_format")),
        sa.CheckConstraint(
            "status IN ('PENDING', 'APPROVED', 'REJECTED')", name=op.f("ck_model_versions_status")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name=op.f("fk_model_versions_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_model_versions_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("model_id", "version", name="number"),
    )
    op.create_index("ix_model_versions_run", "model_versions", ["run_id"], unique=False)
    op.create_table(
        "endpoint_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("endpoint_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "model_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_endpoint_events_model_version_id_model_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_events")),
    )
    op.create_index(
        "ix_endpoint_events_endpoint", "endpoint_events", ["endpoint_name", "id"], unique=False
    )
    op.create_index(
        op.f("ix_endpoint_events_model_version_id"),
        "endpoint_events",
        ["model_version_id"],
        unique=False,
    )
    op.create_table(
        "endpoint_variants",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "endpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("model_uri", sa.String(length=4096), nullable=False),
        sa.Column(
            "model_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("sampling", sa.Float(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("role IN ('primary', 'shadow')", name=op.f("ck_endpoint_variants_role")),
        sa.CheckConstraint(
            "sampling > 0 AND sampling <= 1", name=op.f("ck_endpoint_variants_sampling")
        ),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_endpoint_variants_weight")),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_variants_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_endpoint_variants_model_version_id_model_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_variants")),
        sa.UniqueConstraint("endpoint_id", "name", name="name"),
    )
    op.create_index(
        op.f("ix_endpoint_variants_model_version_id"),
        "endpoint_variants",
        ["model_version_id"],
        unique=False,
    )
    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name=op.f("fk_model_aliases_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_aliases_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "alias", name=op.f("pk_model_aliases")),
    )
    op.create_index(
        op.f("ix_model_aliases_version_id"), "model_aliases", ["version_id"], unique=False
    )
    op.create_table(
        "model_version_tags",
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=5000), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_version_tags_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "key", name=op.f("pk_model_version_tags")),
    )


def downgrade() -> None:
    op.drop_table("model_version_tags")
    op.drop_index(op.f("ix_model_aliases_version_id"), table_name="model_aliases")
    op.drop_table("model_aliases")
    op.drop_index(op.f("ix_endpoint_variants_model_version_id"), table_name="endpoint_variants")
    op.drop_table("endpoint_variants")
    op.drop_index(op.f("ix_endpoint_events_model_version_id"), table_name="endpoint_events")
    op.drop_index("ix_endpoint_events_endpoint", table_name="endpoint_events")
    op.drop_table("endpoint_events")
    op.drop_index("ix_model_versions_run", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("model_tags")
    op.drop_index("ix_endpoint_stats_time", table_name="endpoint_stats")
    op.drop_table("endpoint_stats")
    op.drop_index(op.f("ix_endpoint_replicas_endpoint_id"), table_name="endpoint_replicas")
    op.drop_table("endpoint_replicas")
    op.drop_index("ix_endpoint_predictions_time", table_name="endpoint_predictions")
    op.drop_index("ix_endpoint_predictions_scored", table_name="endpoint_predictions")
    op.drop_table("endpoint_predictions")
    op.drop_table("endpoint_feedback")
    op.drop_index("ix_endpoint_captures_time", table_name="endpoint_captures")
    op.drop_table("endpoint_captures")
    op.drop_table("registered_models")
    op.drop_table("endpoints")
