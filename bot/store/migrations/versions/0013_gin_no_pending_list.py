"""Full-text indexes without a pending list (PostgreSQL).

A GIN index with `fastupdate` (PostgreSQL's default) queues new entries in a pending list
that every search reads in full until a vacuum or autoanalyze merges it. Where autovacuum
is late or off, that list holds up to `gin_pending_list_limit` (4 MB): at 97k papers a title
search that matches ten papers read 375 pages, 14,659 queued entries, for 5 ms. paperwire
adds papers a day's list at a time and searches all day, so the indexes take new entries
directly (`fastupdate = off`), and what is queued now is merged once.

SQLite's FTS5 index has no such list: nothing to do there.

Revision ID: 0013_gin_no_pending_list
Revises: 0012_outbox_planning
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0013_gin_no_pending_list"
down_revision = "0012_outbox_planning"
branch_labels = None
depends_on = None

_INDEXES = ("ix_papers_search_vector", "ix_papers_title_vector")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in _INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in _INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
