"""An outbox that stays fast as the audience grows.

- Payloads are shared: a digest's rendered messages are stored once in `delivery_payloads`
  and every chat's row points at them (a 50,000-chat day no longer copies each payload
  50,000 times); `deliveries.payload` stays for notices and may be dropped after retention.
- A chat's later messages wait (`waiting`) until the previous one is sent or given up, so a
  claim reads only due `pending` rows, in the order of the new index, without checking the
  earlier messages of every candidate.

Revision ID: 0011_outbox_scale
Revises: 0010_clean_paper_text
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_outbox_scale"
down_revision = "0010_clean_paper_text"
branch_labels = None
depends_on = None

# Rows planned before this migration: a message behind an open earlier one of its chat waits.
_WAIT_BEHIND_OPEN = """
UPDATE deliveries SET status = 'waiting'
WHERE status = 'pending' AND digest_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM deliveries AS earlier
    WHERE earlier.digest_id = deliveries.digest_id
      AND earlier.platform = deliveries.platform
      AND earlier.chat_id = deliveries.chat_id
      AND earlier.message_index < deliveries.message_index
      AND earlier.status IN ('pending', 'sending')
)
"""


def upgrade() -> None:
    op.create_table(
        "delivery_payloads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_payloads"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("payload_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_payload_id_delivery_payloads",
            "delivery_payloads",
            ["payload_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=True)
        batch.drop_index("ix_deliveries_due")
        batch.create_index("ix_deliveries_claim", ["platform", "status", "not_before", "id"])
        batch.create_index("ix_deliveries_payload_id", ["payload_id"])
    op.execute(_WAIT_BEHIND_OPEN)


def downgrade() -> None:
    op.execute("UPDATE deliveries SET status = 'pending' WHERE status = 'waiting'")
    op.execute(
        "UPDATE deliveries SET payload = (SELECT payload FROM delivery_payloads"
        " WHERE delivery_payloads.id = deliveries.payload_id) WHERE payload_id IS NOT NULL"
    )
    op.execute("UPDATE deliveries SET payload = '{}' WHERE payload IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_payload_id")
        batch.drop_index("ix_deliveries_claim")
        batch.create_index("ix_deliveries_due", ["status", "not_before"])
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch.drop_constraint("fk_deliveries_payload_id_delivery_payloads", type_="foreignkey")
        batch.drop_column("payload_id")
    op.drop_table("delivery_payloads")
