"""Planning a large slot inserts less per row.

A 50,000-chat slot inserts 350,000 outbox rows. On PostgreSQL half of that time went to
checking two foreign keys row by row (`deliveries.digest_id` against `digests`,
`deliveries.payload_id` against `delivery_payloads`), and a sixth of the index work to
`uq_deliveries_notice`, which held an entry for every digest row although only notice rows
need it. What the keys did is done once per planning statement instead: `outbox.plan_chats`
checks that the digest and the payloads exist and holds them (FOR KEY SHARE, as the key's
trigger did for each row) until its transaction ends. A digest is never deleted, and
`outbox.drop_old_payloads` unlinks the rows of a payload in the same transaction before it
deletes the payload (tests check that no row is left pointing at a missing one). So:

- the two foreign keys are dropped (the notice key stays: notice rows are few);
- the notice uniqueness becomes a unique index on notice rows only.

Revision ID: 0012_outbox_planning
Revises: 0011_outbox_scale
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_outbox_planning"
down_revision = "0011_outbox_scale"
branch_labels = None
depends_on = None

_NOTICE_KEY = ["notice_id", "platform", "chat_id", "message_index"]
_NOTICE_ROWS = sa.text("notice_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("fk_deliveries_digest_id_digests", type_="foreignkey")
        batch.drop_constraint("fk_deliveries_payload_id_delivery_payloads", type_="foreignkey")
        batch.drop_constraint("uq_deliveries_notice", type_="unique")
    op.create_index(
        "uq_deliveries_notice", "deliveries", _NOTICE_KEY, unique=True,
        postgresql_where=_NOTICE_ROWS, sqlite_where=_NOTICE_ROWS,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_deliveries_notice", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint("uq_deliveries_notice", _NOTICE_KEY)
        batch.create_foreign_key(
            "fk_deliveries_payload_id_delivery_payloads", "delivery_payloads", ["payload_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch.create_foreign_key(
            "fk_deliveries_digest_id_digests", "digests", ["digest_id"], ["id"], ondelete="CASCADE"
        )
