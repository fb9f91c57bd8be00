"""Delivery that survives faults: a send whose answer never came is marked in doubt (resent at
most once), workers announce themselves with a heartbeat (a rerun takes over a dead worker's
rows at once), and one send budget per platform account is shared by every replica.

Revision ID: 0008_delivery_faults
Revises: 0007_notices
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_delivery_faults"
down_revision = "0007_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "delivery_workers",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_delivery_workers"),
    )
    op.create_table(
        "send_budgets",
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_send_budgets"),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
    op.drop_table("delivery_workers")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("in_doubt")
