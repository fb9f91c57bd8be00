"""Paper text vectors for `related` and the similarity part of `search`.

Revision ID: 0004_paper_vectors
Revises: 0003_search_titles
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_paper_vectors"
down_revision = "0003_search_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_vectors",
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], name="fk_paper_vectors_arxiv_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("arxiv_id", name="pk_paper_vectors"),
    )
    op.create_index("ix_paper_vectors_updated_at", "paper_vectors", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_paper_vectors_updated_at", table_name="paper_vectors")
    op.drop_table("paper_vectors")
