"""The list's picture of each paper, for cards with an image.

Revision ID: 0005_thumbnails
Revises: 0004_paper_vectors
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_thumbnails"
down_revision = "0004_paper_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("papers", sa.Column("thumbnail_url", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("papers", "thumbnail_url")
