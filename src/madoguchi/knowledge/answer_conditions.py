"""Conditions over hearing answers, shared by the support rules and by ``show_if``.

A condition names a question, an operator and (for most operators) a value::

    {question: ransomware.backups_intact, op: equals, value: "no"}

==========  ===========================================================================
op          holds when the answer ...
==========  ===========================================================================
equals      is the value (``True``/``False`` count as ``"yes"``/``"no"``)
in          is one of the listed values
contains    (multiple choice) includes the value; (text) contains it, ignoring case
exists      is given at all
truthy      is given and is not "no", "unknown", "none", 0 or an empty list
==========  ===========================================================================

An unanswered question never satisfies a condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OPS = frozenset({"equals", "in", "contains", "exists", "truthy"})
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice", "yes_no_unknown"})
CONTAINS_TYPES = frozenset({"multiple_choice", "text", "textarea"})
_FALSY_WORDS = frozenset({"", "no", "unknown", "none", "0"})


def is_unanswered(value: object) -> bool:
    """``None``, ``""`` and empty lists mean the question has not been answered yet."""
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


@dataclass(frozen=True, slots=True)
class AnswerCondition:
    question_id: str
    op: str
    values: tuple[str, ...] = ()

    def holds(self, answers: Mapping[str, object]) -> bool:
        answer = _as_word(answers.get(self.question_id))
        if is_unanswered(answer):
            return False
        if self.op == "exists":
            return True
        if self.op == "truthy":
            return _truthy(answer)
        if self.op == "contains":
            if isinstance(answer, list | tuple | set | frozenset):
                return self.values[0] in {str(a) for a in answer}
            return self.values[0].lower() in str(answer).lower()
        if isinstance(answer, list | tuple | set | frozenset):
            return False
        return str(answer) in self.values


def parse_condition(
    raw: object,
    question_types: Mapping[str, str],
    choices: Mapping[str, tuple[str, ...]],
) -> tuple[AnswerCondition | None, list[str]]:
    """Read ``{question, op, value}``; returns the condition (or None) and the problems.

    ``question_types`` maps each known question id to its type; ``choices`` maps choice
    questions to their choice ids, so a misspelt value is reported at load time.
    """
    if not isinstance(raw, Mapping):
        return None, ["expected {question, op, value}"]
    problems: list[str] = []
    extra = sorted(str(k) for k in raw if k not in ("question", "op", "value"))
    if extra:
        problems.append(f"unknown keys {extra} (allowed: question, op, value)")
    question_id = str(raw.get("question"))
    qtype = question_types.get(question_id)
    if qtype is None:
        return None, [*problems, f"no hearing question {raw.get('question')!r}"]
    op = str(raw.get("op", "equals"))
    if op not in OPS:
        return None, [*problems, f"op {op!r} is not one of {sorted(OPS)}"]
    values = _values(op, raw.get("value"), problems)
    if values is None:
        return None, problems
    if op == "contains" and qtype not in CONTAINS_TYPES:
        problems.append(f"op contains needs a multiple-choice or text question, not {qtype}")
    if qtype in CHOICE_TYPES:
        allowed = choices.get(question_id, ())
        for value in values:
            if value not in allowed:
                problems.append(f"{value!r} is not a choice of {question_id} {list(allowed)}")
    return AnswerCondition(question_id, op, values), problems


def _values(op: str, value: object, problems: list[str]) -> tuple[str, ...] | None:
    if op in ("exists", "truthy"):
        if value is not None:
            problems.append(f"op {op} takes no value")
        return ()
    if op == "in":
        if not isinstance(value, list) or not value:
            problems.append("op in needs a non-empty list")
            return None
        return tuple(str(v) for v in value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return (str(value),)
    problems.append(f'op {op} needs a value (quote yes and no: "yes")')
    return None


def _as_word(value: object) -> object:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _truthy(answer: object) -> bool:
    if isinstance(answer, str):
        return answer.strip().lower() not in _FALSY_WORDS
    if isinstance(answer, list | tuple | set | frozenset):
        return any(str(a) not in ("none", "unknown") for a in answer)
    if isinstance(answer, int | float):
        return answer != 0
    return bool(answer)
