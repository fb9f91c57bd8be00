"""`paperwire config check`: what is on, what is off and why, and every problem in one line."""

from __future__ import annotations

from paperwire.bot.app import PLATFORMS
from paperwire.bot.curation.taxonomy import TaxonomyError, load_taxonomy
from paperwire.bot.store.database import DatabaseUnavailable, inspect_database
from paperwire.config.masking import mask_url
from paperwire.config.settings import Settings


def platform_status(settings: Settings) -> dict[str, str]:
    """Each optional part: "on" or "off: <why>". Shared by config check and /healthz."""
    status = {platform.name: platform.status(settings).detail for platform in PLATFORMS}
    if settings.llm_enabled:
        where = mask_url(settings.llm.base_url or "https://api.openai.com/v1")
        status["llm"] = f"on ({settings.llm.model} at {where})"
    else:
        status["llm"] = "off: PAPERWIRE_LLM__API_KEY is not set; extractive summaries"
    return status


async def check_configuration(settings: Settings) -> tuple[list[str], list[str]]:
    """Returns (problems, report lines). Never prints a secret."""
    problems: list[str] = []
    lines: list[str] = []
    try:
        taxonomy = load_taxonomy(settings.digest.topics_file)
        lines.append(
            f"digest.topics_file: {settings.digest.topics_file} "
            f"({len(taxonomy.topics)} topics, {len(taxonomy.families)} exclusion families)"
        )
        known = {topic.id for topic in taxonomy.topics}
        for platform in PLATFORMS:
            section = platform.chats_setting()
            for target in platform.chats(settings):
                unknown = [topic for topic in target.topics if topic not in known]
                if unknown:
                    problems.append(
                        f"{section}: chat {target.id} follows unknown topics {', '.join(unknown)}; "
                        f"known topics: {', '.join(sorted(known))}"
                    )
    except TaxonomyError as error:
        problems.append(f"digest.topics_file: {error}")
    try:
        lines.append(f"database.url: {await inspect_database(settings.database_url)}")
    except DatabaseUnavailable as error:
        problems.append(f"database.url: {error}")
    lines.append(f"digest.language: {settings.digest.language}, digest.max_papers: {settings.digest.max_papers}")
    lines.append(
        f"schedule: build at {settings.schedule.build_time} {settings.schedule.timezone} on "
        f"{', '.join(settings.schedule.days)}"
    )
    for name, state in platform_status(settings).items():
        lines.append(f"{name}: {state}")
    for platform in PLATFORMS:
        problems.extend(platform.problems(settings))
    return problems, lines
