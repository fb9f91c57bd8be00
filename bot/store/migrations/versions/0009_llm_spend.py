"""What the LLM cost, kept with what it made: calls per stored card, the judge's verdicts and spend per curated day.

A card the grounding check rejected is stored like any other (so no build asks for it
again), and its row says how many calls and tokens it took; the judge's verdicts, with
their reasons, and its spend are kept with the day's curation.

Revision ID: 0009_llm_spend
Revises: 0008_delivery_faults
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_llm_spend"
down_revision = "0008_delivery_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("summaries") as batch:
        batch.add_column(sa.Column("calls", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("curated_days") as batch:
        batch.add_column(sa.Column("judge", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("curated_days") as batch:
        batch.drop_column("judge")
    with op.batch_alter_table("summaries") as batch:
        batch.drop_column("calls")
