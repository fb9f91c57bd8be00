"""The tables. Migrations in `migrations/versions` create exactly these; keep them in step.

Full-text search needs dialect-specific objects (SQLite FTS5 table and triggers, a
PostgreSQL generated `tsvector` column); those live in the migration, not here.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

papers = Table(
    "papers",
    metadata,
    Column("arxiv_id", String(40), primary_key=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", JSON, nullable=False, default=list),
    Column("published_at", DateTime(timezone=True)),
    Column("first_list_day", Date),
    Column("upvotes", Integer, nullable=False, default=0),
    Column("ai_summary", Text),
    Column("ai_keywords", JSON, nullable=False, default=list),
    Column("keywords_text", Text, nullable=False, default=""),
    Column("github_repo", Text),
    Column("project_page", Text),
    Column("github_stars", Integer),
    Column("organization", Text),
    Column("thumbnail_url", Text),
    Column("topics", JSON, nullable=False, default=list),
    Column("primary_topic", String(64)),
    Column("taxonomy_fingerprint", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_papers_primary_topic", papers.c.primary_topic)
Index("ix_papers_first_list_day", papers.c.first_list_day)

list_days = Table(
    "list_days",
    metadata,
    Column("list_day", Date, primary_key=True),
    Column("paper_count", Integer, nullable=False),
    Column("skipped_count", Integer, nullable=False, default=0),
    Column("source", String(200), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

list_entries = Table(
    "list_entries",
    metadata,
    Column("list_day", Date, ForeignKey("list_days.list_day", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("upvotes", Integer, nullable=False, default=0),
)
Index("ix_list_entries_arxiv_id", list_entries.c.arxiv_id)

curated_days = Table(
    "curated_days",
    metadata,
    Column("list_day", Date, primary_key=True),
    Column("taxonomy_fingerprint", String(64), nullable=False),
    Column("max_papers", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The LLM judge's verdicts (keep/drop, topic, reasons) and what its calls cost; NULL without a judge.
    Column("judge", JSON),
)

# Ranked papers of a curated day: the picks (selected) and the topic-matched candidates
# that chats following only some topics may draw on.
picks = Table(
    "picks",
    metadata,
    Column("list_day", Date, ForeignKey("curated_days.list_day", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("selected", Boolean, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("topic", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("stars", Integer, nullable=False),
)
Index("ix_picks_topic", picks.c.topic)
Index("ix_picks_arxiv_id", picks.c.arxiv_id)

exclusions = Table(
    "exclusions",
    metadata,
    Column("list_day", Date, ForeignKey("curated_days.list_day", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reason", JSON, nullable=False),
    Column("score", Float, nullable=False, default=0.0),
    Column("topic", String(64)),
    Column("family", String(64)),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_day", Date, ForeignKey("curated_days.list_day", ondelete="CASCADE"), nullable=False),
    Column("language", String(8), nullable=False),
    # "" for the global digest, else the sorted, comma-joined topic ids it is limited to.
    Column("topics_key", String(400), nullable=False, default=""),
    Column("published_on", Date, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("stats", JSON, nullable=False, default=dict),
    UniqueConstraint("list_day", "language", "topics_key", name="uq_digests_day_language_topics"),
)

summaries = Table(
    "summaries",
    metadata,
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("prompt_version", String(64), primary_key=True),
    Column("card", JSON, nullable=False),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    # LLM requests this card took; a card the grounding check rejected keeps its cost here too.
    Column("calls", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Each paper's text vector (bot/similar): float16 bytes, rewritten when the text or the model
# changes; `updated_at` lets an in-memory index fetch only what changed since it last looked.
paper_vectors = Table(
    "paper_vectors",
    metadata,
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_paper_vectors_updated_at", paper_vectors.c.updated_at)

# A chat's votes on papers (👍 +1 / 👎 -1): one per user and paper in a chat, the last one
# standing, so in a group or channel each member counts once.
votes = Table(
    "votes",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("chat_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("arxiv_id", String(40), ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("voted_at", DateTime(timezone=True), nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(100), nullable=False),
    # "config" for chats named in the settings, "chat" for ones made with /subscribe.
    Column("origin", String(16), nullable=False, default="chat"),
    Column("chat_kind", String(16), nullable=False, default="unknown"),
    Column("topics", JSON, nullable=False, default=list),
    Column("delivery_time", String(5)),
    Column("timezone", String(64)),
    Column("language", String(8)),
    Column("active", Boolean, nullable=False, default=True),
    Column("deactivated_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "chat_id", name="uq_subscriptions_platform_chat"),
)

# The outbox: one row per message to send, created when a digest is planned for a chat.
# One row per list day found empty: the chats' "no papers that day" messages hang off it.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_day", Date, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A rendered message shared by every chat planned with it: 50,000 chats of one digest point
# at the same few payload rows instead of holding 50,000 copies.
delivery_payloads = Table(
    "delivery_payloads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # A row belongs to a digest or to an empty-day notice, never both.
    # No foreign key to digests or payloads: checked row by row, they were half of what planning
    # a large slot cost on PostgreSQL (migration 0012). `outbox.plan_chats` checks and holds
    # both once per call; the store never deletes a digest, and unlinks a payload's rows
    # before it deletes the payload.
    Column("digest_id", Integer),
    Column("notice_id", Integer, ForeignKey("notices.id", ondelete="CASCADE")),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(100), nullable=False),
    Column("message_index", Integer, nullable=False),
    # The message: a shared payload row, or (empty-day notices) a payload of its own. Both are
    # dropped once the row is closed and older than the retention; the row itself stays.
    Column("payload_id", Integer),
    Column("payload", JSON),
    # "waiting" until the chat's previous message is sent (or given up), then "pending".
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    Column("remote_id", String(100)),
    Column("thread_ref", String(100)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # The answer to a send never came: it may have been delivered; resent at most once.
    Column("in_doubt", Boolean, nullable=False, default=False, server_default=false()),
    UniqueConstraint("digest_id", "platform", "chat_id", "message_index", name="uq_deliveries_message"),
    CheckConstraint("(digest_id IS NULL) <> (notice_id IS NULL)", name="ck_deliveries_one_parent"),
)
# A claim walks this index in its own order and reads only the rows it takes.
Index("ix_deliveries_claim", deliveries.c.platform, deliveries.c.status, deliveries.c.not_before, deliveries.c.id)
Index("ix_deliveries_payload_id", deliveries.c.payload_id)
# Only notice rows need this key (an index on every digest row cost planning a sixth of its index work).
Index(
    "uq_deliveries_notice",
    deliveries.c.notice_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index,
    unique=True,
    postgresql_where=deliveries.c.notice_id.isnot(None),
    sqlite_where=deliveries.c.notice_id.isnot(None),
)  # fmt: skip
Index("ix_deliveries_chat", deliveries.c.platform, deliveries.c.chat_id)


# Every running delivery worker, with a heartbeat: rows claimed by a worker whose heartbeat
# stopped are taken over at once instead of after their lease.
delivery_workers = Table(
    "delivery_workers",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

# One send budget per platform account (bot token, Slack workspace) shared by every replica
# on PostgreSQL: the next free send slot, in seconds of the database's clock.
send_budgets = Table(
    "send_budgets",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("next_slot", Float, nullable=False),
)
