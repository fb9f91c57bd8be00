"""Search and planner statistics. PostgreSQL: a title-only tsvector with its own GIN index, so a title search reads small
vectors instead of rechecking every abstract that holds the words. SQLite's FTS5 table
already filters by column.

Revision ID: 0003_search_titles
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0003_search_titles"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        # Statistics once, so the planner drives `topic` from a week of lists, not from
        # every paper of the topic; PRAGMA optimize keeps them fresh from here on.
        op.execute("ANALYZE")
        return
    op.execute(
        "ALTER TABLE papers ADD COLUMN title_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', coalesce(title, ''))) STORED"
    )
    op.execute("CREATE INDEX ix_papers_title_vector ON papers USING gin (title_vector)")
    op.execute("ANALYZE papers")  # the planner needs the new column's statistics to use its index


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_papers_title_vector")
    op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS title_vector")
