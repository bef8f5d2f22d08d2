"""Reading EventData fields back from rendered messages (English and Japanese)."""

from __future__ import annotations

from madoguchi.analyzers.windows_evtx.message_fields import message_fields

EN_4624 = """An account was successfully logged on.

Subject:
\tSecurity ID:\t\tSYSTEM
\tAccount Name:\t\tFS01$
\tAccount Domain:\t\tEXAMPLE
\tLogon ID:\t\t0x3E7

Logon Information:
\tLogon Type:\t\t3

New Logon:
\tSecurity ID:\t\tEXAMPLE\\alice
\tAccount Name:\t\talice
\tAccount Domain:\t\tEXAMPLE

Network Information:
\tWorkstation Name:\tWS01
\tSource Network Address:\t10.0.0.5
\tSource Port:\t\t49152

Detailed Authentication Information:
\tLogon Process:\t\tNtLmSsp
\tAuthentication Package:\tNTLM
\tKey Length:\t\t0
"""

JA_4688 = """新しいプロセスが作成されました。

作成者のサブジェクト:
\tセキュリティ ID：\t\tEXAMPLE\\bob
\tアカウント名：\t\tbob

プロセス情報:
\t新しいプロセス名:\tC:\\Windows\\System32\\vssadmin.exe
\tプロセスのコマンド ライン:\tvssadmin delete shadows /all
\t作成元プロセス名:\tC:\\Windows\\System32\\cmd.exe
"""

SYSMON_1 = """Process Create:
RuleName: -
UtcTime: 2024-04-12 00:00:00.000
Image: C:\\Tools\\rclone.exe
CommandLine: rclone copy C:\\data mega:backup
User: EXAMPLE\\bob
Hashes: SHA256=ABCD
"""


def test_english_logon_sections_decide_the_field() -> None:
    fields = message_fields(EN_4624, event_id=4624)
    assert fields["SubjectUserName"] == "FS01$" and fields["TargetUserName"] == "alice"
    assert fields["TargetDomainName"] == "EXAMPLE" and fields["SubjectLogonId"] == "0x3E7"
    assert fields["LogonType"] == "3" and fields["IpAddress"] == "10.0.0.5"
    assert fields["IpPort"] == "49152" and fields["KeyLength"] == "0"
    assert fields["AuthenticationPackageName"] == "NTLM" and fields["WorkstationName"] == "WS01"


def test_japanese_process_creation_with_full_width_colons() -> None:
    fields = message_fields(JA_4688, event_id=4688)
    assert fields["NewProcessName"] == "C:\\Windows\\System32\\vssadmin.exe"
    assert fields["CommandLine"] == "vssadmin delete shadows /all"
    assert fields["ParentProcessName"] == "C:\\Windows\\System32\\cmd.exe"


def test_security_service_install_uses_4697_names() -> None:
    message = (
        "A service was installed in the system.\n\nService Information:\n"
        "\tService Name:\t\tevil\n\tService File Name:\tC:\\evil.exe\n"
    )
    assert message_fields(message, event_id=4697)["ServiceFileName"] == "C:\\evil.exe"
    assert message_fields(message, event_id=7045)["ImagePath"] == "C:\\evil.exe"


def test_sysmon_messages_keep_their_field_names() -> None:
    fields = message_fields(SYSMON_1, provider="Microsoft-Windows-Sysmon")
    assert fields["Image"] == "C:\\Tools\\rclone.exe" and fields["User"] == "EXAMPLE\\bob"
    assert fields["CommandLine"] == "rclone copy C:\\data mega:backup"
