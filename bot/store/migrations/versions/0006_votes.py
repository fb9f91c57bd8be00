"""Each chat's votes on papers, for its own ranking (`like`, `dislike`, 👍/👎 buttons).

Revision ID: 0006_votes
Revises: 0005_thumbnails
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_votes"
down_revision = "0005_thumbnails"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["arxiv_id"], ["papers.arxiv_id"], name="fk_votes_arxiv_id_papers", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform", "chat_id", "user_id", "arxiv_id", name="pk_votes"),
    )


def downgrade() -> None:
    op.drop_table("votes")
