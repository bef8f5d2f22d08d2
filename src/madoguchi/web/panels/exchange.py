"""Case-page panel: indicator downloads for everyone who may see the case, and for the
desk the push to the configured MISP instance with the state of the last push."""

from __future__ import annotations

from typing import Any

from madoguchi.domain.errors import ConfigurationError
from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import misp_client, misp_push


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    if not actor.is_desk or not misp_client.configured():
        return {"misp": None}
    push = misp_push.push_status(uow, actor, case_id)
    try:
        config = misp_client.misp_config()
    except ConfigurationError as error:
        return {"misp": {"problem": error.message, "push": push}}
    assert config is not None
    return {"misp": {"problem": None, "push": push, "ceiling": config.ceiling.label}}
