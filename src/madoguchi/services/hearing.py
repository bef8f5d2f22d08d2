"""The hearing: questionnaires chosen by category and product, answers with history.

The desk answers during the hearing; the reporter may answer too when the desk opens
the hearing to them (``case.hearing_open``). Every change is a new row, so the history
of each answer is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.hearing import HearingAnswer
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_
from madoguchi.knowledge.answer_conditions import is_unanswered
from madoguchi.knowledge.hearing import (
    AnswerError,
    Questionnaire,
    questionnaires_for,
    validate_answers,
)
from madoguchi.ports import UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case


@dataclass(frozen=True)
class HearingView:
    questionnaires: tuple[Questionnaire, ...]
    answers: Mapping[str, Any]
    history: tuple[HearingAnswer, ...]
    can_edit: bool


def current_answers(uow: UnitOfWork, case_id: int) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for row in uow.hearing.history(case_id):
        answers[row.question_id] = row.value
    return {k: v for k, v in answers.items() if not is_unanswered(v)}


def view_hearing(uow: UnitOfWork, actor: Actor, case_id: int) -> HearingView:
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    return HearingView(
        questionnaires=tuple(questionnaires_for(case.categories, case.products)),
        answers=current_answers(uow, case.id),
        history=tuple(uow.hearing.history(case.id)) if actor.is_desk else (),
        can_edit=actor.is_desk or case.hearing_open,
    )


class HearingAnswerError(ValidationError):
    def __init__(self, errors: list[AnswerError]) -> None:
        super().__init__(N_("some answers need another look"), where=errors[0].question_id)
        self.errors = errors


def save_answers(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    answers: Mapping[str, Any],
    *,
    ip: str | None = None,
) -> int:
    """Store changed answers as new rows; returns how many changed."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None and actor.user_id is not None
    if not actor.is_desk and not case.hearing_open:
        raise NotFoundError(N_("the hearing is not open for your answers"))
    questionnaires = questionnaires_for(case.categories, case.products)
    errors = validate_answers(questionnaires, answers)
    if errors:
        raise HearingAnswerError(errors)
    current = current_answers(uow, case.id)
    now = datetime.now(UTC)
    changed = []
    for question_id, value in answers.items():
        if current.get(question_id) == value or (
            question_id not in current and is_unanswered(value)
        ):
            continue
        uow.hearing.add(HearingAnswer(case.id, question_id, value, actor.user_id, now))
        changed.append(question_id)
    if changed:
        audit.record(
            uow, actor, "hearing:answer", "case", case.id, case_id=case.id, ip=ip, questions=changed
        )
    return len(changed)


def open_to_reporter(uow: UnitOfWork, actor: Actor, case_id: int, open_: bool) -> None:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    case.hearing_open = open_
    audit.record(
        uow, actor, "hearing:open" if open_ else "hearing:close", "case", case.id, case_id=case.id
    )
