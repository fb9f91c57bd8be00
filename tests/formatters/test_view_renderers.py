"""Every command reply (a view) has a renderer on every target: none reaches a user as `repr(view)`."""

from __future__ import annotations

import typing

import pytest

from paperwire.bot import views
from paperwire.formatters import plain, slack_views, telegram_views

TARGETS = {"cli": plain, "telegram": telegram_views, "slack": slack_views}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_view_type_has_a_renderer(target: str) -> None:
    view_types = set(typing.get_args(views.View))
    assert view_types, "bot/views.py defines View as a union of the reply types"
    missing = view_types - TARGETS[target].RENDERED_VIEWS
    assert not missing, f"{target} cannot render {sorted(kind.__name__ for kind in missing)}"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_an_unknown_view_is_an_error_not_a_repr(target: str) -> None:
    class Unknown:
        secret = "internal state"

    with pytest.raises(TypeError, match="no renderer for Unknown"):
        TARGETS[target].render_view(Unknown())  # type: ignore[arg-type]
