"""The per-chat commands: subscribe, unsubscribe, settings; and each chat's subscription, cached.

Every command reads the chat's subscription (its language and topics shape the reply), so
it is kept in memory for a short while; the commands here always read it fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import LANGUAGES, Language
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store.database import Database
from paperwire.bot.store.subscriptions import Subscription
from paperwire.bot.views import SubscriptionView, View
from paperwire.handlers.cache import TTLCache
from paperwire.handlers.messages import message, text_reply, usage_line
from paperwire.handlers.parse import SettingsCommand

ALL_TOPICS = {"all", "*", "全部", "所有"}
MAX_TOPIC_NAME_WORDS = 4
# Why a chat's row is off when the chat itself chose it (not a platform refusal).
REASON_SETTINGS_ONLY = subscription_store.SETTINGS_ONLY
REASON_UNSUBSCRIBED = "unsubscribed"


class ChatSubscriptions:
    """Reads and changes chats' subscriptions; the platform adapter says who is an admin."""

    def __init__(
        self,
        db: Database,
        taxonomy: Taxonomy,
        *,
        default_language: Language,
        default_delivery_time: str,
        default_timezone: str,
        cache_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.taxonomy = taxonomy
        self.default_language: Language = default_language
        self.default_delivery_time = default_delivery_time
        self.default_timezone = default_timezone
        # (subscription or None,): a chat without one is worth remembering too.
        self._cache: TTLCache[tuple[Subscription | None]] = TTLCache(cache_seconds, 4096, clock)

    async def current(self, platform: str, chat_id: str, *, fresh: bool = False) -> Subscription | None:
        """The chat's subscription, possibly `cache_seconds` old unless `fresh`."""
        key = (platform, chat_id)
        cached = None if fresh else self._cache.get(key)
        if cached is not None:
            return cached[0]
        async with self.db.connect() as connection:
            subscription = await subscription_store.get_subscription(connection, platform, chat_id)
        self._cache.put(key, (subscription,))
        return subscription

    def reply_language(self, subscription: Subscription | None) -> Language:
        if subscription is not None and subscription.language in LANGUAGES:
            return subscription.language  # type: ignore[return-value]
        return self.default_language

    def resolve_topics(self, words: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Topic ids named by `words` (a name may span words), and the words that name none."""
        words = tuple(word for word in words if any(char.isalnum() for char in word))
        if any(word.casefold() in ALL_TOPICS for word in words):
            return [], []
        found: list[str] = []
        unknown: list[str] = []
        index = 0
        while index < len(words):
            for span in range(min(MAX_TOPIC_NAME_WORDS, len(words) - index), 0, -1):
                topic = self.taxonomy.find_topic(" ".join(words[index : index + span]))
                if topic is not None:
                    if topic.id not in found:
                        found.append(topic.id)
                    index += span
                    break
            else:
                unknown.append(words[index])
                index += 1
        return found, unknown

    async def subscribe(
        self, platform: str, chat_id: str, chat_kind: str | None, words: tuple[str, ...], language: Language
    ) -> View:
        topics, unknown = self.resolve_topics(words)
        if unknown:
            names = ", ".join(f'"{word}"' for word in unknown[:5])
            problem = message(language, "unknown_topics", names=names, topics=", ".join(self.taxonomy.topic_ids))
            return text_reply(language, "usage", problem, usage_line(language, "subscribe"))
        existing = await self.current(platform, chat_id, fresh=True)
        async with self.db.begin() as connection:
            subscription = await subscription_store.upsert_subscription(
                connection,
                platform,
                chat_id,
                topics=topics,
                active=True,
                chat_kind=chat_kind,
                # Keep what the chat chose before; a new subscription starts from the defaults.
                delivery_time=None if existing and existing.delivery_time else self.default_delivery_time,
                timezone=None if existing and existing.timezone else self.default_timezone,
                language=None if existing and existing.language else language,
            )
        self._cache.put((platform, chat_id), (subscription,))
        return self.view(subscription, language, message(language, "subscribed"))

    async def unsubscribe(self, platform: str, chat_id: str, user_id: str, language: Language) -> View:
        existing = await self.current(platform, chat_id, fresh=True)
        if existing is None or not existing.active:
            return text_reply(language, "info", message(language, "not_subscribed"))
        async with self.db.begin() as connection:
            reason = f"{REASON_UNSUBSCRIBED} by {platform} user {user_id}"[:500]
            await subscription_store.deactivate(connection, platform, chat_id, reason)
        self._cache.drop((platform, chat_id))
        return text_reply(language, "info", message(language, "unsubscribed"))

    async def show(self, platform: str, chat_id: str, language: Language) -> SubscriptionView:
        return self.view(await self.current(platform, chat_id, fresh=True), language)

    async def change_settings(
        self, platform: str, chat_id: str, chat_kind: str | None, command: SettingsCommand, language: Language
    ) -> SubscriptionView:
        """Store the settings given; a chat may set them before (or without) taking the digest."""
        existing = await self.current(platform, chat_id, fresh=True)
        async with self.db.begin() as connection:
            subscription = await subscription_store.upsert_subscription(
                connection,
                platform,
                chat_id,
                delivery_time=command.time,
                timezone=command.timezone,
                language=command.language,
                chat_kind=chat_kind,
                active=None if existing is not None else False,
                deactivated_reason=None if existing is not None else REASON_SETTINGS_ONLY,
            )
        self._cache.put((platform, chat_id), (subscription,))
        key = "settings_saved" if subscription.active else "settings_saved_inactive"
        return self.view(subscription, language, message(language, key))

    def view(self, subscription: Subscription | None, language: Language, note: str | None = None) -> SubscriptionView:
        """The chat's subscription as it stands, defaults filled in for what it never set."""
        names = self.taxonomy.topic_names(language)
        topics = list(subscription.topics) if subscription else []
        delivery_time = (subscription and subscription.delivery_time) or self.default_delivery_time
        zone = (subscription and subscription.timezone) or self.default_timezone
        chat_language = self.reply_language(subscription) if subscription else language
        topic_text = ", ".join(names.get(topic, topic) for topic in topics) or message(language, "all_topics")
        fields = [
            (message(language, "field_status"), self._status(subscription, language)),
            (message(language, "field_topics"), topic_text),
            (message(language, "field_time"), delivery_time),
            (message(language, "field_timezone"), zone),
            (message(language, "field_language"), message(language, f"language_{chat_language}")),
        ]
        return SubscriptionView(
            language,
            message(language, "subscription_title"),
            subscribed=bool(subscription and subscription.active),
            topics=topics,
            delivery_time=delivery_time,
            timezone=zone,
            reply_language=chat_language,
            fields=fields,
            note=note,
        )

    @staticmethod
    def _status(subscription: Subscription | None, language: Language) -> str:
        if subscription is None:
            return message(language, "status_none")
        if subscription.active:
            return message(language, "status_active")
        reason = subscription.deactivated_reason or ""
        if reason and not reason.startswith((REASON_SETTINGS_ONLY, REASON_UNSUBSCRIBED)):
            return message(language, "status_stopped", reason=reason)  # e.g. the bot was blocked
        return message(language, "status_inactive")
