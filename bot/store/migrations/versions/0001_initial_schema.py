"""Initial schema: papers, list days, curation, digests, summaries, subscriptions, outbox.

Full-text search is dialect-specific: an FTS5 table kept by triggers on SQLite, a
generated, GIN-indexed tsvector column on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 23:46:42.826017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_tables()
    _create_full_text_search()


def _create_tables() -> None:
    op.create_table('curated_days',
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('taxonomy_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('max_papers', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('list_day', name=op.f('pk_curated_days'))
    )
    op.create_table('list_days',
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('paper_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('list_day', name=op.f('pk_list_days'))
    )
    op.create_table('papers',
    sa.Column('arxiv_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_list_day', sa.Date(), nullable=True),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.Column('ai_summary', sa.Text(), nullable=True),
    sa.Column('ai_keywords', sa.JSON(), nullable=False),
    sa.Column('keywords_text', sa.Text(), nullable=False),
    sa.Column('github_repo', sa.Text(), nullable=True),
    sa.Column('project_page', sa.Text(), nullable=True),
    sa.Column('github_stars', sa.Integer(), nullable=True),
    sa.Column('organization', sa.Text(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('primary_topic', sa.String(length=64), nullable=True),
    sa.Column('taxonomy_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('arxiv_id', name=op.f('pk_papers'))
    )
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.create_index('ix_papers_first_list_day', ['first_list_day'], unique=False)
        batch_op.create_index('ix_papers_primary_topic', ['primary_topic'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('chat_kind', sa.String(length=16), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('delivery_time', sa.String(length=5), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('platform', 'chat_id', name='uq_subscriptions_platform_chat')
    )
    op.create_table('digests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('topics_key', sa.String(length=400), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['list_day'], ['curated_days.list_day'], name=op.f('fk_digests_list_day_curated_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
    sa.UniqueConstraint('list_day', 'language', 'topics_key', name='uq_digests_day_language_topics')
    )
    op.create_table('exclusions',
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('arxiv_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('family', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['arxiv_id'], ['papers.arxiv_id'], name=op.f('fk_exclusions_arxiv_id_papers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_day'], ['curated_days.list_day'], name=op.f('fk_exclusions_list_day_curated_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_day', 'arxiv_id', name=op.f('pk_exclusions'))
    )
    op.create_table('list_entries',
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('arxiv_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['arxiv_id'], ['papers.arxiv_id'], name=op.f('fk_list_entries_arxiv_id_papers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_day'], ['list_days.list_day'], name=op.f('fk_list_entries_list_day_list_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_day', 'arxiv_id', name=op.f('pk_list_entries'))
    )
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_list_entries_arxiv_id', ['arxiv_id'], unique=False)

    op.create_table('picks',
    sa.Column('list_day', sa.Date(), nullable=False),
    sa.Column('arxiv_id', sa.String(length=40), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['arxiv_id'], ['papers.arxiv_id'], name=op.f('fk_picks_arxiv_id_papers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_day'], ['curated_days.list_day'], name=op.f('fk_picks_list_day_curated_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_day', 'arxiv_id', name=op.f('pk_picks'))
    )
    with op.batch_alter_table('picks', schema=None) as batch_op:
        batch_op.create_index('ix_picks_topic', ['topic'], unique=False)

    op.create_table('summaries',
    sa.Column('arxiv_id', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('prompt_version', sa.String(length=64), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['arxiv_id'], ['papers.arxiv_id'], name=op.f('fk_summaries_arxiv_id_papers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('arxiv_id', 'language', 'model', 'prompt_version', name=op.f('pk_summaries'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('message_index', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remote_id', sa.String(length=100), nullable=True),
    sa.Column('thread_ref', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_deliveries_digest_id_digests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('digest_id', 'platform', 'chat_id', 'message_index', name='uq_deliveries_message')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_chat', ['platform', 'chat_id'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'not_before'], unique=False)



def downgrade() -> None:
    _drop_full_text_search()
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index('ix_deliveries_chat')

    op.drop_table('deliveries')
    op.drop_table('summaries')
    with op.batch_alter_table('picks', schema=None) as batch_op:
        batch_op.drop_index('ix_picks_topic')

    op.drop_table('picks')
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_list_entries_arxiv_id')

    op.drop_table('list_entries')
    op.drop_table('exclusions')
    op.drop_table('digests')
    op.drop_table('subscriptions')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index('ix_papers_primary_topic')
        batch_op.drop_index('ix_papers_first_list_day')

    op.drop_table('papers')
    op.drop_table('list_days')
    op.drop_table('curated_days')


_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, keywords, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, abstract, keywords)
        VALUES (new.rowid, new.title, new.abstract, new.keywords_text);
    END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        DELETE FROM papers_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, keywords_text ON papers BEGIN
        UPDATE papers_fts SET title = new.title, abstract = new.abstract, keywords = new.keywords_text
        WHERE rowid = new.rowid;
    END""",
]

_POSTGRES_FTS = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(keywords_text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def _create_full_text_search() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_FTS if dialect == "sqlite" else _POSTGRES_FTS if dialect == "postgresql" else []:
        op.execute(statement)


def _drop_full_text_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("papers_fts_insert", "papers_fts_delete", "papers_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS papers_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_papers_search_vector")
        op.execute("ALTER TABLE papers DROP COLUMN IF EXISTS search_vector")
