"""`like`, `dislike` and `taste`: a chat's votes, and the re-ranking they give its digests.

Votes are stored per member (the last one stands); the taste learned from them is kept a
minute per chat and forgotten at once when the chat votes again or resets.
"""

from __future__ import annotations

from collections.abc import Callable

from paperwire.bot.curation.taste import Taste
from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Language
from paperwire.bot.pipeline import Pipeline, Rerank
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store import votes as vote_store
from paperwire.bot.store.database import Database
from paperwire.bot.views import MessageView
from paperwire.formatters.text import join_list, short_name
from paperwire.handlers.cache import TTLCache
from paperwire.handlers.messages import message, text_reply

TASTE_CACHE_SECONDS = 60.0


class ChatTastes:
    """Votes in, each chat's taste and re-ranking out."""

    def __init__(
        self, db: Database, pipeline: Pipeline, taxonomy: Taxonomy, clock: Callable[[], float]
    ) -> None:
        self.db = db
        self.pipeline = pipeline
        self.taxonomy = taxonomy
        self._tastes: TTLCache[Taste] = TTLCache(TASTE_CACHE_SECONDS, 4096, clock)

    async def taste(self, platform: str, chat_id: str) -> Taste | None:
        """The chat's taste, or None when it has no votes (or no text model to learn with)."""
        if self.pipeline.similar is None:
            return None
        key = (platform, chat_id)
        taste = self._tastes.get(key)
        if taste is None:
            async with self.db.connect() as connection:
                voted = await vote_store.voted_papers(connection, platform, chat_id)
            taste = self.pipeline.learn_taste(voted) or Taste()
            self._tastes.put(key, taste)
        return taste if taste.votes else None

    async def rerank_for(self, platform: str, chat_id: str, only_topics: tuple[str, ...]) -> Rerank | None:
        """How this chat's votes re-rank a curated day (None: no votes, the global picks)."""
        return self.reranker(await self.taste(platform, chat_id), only_topics)

    def reranker(self, taste: Taste | None, only_topics: tuple[str, ...]) -> Rerank | None:
        return self.pipeline.reranker(taste, only_topics)

    async def vote(
        self, platform: str, chat_id: str, user_id: str, arxiv_id: str, value: int, language: Language
    ) -> MessageView:
        async with self.db.begin() as connection:
            paper = await paper_store.get_paper(connection, arxiv_id)
            if paper is None:
                return text_reply(language, "not_found", message(language, "vote_unknown_paper", id=arxiv_id))
            await vote_store.record_vote(connection, platform, chat_id, user_id, arxiv_id, value)
        self._tastes.drop((platform, chat_id))
        key = "vote_recorded_like" if value > 0 else "vote_recorded_dislike"
        return text_reply(language, "info", message(language, key, title=short_name(paper.title) or arxiv_id))

    async def show(self, platform: str, chat_id: str, language: Language) -> MessageView:
        taste = await self.taste(platform, chat_id)
        if taste is None:
            return text_reply(language, "info", message(language, "taste_none"))
        names = self.taxonomy.topic_names(language)
        towards = [names.get(topic, topic) for topic, share in sorted(taste.topics.items(), key=lambda kv: -kv[1]) if share > 0]
        away = [names.get(topic, topic) for topic, share in sorted(taste.topics.items(), key=lambda kv: kv[1]) if share < 0]
        lines = [message(language, "taste_summary", votes=taste.votes)]
        if towards or taste.liked_terms:
            lines.append(message(language, "taste_towards", items=join_list(towards + taste.liked_terms[:4], language)))
        if away or taste.disliked_terms:
            lines.append(message(language, "taste_away", items=join_list(away + taste.disliked_terms[:4], language)))
        return text_reply(language, "info", *lines)

    async def reset(self, platform: str, chat_id: str, language: Language) -> MessageView:
        async with self.db.begin() as connection:
            count = await vote_store.forget_votes(connection, platform, chat_id)
        self._tastes.drop((platform, chat_id))
        return text_reply(language, "info", message(language, "taste_forgotten", count=count))
