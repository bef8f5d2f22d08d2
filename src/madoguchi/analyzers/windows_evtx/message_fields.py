"""Recover EventData fields from the rendered message text of an exported event.

Event Viewer's CSV and text exports and ``Get-WinEvent | ConvertTo-Json`` keep the
*rendered message*, not the named EventData fields. The Security log's messages are
blocks of ``label: value`` lines under section headings (``Subject:``, ``New Logon:``,
``サブジェクト:``, ``新しいログオン:``), so the fields a detection needs can be read back
reliably for the events that matter (logons, process creation, services, tasks,
account and group changes, Kerberos tickets).

Labels are compared with all white space removed and lower-cased, so ``Source Network
Address``, ``ソース ネットワーク アドレス`` and ``ソースネットワークアドレス`` are one label.
What is lost: fields the message does not print (``LogonGuid`` formatting, ``Binary``),
values the message renders as text (``%%1833`` becomes ``Yes``/``はい``), and fields of
messages this table does not know. Sysmon messages are ``Field: value`` lines already
named like the EventData, and are read as such.

Label wording is taken from the English and Japanese message templates Windows shows
for each event (see https://learn.microsoft.com/windows/security/threat-protection/auditing/
event-4624 and the other per-event pages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SPACE = re.compile(r"\s+")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_COLON = re.compile("[:：]")

# Section headings → the role of the account fields below them.
_SECTIONS: Mapping[str, str] = {
    "subject": "subject",
    "サブジェクト": "subject",
    "newlogon": "target",
    "新しいログオン": "target",
    "accountforwhichlogonfailed": "target",
    "ログオンに失敗したアカウント": "target",
    "accountwhosecredentialswereused": "target",
    "資格情報が使用されたアカウント": "target",
    "newaccount": "target",
    "新しいアカウント": "target",
    "targetaccount": "target",
    "ターゲットアカウント": "target",
    "accountinformation": "target",
    "アカウント情報": "target",
    "member": "member",
    "メンバー": "member",
    "group": "group",
    "グループ": "group",
}

# Label → field, or role → field for labels whose meaning depends on the section.
_LABELS: Mapping[str, str | Mapping[str, str]] = {
    "accountname": {
        "subject": "SubjectUserName",
        "target": "TargetUserName",
        "member": "MemberName",
        "": "TargetUserName",
    },
    "アカウント名": {
        "subject": "SubjectUserName",
        "target": "TargetUserName",
        "member": "MemberName",
        "": "TargetUserName",
    },
    "accountdomain": {"subject": "SubjectDomainName", "target": "TargetDomainName"},
    "アカウントドメイン": {"subject": "SubjectDomainName", "target": "TargetDomainName"},
    "securityid": {
        "subject": "SubjectUserSid",
        "target": "TargetUserSid",
        "member": "MemberSid",
        "group": "TargetSid",
    },
    "セキュリティid": {
        "subject": "SubjectUserSid",
        "target": "TargetUserSid",
        "member": "MemberSid",
        "group": "TargetSid",
    },
    "logonid": {"subject": "SubjectLogonId", "target": "TargetLogonId"},
    "ログオンid": {"subject": "SubjectLogonId", "target": "TargetLogonId"},
    "logontype": "LogonType",
    "ログオンタイプ": "LogonType",
    "sourcenetworkaddress": "IpAddress",
    "ソースネットワークアドレス": "IpAddress",
    "clientaddress": "IpAddress",
    "クライアントアドレス": "IpAddress",
    "networkaddress": "IpAddress",
    "ネットワークアドレス": "IpAddress",
    "sourceport": "IpPort",
    "ソースポート": "IpPort",
    "clientport": "IpPort",
    "クライアントポート": "IpPort",
    "port": "IpPort",
    "ポート": "IpPort",
    "workstationname": "WorkstationName",
    "ワークステーション名": "WorkstationName",
    "logonprocess": "LogonProcessName",
    "ログオンプロセス": "LogonProcessName",
    "authenticationpackage": "AuthenticationPackageName",
    "認証パッケージ": "AuthenticationPackageName",
    "packagename(ntlmonly)": "LmPackageName",
    "パッケージ名(ntlmのみ)": "LmPackageName",
    "keylength": "KeyLength",
    "キーの長さ": "KeyLength",
    "processname": "ProcessName",
    "プロセス名": "ProcessName",
    "newprocessname": "NewProcessName",
    "新しいプロセス名": "NewProcessName",
    "creatorprocessname": "ParentProcessName",
    "作成元プロセス名": "ParentProcessName",
    "processcommandline": "CommandLine",
    "プロセスのコマンドライン": "CommandLine",
    "servicename": "ServiceName",
    "サービス名": "ServiceName",
    "servicefilename": "ImagePath",
    "サービスファイル名": "ImagePath",
    "servicetype": "ServiceType",
    "サービスの種類": "ServiceType",
    "servicestarttype": "StartType",
    "サービスの開始の種類": "StartType",
    "serviceaccount": "AccountName",
    "サービスアカウント": "AccountName",
    "taskname": "TaskName",
    "タスク名": "TaskName",
    "groupname": "TargetUserName",
    "グループ名": "TargetUserName",
    "groupdomain": "TargetDomainName",
    "グループドメイン": "TargetDomainName",
    "ticketencryptiontype": "TicketEncryptionType",
    "チケットの暗号化の種類": "TicketEncryptionType",
    "ticketoptions": "TicketOptions",
    "チケットオプション": "TicketOptions",
    "pre-authenticationtype": "PreAuthType",
    "事前認証の種類": "PreAuthType",
    "resultcode": "Status",
    "結果コード": "Status",
    "failurecode": "Status",
    "エラーコード": "Status",
    "targetservername": "TargetServerName",
    "ターゲットサーバー名": "TargetServerName",
    "status": "Status",
    "状態": "Status",
    "substatus": "SubStatus",
    "サブ状態": "SubStatus",
    "failurereason": "FailureReason",
    "失敗の理由": "FailureReason",
}

# Fields a 4697 (service installed, Security log) names differently from 7045.
_SECURITY_SERVICE = {"ImagePath": "ServiceFileName", "StartType": "ServiceStartType"}


def _split(line: str) -> tuple[str, str] | None:
    """``label: value`` at the first colon, ASCII or full-width (``：``)."""
    match = _COLON.search(line)
    if match is None:
        return None
    return line[: match.start()], line[match.end() :]


def message_fields(
    message: str, *, provider: str = "", event_id: int | None = None
) -> dict[str, str]:
    """The EventData fields that can be read back from a rendered message.

    The first value of a field wins (a message repeats ``Account Name`` in several
    sections; the section decides which field it is). Values ``-`` are kept as ``-``
    because that is how the EventData holds an empty value too.
    """
    fields: dict[str, str] = {}
    sysmon = "sysmon" in provider.lower()
    role = ""
    for raw in message.splitlines():
        if not raw.strip():
            continue
        parts = _split(raw)
        if parts is None:
            continue
        head, value = parts[0].strip(), parts[1].strip()
        label = _SPACE.sub("", head).lower()
        if not value:
            role = _SECTIONS.get(label, role if raw[:1] in ("\t", " ") else "")
            continue
        if sysmon and _IDENT.match(head):
            fields.setdefault(head, value)
            continue
        target = _LABELS.get(label)
        if target is None:
            continue
        name = target if isinstance(target, str) else target.get(role)
        if name is None:
            continue
        if event_id == 4697:
            name = _SECURITY_SERVICE.get(name, name)
        fields.setdefault(name, value)
    return fields
