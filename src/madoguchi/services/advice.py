"""Advice on a case: the playbooks that fit it as checklists the desk ticks, and advice
memos composed from chosen sections plus the desk's own text (ja/en, HTML and PDF).

A memo is a draft until the desk shares it: sharing posts a shared message with the PDF
attached as evidence, so the reporter sees it in the thread like every other shared item.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from madoguchi.domain.advice import AdviceMemo, ChecklistTick
from madoguchi.domain.case import Case
from madoguchi.domain.errors import NotFoundError, ValidationError
from madoguchi.domain.message import Message
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_, Translator
from madoguchi.knowledge import playbooks as kb_playbooks
from madoguchi.knowledge.playbooks import Playbook
from madoguchi.knowledge.ransomware_kb import default_kb
from madoguchi.ports import EvidenceStore, UnitOfWork
from madoguchi.services import access, audit, evidence, messages
from madoguchi.services.advice_memo import MemoContent, render_html, render_pdf
from madoguchi.services.cases import load_case

LANGS = ("ja", "en")
MAX_INTRO = 20_000


# --- families and placeholders --------------------------------------------------------------


def case_families(uow: UnitOfWork, case: Case) -> list[str]:
    """Ransomware families identified on the case (analysis verdicts, case markers)."""
    assert case.id is not None
    found: dict[str, None] = {}
    for record in uow.analysis.for_case(case.id):
        for item in (record.document or {}).get("ransomware") or ():
            verdict = str(item.get("verdict") or "")
            if verdict and verdict != "unknown":
                found.setdefault(verdict.lower(), None)
    for _, kind, value in uow.indicators.markers([case.id]):
        if kind == "family" and value:
            found.setdefault(value.lower(), None)
    kb = default_kb()
    resolved = []
    for name in found:
        family = kb.resolve(name)
        resolved.append(family.id if family is not None else name)
    return list(dict.fromkeys(resolved))


def decryptor_availability(families: Sequence[str], lang: str) -> str:
    """The ``{{decryptor_availability}}`` text from the ransomware knowledge base."""
    _ = Translator(lang)
    kb = default_kb()
    if not families:
        return _(
            "The family has not been identified yet, so no decryptor can be named. "
            "The desk will tell you when it is identified."
        )
    lines = []
    states = {
        "yes": _("a decryptor is publicly available"),
        "partial": _("a decryptor exists for some versions only"),
        "no": _("no public decryptor is known"),
        "unknown": _("whether a decryptor exists is not known"),
    }
    for family_id in families:
        family = kb.get(family_id)
        if family is None:
            continue
        state = str(family.decryptor.get("available") or "unknown")
        line = f"- **{family.name}**: {states.get(state, states['unknown'])}"
        for tool in family.decryptor.get("tools") or ():
            covers = f" ({tool.get('covers')})" if tool.get("covers") else ""
            line += f"\n  - {tool.get('name')}{covers}: {tool.get('url')}"
        lines.append(line)
    return "\n".join(lines) or _("No knowledge-base entry for the identified family.")


# --- checklists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistEntry:
    section_id: str
    section_title: str
    item_id: str
    text: str
    checked: bool


@dataclass(frozen=True)
class PlaybookView:
    playbook: Playbook
    items: tuple[ChecklistEntry, ...]

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.checked)


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "en"


def case_playbooks(uow: UnitOfWork, actor: Actor, case_id: int, lang: str) -> list[PlaybookView]:
    """The playbooks that fit the case, best first, with the desk's ticks (desk only)."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    families = case_families(uow, case)
    chosen = kb_playbooks.playbooks_for(case.categories, case.products, families, _lang(lang))
    ticks = {(t.playbook_id, t.item_id): t.checked for t in uow.advice.ticks(case.id)}
    views = []
    for playbook in chosen:
        items = tuple(
            ChecklistEntry(
                section.id,
                section.title,
                item.id,
                item.text,
                ticks.get((playbook.id, item.id), False),
            )
            for section in playbook.sections
            for item in section.checklist
        )
        views.append(PlaybookView(playbook, items))
    return views


def _playbook(playbook_id: str, lang: str = "en") -> Playbook:
    for playbook in kb_playbooks.load_playbooks(lang):
        if playbook.id == playbook_id:
            return playbook
    raise ValidationError(N_("unknown playbook"), where="playbook_id")


def set_checklist(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    playbook_id: str,
    checked: Iterable[str],
    *,
    ip: str | None = None,
) -> int:
    """Tick exactly ``checked`` of one playbook's items (the rest are unticked)."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    playbook = _playbook(playbook_id)
    known = [item.id for section in playbook.sections for item in section.checklist]
    wanted = set(checked)
    if wanted - set(known):
        raise ValidationError(N_("unknown checklist item"), where="checked")
    now = datetime.now(UTC)
    existing = {(t.playbook_id, t.item_id): t.checked for t in uow.advice.ticks(case.id)}
    changed = 0
    for item_id in known:
        state = item_id in wanted
        if existing.get((playbook.id, item_id), False) == state:
            continue
        uow.advice.set_tick(ChecklistTick(case.id, playbook.id, item_id, state, actor.user_id, now))
        changed += 1
    audit.record(
        uow,
        actor,
        "advice:checklist",
        "case",
        case.id,
        case_id=case.id,
        ip=ip,
        playbook=playbook.id,
        checked=sorted(wanted),
    )
    return changed


# --- memos ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMemo:
    lang: str
    sections: tuple[str, ...]
    """``playbook-id/section-id`` values, in the order the desk wants them."""
    intro: str = ""
    title: str = ""
    personal_data_facts: bool = False


def _content(case: Case, memo: NewMemo, families: Sequence[str], when: datetime) -> MemoContent:
    lang = _lang(memo.lang)
    playbook_ids = list(dict.fromkeys(s.split("/", 1)[0] for s in memo.sections))
    try:
        sections = kb_playbooks.compose_memo_sections(
            playbook_ids,
            memo.sections,
            lang,
            {"decryptor_availability": decryptor_availability(families, lang)},
        )
    except NotFoundError as error:
        raise ValidationError(N_("unknown playbook section"), where="sections") from error
    order = {qualified: index for index, qualified in enumerate(memo.sections)}
    sections.sort(key=lambda s: order.get(f"{s.playbook_id}/{s.section_id}", len(order)))
    title = memo.title.strip() or Translator(lang)("Advice from the desk")
    return MemoContent(
        lang=lang,
        title=title[:300],
        reference=case.reference,
        date=when,
        intro=memo.intro.strip()[:MAX_INTRO],
        sections=sections,
        personal_data_facts=memo.personal_data_facts,
    )


def compose_memo(
    uow: UnitOfWork, actor: Actor, case_id: int, memo: NewMemo, *, ip: str | None = None
) -> AdviceMemo:
    """A draft memo (desk only): rendered and stored, not yet visible to anyone else."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    if memo.lang not in LANGS:
        raise ValidationError(N_("choose Japanese or English"), where="lang")
    if not memo.sections and not memo.intro.strip():
        raise ValidationError(N_("choose at least one section or write a text"), where="sections")
    now = datetime.now(UTC)
    content = _content(case, memo, case_families(uow, case), now)
    stored = uow.advice.add_memo(
        AdviceMemo(
            case_id=case.id,
            lang=content.lang,
            title=content.title,
            intro=content.intro,
            sections=list(memo.sections),
            html=render_html(content),
            created_by=actor.user_id,
            values={"personal_data_facts": "yes" if memo.personal_data_facts else ""},
            created_at=now,
        )
    )
    audit.record(
        uow,
        actor,
        "advice:memo-create",
        "advice_memo",
        stored.id,
        case_id=case.id,
        ip=ip,
        lang=stored.lang,
        sections=stored.sections,
    )
    return stored


def memo_pdf(uow: UnitOfWork, actor: Actor, memo: AdviceMemo) -> bytes:
    """The memo as PDF, rendered again from its stored choices."""
    case = load_case(uow, actor, memo.case_id)
    when = memo.created_at or datetime.now(UTC)
    content = _content(
        case,
        NewMemo(
            lang=memo.lang,
            sections=tuple(memo.sections),
            intro=memo.intro,
            title=memo.title,
            personal_data_facts=bool(memo.values.get("personal_data_facts")),
        ),
        case_families(uow, case),
        when,
    )
    return render_pdf(content)


def _memo_of_case(uow: UnitOfWork, case_id: int, memo_id: int) -> AdviceMemo:
    memo = uow.advice.get_memo(memo_id)
    if memo is None or memo.case_id != case_id:
        raise ValidationError(N_("advice memo not found"), where="memo_id")
    return memo


def share_memo(
    uow: UnitOfWork,
    store: EvidenceStore,
    actor: Actor,
    case_id: int,
    memo_id: int,
    shared_with: Iterable[int],
    *,
    ip: str | None = None,
) -> Message:
    """Share a memo with parties: a shared message carrying the memo's PDF as evidence."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    memo = _memo_of_case(uow, case.id, memo_id)
    targets = sorted(set(shared_with))
    if not targets:
        raise ValidationError(N_("choose who the memo is shared with"), where="shared_with")
    if any(t not in case.party_org_ids() for t in targets):
        raise ValidationError(
            N_("memos can only be shared with parties of the case"), where="shared_with"
        )
    _ = Translator(memo.lang)
    pdf = memo_pdf(uow, actor, memo)
    writer = store.writer()
    writer.write(pdf)
    blob = writer.commit()
    filename = f"{case.reference}-advice-{memo.id}-{memo.lang}.pdf"
    attached = evidence.attach_evidence(
        uow,
        store,
        actor,
        case.id,
        blob,
        filename,
        shared_with=targets,
        description=memo.title,
        ip=ip,
    )
    body = "\n\n".join(
        part
        for part in (
            _("The desk has shared an advice memo: {title}", title=memo.title),
            memo.intro,
            kb_playbooks.scope_statement(memo.lang),
            _("The memo is attached as a PDF."),
        )
        if part
    )
    message = messages.post_message(uow, actor, case.id, body, shared_with=targets, ip=ip)
    assert message.id is not None and attached.evidence.id is not None
    uow.messages.attach(message.id, attached.evidence.id)
    memo.shared_with = sorted(set(memo.shared_with) | set(targets))
    memo.message_id = message.id
    memo.pdf_evidence_id = attached.evidence.id
    memo.shared_at = datetime.now(UTC)
    uow.advice.update_memo(memo)
    audit.record(
        uow,
        actor,
        "advice:memo-share",
        "advice_memo",
        memo.id,
        case_id=case.id,
        ip=ip,
        shared_with=targets,
        message_id=message.id,
        evidence_id=attached.evidence.id,
    )
    return message


def visible_memos(uow: UnitOfWork, actor: Actor, case_id: int) -> list[AdviceMemo]:
    """Every memo for the desk (drafts too); the memos shared with a party for it."""
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    memos = list(uow.advice.memos(case.id))
    if actor.is_desk:
        return memos
    shown = [m for m in memos if any(m.visible_to_org(o) for o in actor.organisation_ids)]
    if shown:
        audit.record(
            uow,
            actor,
            "advice:memo-read",
            "case",
            case.id,
            case_id=case.id,
            memos=[m.id for m in shown],
        )
    return shown
