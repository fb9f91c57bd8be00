"""Paper text stored before it was cleaned at ingestion, cleaned the same way now.

Titles, abstracts and HF summaries kept their LaTeX (`\\textsc{X}`, `72.6\\%`), arXiv's
`{this https URL}` placeholder and any right-to-left override; from now on every paper is
cleaned where it enters the store, and this brings the papers already stored in line, so
search, trends and rebuilt cards read the same text. (A NUL never got in: PostgreSQL
refused it, and SQLite imports went through the same parser.)

Revision ID: 0010_clean_paper_text
Revises: 0009_llm_spend
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paperwire.bot.models import Paper
from paperwire.bot.text.clean import clean_paper

revision = "0010_clean_paper_text"
down_revision = "0009_llm_spend"
branch_labels = None
depends_on = None

_BATCH = 1000
_papers = sa.table(
    "papers",
    sa.column("arxiv_id", sa.String),
    sa.column("title", sa.Text),
    sa.column("abstract", sa.Text),
    sa.column("ai_summary", sa.Text),
    sa.column("github_repo", sa.Text),
    sa.column("project_page", sa.Text),
)


def upgrade() -> None:
    connection = op.get_bind()
    last = ""
    while True:
        rows = connection.execute(
            sa.select(_papers).where(_papers.c.arxiv_id > last).order_by(_papers.c.arxiv_id).limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            paper = Paper(
                arxiv_id=row.arxiv_id,
                title=row.title or "",
                abstract=row.abstract or "",
                ai_summary=row.ai_summary,
                github_repo=row.github_repo,
                project_page=row.project_page,
            )
            clean_paper(paper)
            changed = {
                name: getattr(paper, name)
                for name in ("title", "abstract", "ai_summary", "github_repo")
                if getattr(paper, name) != getattr(row, name)
            }
            if changed:
                connection.execute(_papers.update().where(_papers.c.arxiv_id == row.arxiv_id).values(**changed))
        last = rows[-1].arxiv_id


def downgrade() -> None:
    """Nothing to undo: the original LaTeX is not kept, and the cleaned text serves every revision."""
