"""Empty-day notices get their own table instead of a reserved message index on a digest.

Until now a "no papers that day" message was an outbox row of the newest earlier digest at
message index 1,000,000 + the day's ordinal. Now each empty list day has a `notices` row,
and an outbox row belongs to a digest or to a notice (exactly one of the two).

Revision ID: 0007_notices
Revises: 0006_votes
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_notices"
down_revision = "0006_votes"
branch_labels = None
depends_on = None

OLD_NOTICE_BASE = 1_000_000


def upgrade() -> None:
    notices = op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("list_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("list_day", name="uq_notices_list_day"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("digest_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_notice_id_notices", "notices", ["notice_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint(
            "uq_deliveries_notice", ["notice_id", "platform", "chat_id", "message_index"]
        )
    _move_old_notices(notices)
    with op.batch_alter_table("deliveries") as batch:
        batch.create_check_constraint("ck_deliveries_one_parent", "(digest_id IS NULL) <> (notice_id IS NULL)")


def _move_old_notices(notices: sa.Table) -> None:
    """Rows planned the old way move to a notice of their day, so none is sent twice."""
    connection = op.get_bind()
    deliveries = sa.table(
        "deliveries",
        sa.column("id", sa.Integer),
        sa.column("digest_id", sa.Integer),
        sa.column("notice_id", sa.Integer),
        sa.column("message_index", sa.Integer),
        sa.column("platform", sa.String),
        sa.column("chat_id", sa.String),
    )
    old = connection.execute(
        sa.select(deliveries.c.id, deliveries.c.message_index, deliveries.c.platform, deliveries.c.chat_id)
        .where(deliveries.c.message_index >= OLD_NOTICE_BASE)
        .order_by(deliveries.c.id)
    ).all()
    ids: dict[date, int] = {}
    moved: set[tuple[date, str, str]] = set()
    for row in old:
        day = date.fromordinal(row.message_index - OLD_NOTICE_BASE)
        if (day, row.platform, row.chat_id) in moved:  # planned twice under two digests: once is enough
            connection.execute(sa.delete(deliveries).where(deliveries.c.id == row.id))
            continue
        moved.add((day, row.platform, row.chat_id))
        if day not in ids:
            connection.execute(sa.insert(notices).values(list_day=day, created_at=datetime.now(UTC)))
            ids[day] = connection.execute(sa.select(notices.c.id).where(notices.c.list_day == day)).scalar_one()
        connection.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == row.id)
            .values(digest_id=None, notice_id=ids[day], message_index=0)
        )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM deliveries WHERE notice_id IS NOT NULL"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("ck_deliveries_one_parent", type_="check")
        batch.drop_constraint("uq_deliveries_notice", type_="unique")
        batch.drop_constraint("fk_deliveries_notice_id_notices", type_="foreignkey")
        batch.drop_column("notice_id")
        batch.alter_column("digest_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("notices")
