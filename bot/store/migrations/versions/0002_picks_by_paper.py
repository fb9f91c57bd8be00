"""Index picks by paper: a card lookup asks when a paper was last picked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_picks_arxiv_id", "picks", ["arxiv_id"])


def downgrade() -> None:
    op.drop_index("ix_picks_arxiv_id", table_name="picks")
