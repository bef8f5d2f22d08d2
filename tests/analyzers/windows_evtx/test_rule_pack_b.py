"""Defence-evasion and discovery rules of the built-in pack (Defender, event log clearing,
firewall and logging switches, AD and network discovery) fire on the event they describe
and stay quiet on a close benign look-alike; the Kerberos user-enumeration and RPC pipe
enumeration correlations fire on a burst and not on a quieter variant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.analyzers.windows_evtx.rule_cases import (
    NET,
    PSH,
    SEC,
    SYS,
    SYS32,
    Case,
    check_case,
    each_case,
    fired,
    matched_titles,
    proc,
    reg,
    script_block,
)

DEFENDER_LOG = {
    "Channel": "Microsoft-Windows-Windows Defender/Operational",
    "Provider_Name": "Microsoft-Windows-Windows Defender",
}
EVENTLOG = {"Channel": "System", "Provider_Name": "Microsoft-Windows-Eventlog"}
DNS_SERVER = {"Channel": "DNS Server", "Provider_Name": "Microsoft-Windows-DNS-Server-Service"}
CLASSIC_PS = {"Channel": "Windows PowerShell", "Provider_Name": "PowerShell"}
REG_EXE = SYS32 + "reg.exe"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


def defender(event_id: int, **data: str) -> dict[str, Any]:
    """A Defender operational event; its data names have spaces, as Defender writes them."""
    return {
        **DEFENDER_LOG,
        "EventID": event_id,
        "Product Name": "Microsoft Defender Antivirus",
        "Product Version": "4.18.24030.9",
        **{name.replace("_", " "): value for name, value in data.items()},
    }


def threat(event_id: int, action: str) -> dict[str, Any]:
    """1116 (detected) or 1117 (action taken) for a credential dumping tool in Downloads."""
    return defender(
        event_id,
        Detection_ID="{6f1c3a52-0b7e-4d3a-9a51-2f8e4c1d7b90}",
        Threat_Name="HackTool:Win64/Mikatz!dha",
        Severity_Name="High",
        Category_Name="Tool",
        Path="file:_C:\\Users\\user01\\Downloads\\x64\\tool.exe",
        Process_Name="C:\\Windows\\explorer.exe",
        Detection_User="EXAMPLE\\user01",
        Action_Name=action,
    )


def reg_set(target: str, details: str, image: str = REG_EXE) -> dict[str, Any]:
    """Sysmon 13 as reg.exe (``reg add … /t REG_DWORD /d N /f``) writes it."""
    return reg(target, details) | {"Image": image, "User": "EXAMPLE\\admin01"}


def engine_started(version: str, host_application: str) -> dict[str, Any]:
    """Windows PowerShell 400 (engine state Available): three unnamed data items, the
    last one the key=value block with HostApplication and EngineVersion."""
    details = "\r\n".join(
        [
            "\tNewEngineState=Available",
            "\tPreviousEngineState=None",
            "",
            "\tSequenceNumber=13",
            "",
            "\tHostName=ConsoleHost",
            f"\tHostVersion={version}",
            "\tHostId=5b1e0d3c-6a2f-4e8b-9c7d-1f0a2b3c4d5e",
            f"\tHostApplication={host_application}",
            f"\tEngineVersion={version}",
            "\tRunspaceId=9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            "\tPipelineId=",
            "\tCommandName=",
            "\tCommandType=",
            "\tScriptName=",
            "\tCommandPath=",
            "\tCommandLine=",
        ]
    )
    return {**CLASSIC_PS, "EventID": 400, "Data": ["Available", "None", details]}


def start_type_changed(name: str, key: str, old: str, new: str) -> dict[str, Any]:
    """Service Control Manager 7040: display name, old and new start type, key name."""
    return {**SYS, "EventID": 7040, "param1": name, "param2": old, "param3": new, "param4": key}


def filler(length: int) -> str:
    """Hex digits of a made-up byte sequence, none of them a shellcode prologue."""
    return "".join(f"{(i * 7 + 3) % 251:02x}" for i in range(length // 2))


def wsh_event(message: str) -> dict[str, Any]:
    """Application event written by ``WScript.Shell.LogEvent`` (source WSH, type 4 =
    information): the message is the event's one unnamed data item."""
    return {"Channel": "Application", "Provider_Name": "WSH", "EventID": 4, "Data": [message]}


def group_read(caller: str, caller_pid: str, user: str, logon_id: str) -> dict[str, Any]:
    """Security 4799: the membership of the local Administrators group was enumerated."""
    return {
        **SEC,
        "EventID": 4799,
        "SubjectUserSid": f"{DOMAIN_SID}-1104",
        "SubjectUserName": user,
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": logon_id,
        "TargetUserName": "Administrators",
        "TargetDomainName": "Builtin",
        "TargetSid": "S-1-5-32-544",
        "CallerProcessId": caller_pid,
        "CallerProcessName": caller,
    }


def tgt_request(user: str, status: str, ip: str = "::ffff:10.0.4.77") -> dict[str, Any]:
    """Security 4768 as a domain controller writes it; an unknown name (0x6) has no SID."""
    known = status == "0x0"
    return {
        **SEC,
        "Computer": "DC01.example.local",
        "EventID": 4768,
        "TargetUserName": user,
        "TargetDomainName": "EXAMPLE.LOCAL",
        "TargetSid": f"{DOMAIN_SID}-1104" if known else "S-1-0-0",
        "ServiceName": "krbtgt" if known else "krbtgt/EXAMPLE.LOCAL",
        "ServiceSid": f"{DOMAIN_SID}-502" if known else "S-1-0-0",
        "TicketOptions": "0x40810010",
        "Status": status,
        "TicketEncryptionType": "0x12" if known else "0xffffffff",
        "PreAuthType": "2" if known else "-",
        "IpAddress": ip,
        "IpPort": "51734",
        "CertIssuerName": "",
        "CertSerialNumber": "",
        "CertThumbprint": "",
    }


def pipe_opened(pipe: str, user: str = "user01", ip: str = "10.0.2.17") -> dict[str, Any]:
    """Security 5145 (detailed file share) for a named pipe opened on IPC$."""
    return {
        **SEC,
        "Computer": "DC01.example.local",
        "EventID": 5145,
        "SubjectUserSid": f"{DOMAIN_SID}-1104",
        "SubjectUserName": user,
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x8c3f2a1",
        "ObjectType": "File",
        "IpAddress": ip,
        "IpPort": "49822",
        "ShareName": "\\\\*\\IPC$",
        "ShareLocalPath": "",
        "RelativeTargetName": pipe,
        "AccessMask": "0x12019f",
        "AccessList": "%%1538 %%1541 %%4416 %%4417 %%4418 %%4419 %%4420 %%4423 %%4424",
        "AccessReason": "-",
    }


DEFENDER_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\"

CASES: list[Case] = [
    (
        "Microsoft Defender exclusion added (5007)",
        defender(
            5007,
            Old_Value="",
            New_Value=DEFENDER_KEY + "Exclusions\\Paths\\C:\\Users\\Public\\Libraries = 0x0",
        ),
        defender(
            5007,
            Old_Value=DEFENDER_KEY + "Scan\\ScheduleDay = 0x8",
            New_Value=DEFENDER_KEY + "Scan\\ScheduleDay = 0x0",
        ),
    ),
    (
        "Microsoft Defender exclusion added (5007)",
        defender(
            5007, Old_Value="", New_Value=DEFENDER_KEY + "Exclusions\\Processes\\rc.exe = 0x0"
        ),
        defender(
            5007,
            Old_Value=DEFENDER_KEY + "Exclusions\\Paths\\C:\\Build = 0x0",
            New_Value="",
        ),
    ),
    (
        "Microsoft Defender detected malware (1116/1117)",
        threat(1116, "Not Applicable"),
        defender(
            1001,
            Scan_ID="{2b7d9e41-5c3a-4f86-8e1d-0a9b7c6d5e4f}",
            Scan_Type="Antimalware",
            Scan_Parameters="Quick Scan",
            User="NT AUTHORITY\\SYSTEM",
        ),
    ),
    (
        "Microsoft Defender detected malware (1116/1117)",
        threat(1117, "Quarantine"),
        defender(
            2000,
            Current_Signature_Version="1.409.112.0",
            Previous_Signature_Version="1.409.98.0",
            Update_Type="Delta",
        ),
    ),
    (
        "Microsoft Defender disabled through policy registry values",
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
            "DWORD (0x00000001)",
        ),
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
            "DWORD (0x00000000)",
        ),
    ),
    (
        "Microsoft Defender disabled through policy registry values",
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection\\"
            "DisableRealtimeMonitoring",
            "DWORD (0x00000001)",
        ),
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection\\"
            "DisableScanOnRealtimeEnable",
            "DWORD (0x00000001)",
        ),
    ),
    (
        "Microsoft Defender scanning disabled (5010/5012)",
        defender(5010),
        defender(5009),
    ),
    (
        "Microsoft Defender scanning disabled (5010/5012)",
        defender(5012),
        defender(5011),
    ),
    (
        "Microsoft Defender weakened in a PowerShell script block",
        script_block(
            "Set-MpPreference -DisableRealtimeMonitoring $true -DisableIOAVProtection $true "
            "-DisableBehaviorMonitoring $true"
        ),
        script_block("Set-MpPreference -ScanScheduleDay 1 -ScanScheduleTime 02:00:00"),
    ),
    (
        "Microsoft Defender weakened in a PowerShell script block",
        script_block("Add-MpPreference -ExclusionPath 'C:\\ProgramData\\Updater' -Force"),
        script_block(
            "Add-MpPreference -AttackSurfaceReductionRules_Ids "
            "d4f940ab-401b-4efc-aadc-ad5f3c50688a -AttackSurfaceReductionRules_Actions Enabled"
        ),
    ),
    (
        "DNS Server loaded or failed to load a plug-in DLL",
        {**DNS_SERVER, "Computer": "DC01.example.local", "EventID": 770},
        {**DNS_SERVER, "Computer": "DC01.example.local", "EventID": 2},
    ),
    (
        "DNS Server loaded or failed to load a plug-in DLL",
        {**DNS_SERVER, "Computer": "DC01.example.local", "EventID": 150},
        {**DNS_SERVER, "Computer": "DC01.example.local", "EventID": 4},
    ),
    (
        "Event log cleared from the command line",
        proc("wevtutil.exe cl Security", SYS32 + "wevtutil.exe"),
        proc("wevtutil.exe qe Security /c:20 /rd:true /f:text", SYS32 + "wevtutil.exe"),
    ),
    (
        "Event log cleared from the command line",
        proc(
            'powershell.exe -NoProfile -Command "Clear-EventLog -LogName Application,System,'
            "'Windows PowerShell'\"",
            PSH,
        ),
        proc('powershell.exe -NoProfile -Command "Get-EventLog -LogName System -Newest 50"', PSH),
    ),
    (
        # The System log itself cleared: 104's UserData also names the cleared log
        # "Channel", which here is "System". The look-alike is the Eventlog service's own
        # start event (6005) in the same log: 104 is only written by the Eventlog provider.
        "Event log cleared (104)",
        {
            **EVENTLOG,
            "EventID": 104,
            "SubjectUserName": "admin01",
            "SubjectDomainName": "EXAMPLE",
            "BackupPath": "",
        },
        {"Channel": "System", "Provider_Name": "EventLog", "EventID": 6005},
    ),
    (
        "Windows Event Log service disabled",
        start_type_changed("Windows Event Log", "EventLog", "auto start", "disabled"),
        start_type_changed("Windows Event Log", "EventLog", "disabled", "auto start"),
    ),
    (
        "Windows Event Log service disabled",
        start_type_changed("Windows Event Log", "EventLog", "自動的な開始", "無効"),
        start_type_changed("Windows Event Log", "EventLog", "無効", "自動的な開始"),
    ),
    (
        "Windows Firewall turned off with netsh",
        proc("netsh advfirewall set allprofiles state off", SYS32 + "netsh.exe"),
        proc("netsh advfirewall set allprofiles state on", SYS32 + "netsh.exe"),
    ),
    (
        "Windows Firewall turned off with netsh",
        proc("netsh firewall set opmode mode=disable", SYS32 + "netsh.exe"),
        proc("netsh firewall set opmode mode=enable", SYS32 + "netsh.exe"),
    ),
    (
        "PowerShell version 2 engine started",
        engine_started("2.0", "powershell.exe -Version 2 -NoProfile -ExecutionPolicy Bypass"),
        engine_started("5.1.19041.4291", "powershell.exe -NoProfile -File C:\\Scripts\\inv.ps1"),
    ),
    (
        "Remote Desktop enabled in the registry (fDenyTSConnections 0)",
        reg_set(
            "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\fDenyTSConnections",
            "DWORD (0x00000000)",
        ),
        reg_set(
            "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\fDenyTSConnections",
            "DWORD (0x00000001)",
        ),
    ),
    (
        "Boot into Safe Mode configured with bcdedit",
        proc("bcdedit.exe /set {current} safeboot network", SYS32 + "bcdedit.exe"),
        proc("bcdedit.exe /deletevalue {current} safeboot", SYS32 + "bcdedit.exe"),
    ),
    (
        "PowerShell script block logging disabled in the registry",
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging\\"
            "EnableScriptBlockLogging",
            "DWORD (0x00000000)",
        ),
        reg_set(
            "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging\\"
            "EnableScriptBlockLogging",
            "DWORD (0x00000001)",
        ),
    ),
    (
        "Shellcode-like hex blob written into an event log",
        wsh_event("fc4883e4f0" + filler(600)),
        wsh_event("3082010a0282010100" + filler(600)),
    ),
    (
        "Shellcode-like hex blob written into an event log",
        wsh_event("fce8" + filler(400)),
        wsh_event("fce8" + filler(120)),
    ),
    (
        "Windows Subsystem for Linux enabled from the command line",
        proc(
            "dism.exe /online /enable-feature /featurename:Microsoft-Windows-Subsystem-Linux "
            "/all /norestart",
            SYS32 + "Dism.exe",
        ),
        proc(
            "dism.exe /online /enable-feature /featurename:NetFx3 /all /norestart",
            SYS32 + "Dism.exe",
        ),
    ),
    (
        "Windows Subsystem for Linux enabled from the command line",
        proc(
            "powershell.exe -Command Enable-WindowsOptionalFeature -Online "
            "-FeatureName Microsoft-Windows-Subsystem-Linux -NoRestart",
            PSH,
        ),
        proc(
            "powershell.exe -Command Get-WindowsOptionalFeature -Online "
            "-FeatureName Microsoft-Windows-Subsystem-Linux",
            PSH,
        ),
    ),
    (
        "AdFind or Active Directory enumeration filters on a command line",
        proc('"C:\\Users\\Public\\AdFind.exe" -sc dclist', "C:\\Users\\Public\\AdFind.exe"),
        proc('"C:\\Windows\\System32\\dsquery.exe" user -samid user01', SYS32 + "dsquery.exe"),
    ),
    (
        "AdFind or Active Directory enumeration filters on a command line",
        proc(
            'C:\\Windows\\system32\\cmd.exe /c af.exe -f "(objectcategory=computer)" -csv name '
            "operatingSystem > C:\\Users\\Public\\ad_computers.txt",
            SYS32 + "cmd.exe",
            SYS32 + "cmd.exe",
        ),
        proc(
            "C:\\Windows\\system32\\cmd.exe /c dsquery.exe user -samid user01 > C:\\Temp\\u.txt",
            SYS32 + "cmd.exe",
            SYS32 + "cmd.exe",
        ),
    ),
    (
        "BloodHound / SharpHound collection",
        proc(
            '"C:\\Users\\user01\\Downloads\\SharpHound.exe" -c DCOnly '
            "--outputdirectory C:\\Users\\Public\\Documents",
            "C:\\Users\\user01\\Downloads\\SharpHound.exe",
        ),
        proc(
            '"C:\\Program Files (x86)\\SharpKeys\\SharpKeys.exe"',
            "C:\\Program Files (x86)\\SharpKeys\\SharpKeys.exe",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "BloodHound / SharpHound collection",
        proc(
            'powershell.exe -nop -exec bypass -c "Import-Module C:\\Users\\Public\\sh.ps1; '
            'Invoke-BloodHound -CollectionMethod Session,LoggedOn -Domain example.local"',
            PSH,
        ),
        proc(
            "powershell.exe -nop -c \"Get-ADGroupMember -Identity 'Domain Admins' "
            '-Server dc01.example.local"',
            PSH,
        ),
    ),
    (
        "Local Administrators group membership enumerated (4799)",
        group_read(SYS32 + "net1.exe", "0x1f4c", "user01", "0x8c3f2a1"),
        group_read(SYS32 + "VSSVC.exe", "0x2a8", "WS01$", "0x3e7"),
    ),
    (
        "Local Administrators group membership enumerated (4799)",
        group_read("-", "0x0", "user01", "0x8c3f2a1"),
        group_read(SYS32 + "svchost.exe", "0x4b0", "WS01$", "0x3e7"),
    ),
    (
        "Network shares listed with net view / net share",
        proc("net  view \\\\fs01.example.local /all", SYS32 + "net.exe"),
        proc("net  use Z: \\\\fs01.example.local\\projects /persistent:no", SYS32 + "net.exe"),
    ),
    (
        "Network shares listed with net view / net share",
        proc("C:\\Windows\\system32\\net1  share", SYS32 + "net1.exe", NET),
        proc("C:\\Windows\\system32\\net1  user user01 /domain", SYS32 + "net1.exe", NET),
    ),
    (
        "Network scanner started (Advanced IP Scanner, SoftPerfect, Angry IP)",
        proc(
            '"C:\\Users\\user01\\AppData\\Local\\Temp\\Advanced IP Scanner 2\\'
            'advanced_ip_scanner.exe" /portable '
            '"C:/Users/user01/AppData/Local/Temp/Advanced IP Scanner 2/" /lng en_us',
            "C:\\Users\\user01\\AppData\\Local\\Temp\\Advanced IP Scanner 2\\"
            "advanced_ip_scanner.exe",
            "C:\\Users\\user01\\Downloads\\Advanced_IP_Scanner_2.5.4594.1.exe",
        ),
        proc("netstat -ano", SYS32 + "NETSTAT.EXE"),
    ),
    (
        "Network scanner started (Advanced IP Scanner, SoftPerfect, Angry IP)",
        proc(
            '"C:\\Users\\Public\\netscan.exe" /hide /range:10.0.0.1-10.0.0.254 /auto:out.xml',
            "C:\\Users\\Public\\netscan.exe",
        ),
        proc("ipconfig /all", SYS32 + "ipconfig.exe"),
    ),
    (
        "Domain trusts or controllers listed with nltest",
        proc("nltest  /domain_trusts /all_trusts", SYS32 + "nltest.exe"),
        proc("nltest  /sc_query:example.local", SYS32 + "nltest.exe"),
    ),
    (
        "Domain trusts or controllers listed with nltest",
        proc("nltest  /dclist:example.local", SYS32 + "nltest.exe"),
        proc("nltest  /dsgetdc:example.local /force", SYS32 + "nltest.exe"),
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)


def numbered(events: list[dict[str, Any]], minutes: list[int]) -> list[dict[str, Any]]:
    """The events with record ids 1, 2, … and TimeCreated at the given minutes."""
    return [
        e | {"EventRecordID": n, "TimeCreated": f"2024-04-12T09:{m:02d}:{n:02d}Z"}
        for n, (e, m) in enumerate(zip(events, minutes, strict=True), start=1)
    ]


# The two base rules below (4768 with 0x6, 5145 on an enumeration pipe) only feed their
# correlation and are not reported alone, so their look-alikes are checked as bursts that
# must not correlate.
NAMES = ["administrator", "backupadmin", "svc_sql", "helpdesk", "scanner", "test"]
KERBEROS = "Kerberos user enumeration: many unknown account names from one address"
PIPES = "Domain enumeration: several RPC enumeration pipes opened by one client"


def test_unknown_kerberos_names_from_one_address_correlate(tmp_path: Path) -> None:
    five = [tgt_request(name, "0x6") for name in NAMES[:5]]
    assert KERBEROS in fired(tmp_path / "hit.jsonl", numbered(five, [0, 0, 1, 1, 2]))


def test_kerberos_names_below_threshold_or_known_do_not_correlate(tmp_path: Path) -> None:
    # Four names, the fifth request repeats one of them: four distinct values.
    repeat = [tgt_request(name, "0x6") for name in [*NAMES[:4], NAMES[0]]]
    assert KERBEROS not in fired(tmp_path / "repeat.jsonl", numbered(repeat, [0, 0, 1, 1, 2]))
    # Five existing accounts given a ticket (0x0) from one address, e.g. a terminal server.
    known = [tgt_request(name, "0x0") for name in NAMES[:5]]
    assert KERBEROS not in fired(tmp_path / "known.jsonl", numbered(known, [0, 0, 1, 1, 2]))


def test_unknown_kerberos_names_spread_or_split_do_not_correlate(tmp_path: Path) -> None:
    five = [tgt_request(name, "0x6") for name in NAMES[:5]]
    # One every three minutes: no 10-minute window holds more than four names.
    assert KERBEROS not in fired(tmp_path / "slow.jsonl", numbered(five, [0, 3, 6, 9, 12]))
    # Six names, but three from each of two addresses.
    split = [
        tgt_request(name, "0x6", ip="::ffff:10.0.4.77" if i % 2 else "::ffff:10.0.4.78")
        for i, name in enumerate(NAMES)
    ]
    assert KERBEROS not in fired(tmp_path / "split.jsonl", numbered(split, [0, 0, 1, 1, 2, 2]))


ENUMERATION_PIPES = ["samr", "lsarpc", "srvsvc", "winreg"]


def test_enumeration_pipes_from_one_client_correlate(tmp_path: Path) -> None:
    burst = [pipe_opened(p) for p in ENUMERATION_PIPES]
    assert PIPES in fired(tmp_path / "hit.jsonl", numbered(burst, [0, 0, 1, 1]))


def test_enumeration_pipes_spread_or_split_do_not_correlate(tmp_path: Path) -> None:
    burst = [pipe_opened(p) for p in ENUMERATION_PIPES]
    # The same pipes, one every three minutes: at most two in any five-minute window.
    assert PIPES not in fired(tmp_path / "slow.jsonl", numbered(burst, [0, 3, 6, 9]))
    # Four pipes in a minute, but two accounts from two workstations.
    split = [
        pipe_opened("samr"),
        pipe_opened("lsarpc"),
        pipe_opened("srvsvc", user="user02", ip="10.0.2.18"),
        pipe_opened("winreg", user="user02", ip="10.0.2.18"),
    ]
    assert PIPES not in fired(tmp_path / "split.jsonl", numbered(split, [0, 0, 1, 1]))


def test_machine_accounts_and_other_pipes_do_not_correlate(tmp_path: Path) -> None:
    # A workstation's own computer account opening the same pipes (group policy, trust).
    machine = [pipe_opened(p, user="WS07$", ip="10.0.2.31") for p in ENUMERATION_PIPES]
    assert PIPES not in fired(tmp_path / "machine.jsonl", numbered(machine, [0, 0, 1, 1]))
    # A user printing and logging on: spoolss and netlogon are not enumeration pipes.
    other = [pipe_opened(p) for p in ["spoolss", "netlogon", "samr", "spoolss"]]
    assert PIPES not in fired(tmp_path / "other.jsonl", numbered(other, [0, 0, 1, 1]))


def test_unknown_account_ticket_request_is_the_enumeration_base_rule() -> None:
    base = "Kerberos ticket requested for an unknown account (4768, 0x6)"
    assert base in matched_titles(tgt_request("scanner", "0x6"))
    assert base not in matched_titles(tgt_request("scanner", "0x0"))
    assert base not in matched_titles(tgt_request("scanner", "0x18"))


def test_enumeration_pipe_is_the_domain_enumeration_base_rule() -> None:
    base = "Enumeration RPC pipe opened over IPC$"
    assert base in matched_titles(pipe_opened("lsarpc"))
    assert base not in matched_titles(pipe_opened("lsarpc", user="WS07$"))
    assert base not in matched_titles(pipe_opened("spoolss"))
