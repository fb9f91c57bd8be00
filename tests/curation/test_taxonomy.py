"""The taxonomy file: the shipped default, a user's own file, and every way to get it wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.bot.curation.taxonomy import Taxonomy, TaxonomyError, load_taxonomy, parse_taxonomy
from paperwire.config.settings import DEFAULT_TOPICS_FILE

DEFAULT_TOPICS = (
    "agentic-rl", "efficient-llm", "vla", "world-models", "rlvr-alignment", "multi-agent"
)
REQUIRED_FAMILIES = (
    "diffusion-generation",
    "computer-vision",
    "robotics-application",
    "policy-risk",
    "pure-theory",
    "technical-report",
    "benchmark-dataset",
    "hardware",
)

SMALL = """\
# a user's own taxonomy
[[topic]]
id = "agents"
name = { en = "Agents", zh = "智能体" }
keywords = ["llm agent", "tool use"]

[[family]]
id = "gen"
name = { en = "Generation", zh = "生成" }
keywords = ["text-to-image"]
reason = { en = "generation", zh = "生成" }
"""


@pytest.fixture(scope="module")
def default() -> Taxonomy:
    return load_taxonomy(DEFAULT_TOPICS_FILE)


def test_the_default_file_has_the_documented_topics_and_families(default: Taxonomy) -> None:
    assert default.topic_ids == DEFAULT_TOPICS
    family_ids = {family.id for family in default.families}
    assert set(REQUIRED_FAMILIES) <= family_ids
    for entry in (*default.topics, *default.families):
        assert entry.name["en"] and entry.name["zh"]
        assert len(entry.keywords) >= 3
    for family in default.families:
        assert family.reason["en"] and family.reason["zh"]
    kinds = {family.id: family.kind for family in default.families}
    assert kinds["technical-report"] == kinds["benchmark-dataset"] == "paper_type"
    assert kinds["diffusion-generation"] == kinds["hardware"] == "family"


def test_topics_are_found_by_id_or_by_either_name(default: Taxonomy) -> None:
    assert default.find_topic("agentic-rl") is default.topic("agentic-rl")
    assert default.find_topic("Agentic RL") is default.topic("agentic-rl")
    assert default.find_topic("  agentic_RL ") is default.topic("agentic-rl")
    assert default.find_topic("智能体强化学习") is default.topic("agentic-rl")
    assert default.find_topic("worldmodels") is default.topic("world-models")
    assert default.find_topic("diffusion-generation") is None  # a family, not a topic
    assert default.find_topic("") is None
    assert default.find_topic("nothing like it") is None


def test_topic_names_come_in_each_language(default: Taxonomy) -> None:
    assert default.topic_names("en")["efficient-llm"] == "Efficient LLM"
    assert default.topic_names("zh")["efficient-llm"] == "高效大模型"
    assert default.topic_names("fr") == default.topic_names("en")


def test_unknown_ids_raise_with_the_known_ones(default: Taxonomy) -> None:
    with pytest.raises(KeyError, match="agentic-rl"):
        default.topic("no-such-topic")
    with pytest.raises(KeyError, match="hardware"):
        default.family("no-such-family")


def test_a_user_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(SMALL, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.topic_ids == ("agents",)
    assert taxonomy.family("gen").kind == "family"
    assert taxonomy.topic("agents").negative == ()


def test_the_fingerprint_follows_content_not_layout() -> None:
    base = parse_taxonomy(SMALL, "a.toml").fingerprint
    relaid = SMALL.replace("# a user's own taxonomy", "# reworded comment").replace(" = ", "=")
    assert parse_taxonomy(relaid, "b.toml").fingerprint == base
    changed = SMALL.replace('"tool use"', '"tool calling"')
    assert parse_taxonomy(changed, "a.toml").fingerprint != base
    assert len(base) == 64


def test_duplicate_keywords_are_kept_once() -> None:
    text = SMALL.replace('["llm agent", "tool use"]', '["LLM agent", "llm  agent", "tool use"]')
    assert parse_taxonomy(text, "t.toml").topic("agents").keywords == ("LLM agent", "tool use")


def _error(text: str) -> str:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text, "topics.toml")
    return str(caught.value)


def test_a_syntax_error_names_file_line_and_column() -> None:
    text = SMALL.replace('id = "agents"', "id = agents")  # a bare word is not a TOML value
    assert _error(text) == "topics.toml, line 3, column 6: not valid TOML: Invalid value"


def test_a_missing_name_points_at_the_entry() -> None:
    text = SMALL + '\n[[topic]]\nid = "efficient-llm"\nkeywords = ["quantization"]\n'
    assert _error(text) == (
        'topics.toml, line 13: topic "efficient-llm" has no name; '
        'add name = { en = "...", zh = "..." }'
    )


def test_a_name_without_chinese_points_at_the_name_line() -> None:
    text = SMALL.replace('name = { en = "Agents", zh = "智能体" }', 'name = { en = "Agents" }')
    assert _error(text).startswith('topics.toml, line 4: topic "Agents" name needs zh text')


def test_an_id_that_is_not_kebab_case_suggests_one() -> None:
    text = SMALL.replace('id = "agents"', 'id = "Agentic RL"')
    assert _error(text) == (
        'topics.toml, line 3: topic "Agents" id must be kebab-case, e.g. agentic-rl'
    )


def test_a_duplicate_id_names_both_entries() -> None:
    text = SMALL + (
        '\n[[topic]]\nid = "agents"\nname = { en = "More agents", zh = "更多" }\nkeywords = ["a"]\n'
    )
    message = _error(text)
    assert message == (
        'topics.toml, line 14: topic "More agents" repeats the id \'agents\' of topic "Agents"'
    )


def test_a_family_may_not_reuse_a_topic_id() -> None:
    assert "repeats the id 'agents'" in _error(SMALL.replace('id = "gen"', 'id = "agents"'))


def test_a_missing_id_points_at_the_header() -> None:
    assert _error(SMALL.replace('id = "gen"\n', "")).startswith(
        'topics.toml, line 7: family "Generation" has no id'
    )


KEYWORDS = 'keywords = ["llm agent", "tool use"]'
REASON = 'reason = { en = "generation", zh = "生成" }'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (KEYWORDS, 'keywords = "llm agent"', 'line 5: topic "Agents" keywords must be a list'),
        (KEYWORDS, 'keywords = ["llm agent", 3]', 'line 5: topic "Agents" keywords must be a list'),
        (KEYWORDS, "keywords = []", 'line 5: topic "Agents" keywords is empty'),
        (KEYWORDS, 'keywords = ["a", "  "]', 'line 5: topic "Agents" keywords holds an empty'),
        (KEYWORDS, 'keywords = ["llm*agent"]', "may use * only at the start or end"),
        (KEYWORDS, 'keywords = ["*llm agent"]', "may use * only at the start or end"),
        (KEYWORDS, 'keyword = ["llm agent"]', "topic \"Agents\" has an unknown key 'keyword'"),
        (KEYWORDS, 'negative = "x"', 'line 2: topic "Agents" has no keywords'),
        (REASON, 'reason = { en = "generation" }', 'line 11: family "Generation" reason needs zh'),
        (REASON, "", 'line 7: family "Generation" has no reason'),
        (REASON, 'reason = "generation"', 'line 11: family "Generation" reason must be a table'),
        ('id = "gen"', 'id = "gen"\nkind = "tech"', 'line 9: family "Generation" kind must be'),
    ],
)
def test_semantic_errors_name_the_line(old: str, new: str, expected: str) -> None:
    assert old in SMALL
    message = _error(SMALL.replace(old, new))
    assert message.startswith("topics.toml, line ")
    assert expected in message


def test_a_file_without_topics_is_refused() -> None:
    families_only = SMALL[SMALL.index("[[family]]") :]
    assert "no [[topic]] tables" in _error(families_only)


def test_an_unknown_section_is_refused() -> None:
    assert _error(SMALL + "\n[settings]\nx = 1\n") == (
        "topics.toml, line 13: unknown section 'settings'; "
        "a taxonomy holds [[topic]] and [[family]] tables"
    )


def test_a_missing_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match=r"not found \(set digest.topics_file\)"):
        load_taxonomy(tmp_path / "absent.toml")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(path)
