"""Hearing questionnaires: which questions the desk asks, and checking the answers.

The questionnaires are YAML files in ``knowledge/hearing/``. One applies to every case
(``always: true``); others are chosen by case category or by a pattern over the case's
product names (``VMware ESXi 7.0`` matches ``esxi``). Every question has a stable id
``<questionnaire>.<name>`` that the support rules refer to.

Answers arrive as plain values (what a web form or the API sends):

=================  ==============================================================
type               accepted answer
=================  ==============================================================
text, textarea     a string
yes_no_unknown     ``"yes"``, ``"no"`` or ``"unknown"`` (``True``/``False`` too)
single_choice      one choice id
multiple_choice    a list of choice ids
date               an ISO date ``YYYY-MM-DD`` (or a ``datetime.date``)
number             an int or float, or a string holding one
=================  ==============================================================

An empty answer (``None``, ``""``, ``[]``) means "not answered yet". A question may carry
``show_if`` (a condition on an earlier answer, see ``answer_conditions``) so that, for
example, the VPN product is asked only when a VPN is exposed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path

from madoguchi.domain.case import Category
from madoguchi.knowledge.answer_conditions import AnswerCondition, is_unanswered, parse_condition
from madoguchi.knowledge.datafiles import (
    KNOWLEDGE_DIR,
    LocalText,
    Reader,
    any_pattern_matches,
    display_name,
)

HEARING_DIR = KNOWLEDGE_DIR / "hearing"
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
QUESTIONNAIRE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TEXT_LIMIT = 1_000
TEXTAREA_LIMIT = 20_000


class QuestionType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    YES_NO_UNKNOWN = "yes_no_unknown"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DATE = "date"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: LocalText


YES_NO_UNKNOWN_CHOICES = (
    Choice("yes", LocalText(ja="はい", en="Yes")),
    Choice("no", LocalText(ja="いいえ", en="No")),
    Choice("unknown", LocalText(ja="わからない", en="Don't know")),
)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: QuestionType
    label: LocalText
    help: LocalText | None = None
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    show_if: AnswerCondition | None = None
    """Ask this question only when an earlier answer meets the condition."""

    def choice_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices)

    def is_visible(self, answers: Mapping[str, object]) -> bool:
        return self.show_if is None or self.show_if.holds(answers)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    id: str
    title: LocalText
    order: int
    questions: tuple[Question, ...]
    description: LocalText | None = None
    always: bool = False
    categories: tuple[str, ...] = ()
    products: tuple[re.Pattern[str], ...] = ()

    def applies_to(self, categories: Iterable[str], products: Iterable[str]) -> bool:
        if self.always:
            return True
        if set(self.categories) & {str(c) for c in categories}:
            return True
        return any_pattern_matches(self.products, tuple(products))


@dataclass(frozen=True, slots=True)
class AnswerError:
    """One answer that does not fit its question; ``code`` is machine-readable."""

    question_id: str
    code: str
    message: LocalText

    def __str__(self) -> str:
        return f"{self.question_id}: {self.message.en}"


# --- loading ------------------------------------------------------------------------------

_QUESTIONNAIRE_KEYS = frozenset({"id", "title", "description", "order", "applies_to", "questions"})
_APPLIES_KEYS = frozenset({"always", "categories", "products"})
_QUESTION_KEYS = frozenset(
    {"id", "type", "label", "help", "required", "choices", "min", "max", "show_if"}
)
_CATEGORIES = frozenset(c.value for c in Category)


def load_questionnaires(directory: Path | None = None) -> tuple[Questionnaire, ...]:
    """Read and validate every questionnaire, ordered by ``order`` then id.

    Raises :class:`~madoguchi.knowledge.datafiles.KnowledgeDataError` listing every
    problem (file and questionnaire/question id) when any file is wrong.
    """
    if directory is None:
        return _builtin_questionnaires()
    return _load(directory)


@cache
def _builtin_questionnaires() -> tuple[Questionnaire, ...]:
    return _load(HEARING_DIR)


def _load(directory: Path) -> tuple[Questionnaire, ...]:
    reader = Reader()
    found: list[Questionnaire] = []
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        reader.problem(display_name(directory), "", "no questionnaire files (*.yml)")
    for path in paths:
        questionnaire = _read_questionnaire(reader, path)
        if questionnaire is not None:
            found.append(questionnaire)
    _check_unique(reader, found)
    reader.raise_if_any()
    return tuple(sorted(found, key=lambda q: (q.order, q.id)))


def _read_questionnaire(reader: Reader, path: Path) -> Questionnaire | None:
    name = display_name(path)
    data = reader.load_yaml(path)
    if not isinstance(data, Mapping):
        if data is not None:
            reader.problem(name, "", "expected a mapping at the top level")
        return None
    qid = data.get("id")
    if not isinstance(qid, str) or not QUESTIONNAIRE_ID.match(qid):
        reader.problem(name, "", f"id {qid!r} must be lowercase letters, digits and '_'")
        return None
    reader.unknown_keys(name, qid, data, _QUESTIONNAIRE_KEYS)
    title = reader.text(name, qid, data.get("title"), "title")
    description = None
    if data.get("description") is not None:
        description = reader.text(name, qid, data.get("description"), "description")
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        reader.problem(name, qid, "order must be an integer")
        order = 100
    always, categories, products = _read_applies(reader, name, qid, data.get("applies_to"))
    questions = _read_questions(reader, name, qid, data.get("questions"))
    if title is None:
        return None
    return Questionnaire(
        id=qid,
        title=title,
        description=description,
        order=order,
        questions=questions,
        always=always,
        categories=categories,
        products=products,
    )


def _read_applies(
    reader: Reader, name: str, qid: str, value: object
) -> tuple[bool, tuple[str, ...], tuple[re.Pattern[str], ...]]:
    if not isinstance(value, Mapping):
        reader.problem(name, qid, "applies_to: expected a mapping (always/categories/products)")
        return False, (), ()
    reader.unknown_keys(name, qid, value, _APPLIES_KEYS)
    always = value.get("always", False) is True
    categories = reader.strings(name, qid, value.get("categories"), "applies_to.categories")
    for category in categories:
        if category not in _CATEGORIES:
            reader.problem(name, qid, f"applies_to.categories: unknown category {category!r}")
    products = reader.patterns(name, qid, value.get("products"), "applies_to.products")
    if not (always or categories or products):
        reader.problem(
            name, qid, "applies_to selects no case (give always, categories or products)"
        )
    return always, categories, products


def _read_questions(reader: Reader, name: str, qid: str, value: object) -> tuple[Question, ...]:
    if not isinstance(value, list) or not value:
        reader.problem(name, qid, "questions: expected a non-empty list")
        return ()
    questions: list[Question] = []
    for raw in value:
        question = _read_question(reader, name, qid, raw)
        if question is None:
            continue
        if isinstance(raw, Mapping) and raw.get("show_if") is not None:
            question = _with_show_if(reader, name, question, raw.get("show_if"), questions)
        questions.append(question)
    return tuple(questions)


def _with_show_if(
    reader: Reader, name: str, question: Question, raw: object, earlier: list[Question]
) -> Question:
    """Attach ``show_if``; it may only refer to an earlier question of the same file."""
    types = {q.id: q.type.value for q in earlier}
    choices = {q.id: q.choice_ids() for q in earlier}
    condition, problems = parse_condition(raw, types, choices)
    for problem in problems:
        reader.problem(name, question.id, f"show_if: {problem} (earlier questions only)")
    return replace(question, show_if=condition) if condition is not None else question


def _read_question(reader: Reader, name: str, qid: str, raw: object) -> Question | None:
    if not isinstance(raw, Mapping):
        reader.problem(name, qid, f"question {raw!r} is not a mapping")
        return None
    question_id = raw.get("id")
    if not isinstance(question_id, str) or not QUESTION_ID.match(question_id):
        reader.problem(name, qid, f"question id {question_id!r} must look like '{qid}.name'")
        return None
    if not question_id.startswith(f"{qid}."):
        reader.problem(name, question_id, f"question id must start with '{qid}.'")
    reader.unknown_keys(name, question_id, raw, _QUESTION_KEYS)
    try:
        qtype = QuestionType(str(raw.get("type")))
    except ValueError:
        allowed = [t.value for t in QuestionType]
        reader.problem(name, question_id, f"type {raw.get('type')!r} is not one of {allowed}")
        return None
    label = reader.text(name, question_id, raw.get("label"), "label")
    help_text = None
    if raw.get("help") is not None:
        help_text = reader.text(name, question_id, raw.get("help"), "help")
    choices = _read_choices(reader, name, question_id, qtype, raw.get("choices"))
    minimum = _read_bound(reader, name, question_id, qtype, raw, "min")
    maximum = _read_bound(reader, name, question_id, qtype, raw, "max")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        reader.problem(name, question_id, "required must be true or false")
    if label is None:
        return None
    return Question(
        id=question_id,
        type=qtype,
        label=label,
        help=help_text,
        required=required is True,
        choices=choices,
        minimum=minimum,
        maximum=maximum,
    )


def _read_choices(
    reader: Reader, name: str, question_id: str, qtype: QuestionType, value: object
) -> tuple[Choice, ...]:
    if qtype is QuestionType.YES_NO_UNKNOWN:
        if value is not None:
            reader.problem(name, question_id, "yes_no_unknown questions take no choices")
        return YES_NO_UNKNOWN_CHOICES
    if qtype not in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        if value is not None:
            reader.problem(name, question_id, f"{qtype.value} questions take no choices")
        return ()
    if not isinstance(value, list) or len(value) < 2:
        reader.problem(name, question_id, "choices: expected a list of at least two")
        return ()
    choices: list[Choice] = []
    seen: set[str] = set()
    for raw in value:
        cid = raw.get("id") if isinstance(raw, Mapping) else None
        if not isinstance(cid, str) or not CHOICE_ID.match(cid):
            reader.problem(name, question_id, f"choice id {cid!r} is missing or malformed")
            continue
        if cid in seen:
            reader.problem(name, question_id, f"choice id {cid!r} appears twice")
        seen.add(cid)
        label = reader.text(name, f"{question_id}/{cid}", raw.get("label"), "label")
        if label is not None:
            choices.append(Choice(cid, label))
    return tuple(choices)


def _read_bound(
    reader: Reader,
    name: str,
    question_id: str,
    qtype: QuestionType,
    raw: Mapping[object, object],
    key: str,
) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if qtype is not QuestionType.NUMBER:
        reader.problem(name, question_id, f"{key} applies to number questions only")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        reader.problem(name, question_id, f"{key} must be a number")
        return None
    return float(value)


def _check_unique(reader: Reader, questionnaires: list[Questionnaire]) -> None:
    seen_questionnaires: set[str] = set()
    seen_questions: dict[str, str] = {}
    for questionnaire in questionnaires:
        if questionnaire.id in seen_questionnaires:
            reader.problem("hearing", questionnaire.id, "questionnaire id used twice")
        seen_questionnaires.add(questionnaire.id)
        for question in questionnaire.questions:
            if question.id in seen_questions:
                reader.problem(
                    f"hearing/{questionnaire.id}",
                    question.id,
                    f"question id already used in {seen_questions[question.id]}",
                )
            seen_questions[question.id] = questionnaire.id


# --- selection ----------------------------------------------------------------------------


def questionnaires_for(
    categories: Iterable[str],
    products: Iterable[str],
    questionnaires: Iterable[Questionnaire] | None = None,
) -> list[Questionnaire]:
    """The questionnaires for a case: the common one, then by category, then by product.

    Each questionnaire appears once, in the stable order of its ``order`` value.
    """
    pool = _builtin_questionnaires() if questionnaires is None else tuple(questionnaires)
    wanted_categories = tuple(str(c) for c in categories)
    wanted_products = tuple(p for p in products if p)
    chosen: dict[str, Questionnaire] = {}
    for questionnaire in sorted(pool, key=lambda q: (q.order, q.id)):
        if questionnaire.id not in chosen and questionnaire.applies_to(
            wanted_categories, wanted_products
        ):
            chosen[questionnaire.id] = questionnaire
    return list(chosen.values())


def all_questions(questionnaires: Iterable[Questionnaire] | None = None) -> dict[str, Question]:
    """Every question by id (the built-in questionnaires when none are given)."""
    pool = _builtin_questionnaires() if questionnaires is None else tuple(questionnaires)
    return {q.id: q for questionnaire in pool for q in questionnaire.questions}


# --- answers ------------------------------------------------------------------------------


def visible_questions(
    questions: Iterable[Question] | Iterable[Questionnaire], answers: Mapping[str, object]
) -> list[Question]:
    """The questions to show given the answers so far (``show_if`` applied), in order."""
    return [q for q in _by_id(questions).values() if q.is_visible(answers)]


def _by_id(questions: Iterable[Question] | Iterable[Questionnaire]) -> dict[str, Question]:
    by_id: dict[str, Question] = {}
    for item in questions:
        for question in item.questions if isinstance(item, Questionnaire) else (item,):
            by_id.setdefault(question.id, question)
    return by_id


def validate_answers(
    questions: Iterable[Question] | Iterable[Questionnaire],
    answers: Mapping[str, object],
    *,
    check_required: bool = False,
) -> list[AnswerError]:
    """Every problem with ``answers`` (question id -> value), in question order.

    Answers to ids that are not among ``questions`` are errors (``unknown_question``).
    With ``check_required`` a required question left empty is an error too (unless
    ``show_if`` hides it); leave it off while the hearing is still in progress.
    """
    by_id = _by_id(questions)
    errors: list[AnswerError] = []
    for question in by_id.values():
        if question.id not in answers or is_unanswered(answers[question.id]):
            if check_required and question.required and question.is_visible(answers):
                errors.append(
                    _error(question.id, "required", "回答が必要です。", "An answer is required.")
                )
            continue
        error = _check_value(question, answers[question.id])
        if error is not None:
            errors.append(error)
    for answer_id in answers:
        if answer_id not in by_id:
            errors.append(
                _error(
                    answer_id,
                    "unknown_question",
                    "この質問はありません。",
                    "There is no such question.",
                )
            )
    return errors


def _error(question_id: str, code: str, ja: str, en: str) -> AnswerError:
    return AnswerError(question_id, code, LocalText(ja=ja, en=en))


def _check_value(question: Question, value: object) -> AnswerError | None:
    checker = _CHECKERS[question.type]
    return checker(question, value)


def _check_text(question: Question, value: object) -> AnswerError | None:
    if not isinstance(value, str):
        return _error(question.id, "wrong_type", "文字で入力してください。", "Enter text.")
    limit = TEXTAREA_LIMIT if question.type is QuestionType.TEXTAREA else TEXT_LIMIT
    if len(value) > limit:
        return _error(
            question.id,
            "too_long",
            f"{limit}文字以内で入力してください。",
            f"Enter at most {limit} characters.",
        )
    return None


def _check_yes_no(question: Question, value: object) -> AnswerError | None:
    if isinstance(value, bool) or value in ("yes", "no", "unknown"):
        return None
    return _error(
        question.id,
        "unknown_choice",
        "「はい」「いいえ」「わからない」から選んでください。",
        "Choose yes, no or don't know.",
    )


def _check_single(question: Question, value: object) -> AnswerError | None:
    if isinstance(value, str) and value in question.choice_ids():
        return None
    return _error(
        question.id, "unknown_choice", "選択肢から選んでください。", "Choose one of the options."
    )


def _check_multiple(question: Question, value: object) -> AnswerError | None:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        return _error(
            question.id, "wrong_type", "選択肢を選んでください。", "Choose from the options."
        )
    allowed = question.choice_ids()
    if all(isinstance(v, str) and v in allowed for v in value):
        return None
    return _error(
        question.id,
        "unknown_choice",
        "選択肢にない値があります。",
        "A value is not one of the options.",
    )


def _check_date(question: Question, value: object) -> AnswerError | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return None
    if isinstance(value, str):
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return None
    return _error(
        question.id,
        "bad_date",
        "日付を YYYY-MM-DD の形で入力してください。",
        "Enter a date as YYYY-MM-DD.",
    )


def _check_number(question: Question, value: object) -> AnswerError | None:
    number = parse_number(value)
    if number is None:
        return _error(question.id, "bad_number", "数値を入力してください。", "Enter a number.")
    if question.minimum is not None and number < question.minimum:
        return _error(
            question.id,
            "out_of_range",
            f"{question.minimum:g} 以上の値を入力してください。",
            f"Enter {question.minimum:g} or more.",
        )
    if question.maximum is not None and number > question.maximum:
        return _error(
            question.id,
            "out_of_range",
            f"{question.maximum:g} 以下の値を入力してください。",
            f"Enter {question.maximum:g} or less.",
        )
    return None


def parse_number(value: object) -> float | None:
    """A finite number from an int, float or numeric string (``"1,200"`` too); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


_CHECKERS = {
    QuestionType.TEXT: _check_text,
    QuestionType.TEXTAREA: _check_text,
    QuestionType.YES_NO_UNKNOWN: _check_yes_no,
    QuestionType.SINGLE_CHOICE: _check_single,
    QuestionType.MULTIPLE_CHOICE: _check_multiple,
    QuestionType.DATE: _check_date,
    QuestionType.NUMBER: _check_number,
}
