"""Persistence, privilege escalation and remote access rules of the built-in pack fire on
the event they describe and stay quiet on a close benign look-alike.

Events are written as Windows, Sysmon, BITS and the Task Scheduler write them; the
look-alike keeps the log source and changes the detail the rule is about. Where a rule
is nothing but an event id (4720, 4698, 106), the look-alike is the neighbouring event
of the same log (a computer account created, a task updated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.analyzers.windows_evtx.rule_cases import (
    ADMIN_SUBJECT,
    BITS,
    NET,
    SEC,
    SYSMON,
    Case,
    check_case,
    each_case,
    proc,
    reg,
    service_installed,
)

EXPLORER = "C:\\Windows\\explorer.exe"
SVCHOST = "C:\\Windows\\System32\\svchost.exe"
SERVICES = "C:\\Windows\\system32\\services.exe"
SPOOLSV = "C:\\Windows\\System32\\spoolsv.exe"
SCHTASKS = "C:\\Windows\\System32\\schtasks.exe"
TEMP = "C:\\Users\\user01\\AppData\\Local\\Temp"
IFEO = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options"
SAM_NAMES = "HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names"
PORTS = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Ports"
PRINTERS = "HKLM\\System\\CurrentControlSet\\Control\\Print\\Printers"
SERVICES_KEY = "HKLM\\System\\CurrentControlSet\\Services"
COMCTL = (
    "amd64_microsoft.windows.common-controls_6595b64144ccf1df_6.0.22621.2506_none_57f4bd1ee1e3e4d1"
)
TASKSCHED = {
    "Channel": "Microsoft-Windows-TaskScheduler/Operational",
    "Provider_Name": "Microsoft-Windows-TaskScheduler",
}


def account(event_id: int, name: str, rid: int) -> dict[str, Any]:
    """4720 (user account created) or 4741 (computer account created) on a DC."""
    return {
        **SEC,
        **ADMIN_SUBJECT,
        "EventID": event_id,
        "TargetUserName": name,
        "TargetDomainName": "EXAMPLE",
        "TargetSid": f"S-1-5-21-1004336348-1177238915-682003330-{rid}",
        "SamAccountName": name,
        "UserAccountControl": "%%2080 %%2082 %%2084" if event_id == 4720 else "%%2087",
        "PrivilegeList": "-",
    }


def bits_transfer(url: str) -> dict[str, Any]:
    """Bits-Client event 59: BITS started a transfer job for one file."""
    return {
        **BITS,
        "Provider_Name": "Microsoft-Windows-Bits-Client",
        "EventID": 59,
        "transferId": "{7a3c2c8e-5d0b-4a4e-9a3e-2f1b6c0d9e11}",
        "name": "WindowsUpdateHelper",
        "Id": "{0c9d7b0e-1f63-4f7d-8d4b-5e6a2b3c4d5e}",
        "url": url,
        "peer": "",
        "fileTime": "2024-04-11 08:02:17",
        "fileLength": "289792",
        "bytesTotal": "289792",
        "bytesTransferred": "0",
        "bytesTransferredFromPeer": "0",
    }


def sam_key(event_type: str, name: str) -> dict[str, Any]:
    """Sysmon 12: lsass creating or deleting the key named after a local account."""
    return {
        **SYSMON,
        "EventID": 12,
        "EventType": event_type,
        "Image": "C:\\Windows\\system32\\lsass.exe",
        "TargetObject": f"{SAM_NAMES}\\{name}",
        "User": "NT AUTHORITY\\SYSTEM",
    }


def task_created(event_id: int) -> dict[str, Any]:
    """4698 (scheduled task created) or 4702 (scheduled task updated)."""
    content = (
        '<?xml version="1.0" encoding="UTF-16"?><Task version="1.2" '
        'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><Actions Context="Author">'
        "<Exec><Command>C:\\Users\\Public\\Libraries\\upd.exe</Command></Exec></Actions></Task>"
    )
    content_key = "TaskContent" if event_id == 4698 else "TaskContentNew"
    return {
        **SEC,
        **ADMIN_SUBJECT,
        "EventID": event_id,
        "TaskName": "\\OneDriveSync",
        content_key: content,
    }


def task_scheduler(event_id: int) -> dict[str, Any]:
    """Task Scheduler 106 (task registered) or 140 (task updated)."""
    user_key = "UserContext" if event_id == 106 else "UserName"
    return {
        **TASKSCHED,
        "EventID": event_id,
        "TaskName": "\\OneDriveSync",
        user_key: "EXAMPLE\\admin01",
    }


def wmi_consumer(event_id: int) -> dict[str, Any]:
    """Sysmon 20 (consumer) or 21 (filter-to-consumer binding) of one subscription."""
    common = {**SYSMON, "EventID": event_id, "Operation": "Created", "User": "EXAMPLE\\admin01"}
    if event_id == 20:
        return {
            **common,
            "EventType": "WmiConsumerEvent",
            "Name": "SysHealthMonitor",
            "Type": "Command Line",
            "Destination": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe "
            "-NoProfile -WindowStyle Hidden -File C:\\ProgramData\\sysh\\check.ps1",
        }
    return {
        **common,
        "EventType": "WmiBindingEvent",
        "Consumer": '\\\\.\\ROOT\\subscription:CommandLineEventConsumer.Name="SysHealthMonitor"',
        "Filter": '\\\\.\\ROOT\\subscription:__EventFilter.Name="SysHealthMonitor"',
    }


def image_load(image: str, loaded: str, *, signed: bool, signature: str = "") -> dict[str, Any]:
    """Sysmon 7: ``image`` loaded the DLL ``loaded``."""
    return {
        **SYSMON,
        "EventID": 7,
        "Image": image,
        "ImageLoaded": loaded,
        "Signed": "true" if signed else "false",
        "Signature": signature,
        "SignatureStatus": "Valid" if signed else "Unavailable",
        "User": "EXAMPLE\\user01",
    }


def remote_thread(source: str, target: str, module: str, function: str) -> dict[str, Any]:
    """Sysmon 8: ``source`` started a thread in ``target``."""
    return {
        **SYSMON,
        "EventID": 8,
        "SourceImage": source,
        "TargetImage": target,
        "StartAddress": "0x00007FF8A1C42D30" if module != "-" else "0x000001C2F5A10000",
        "StartModule": module,
        "StartFunction": function,
    }


def driver(path: str, signature: str) -> dict[str, Any]:
    """Sysmon 6: a kernel driver was loaded."""
    return {
        **SYSMON,
        "EventID": 6,
        "ImageLoaded": path,
        "Hashes": "SHA256=6E1C3B7A2F0D4C5B8A9E7D6C5B4A39281706F5E4D3C2B1A0987F6E5D4C3B2A19",
        "Signed": "true",
        "Signature": signature,
        "SignatureStatus": "Valid",
    }


CASES: list[Case] = [
    (
        "Debugger set for an accessibility program (sticky keys backdoor)",
        reg(f"{IFEO}\\sethc.exe\\Debugger", "C:\\Windows\\System32\\cmd.exe")
        | {"Image": "C:\\Windows\\system32\\reg.exe"},
        # Process Explorer's "replace Task Manager" writes the same value for taskmgr.exe
        reg(f"{IFEO}\\taskmgr.exe\\Debugger", '"C:\\Program Files\\Sysinternals\\procexp64.exe"')
        | {"Image": "C:\\Program Files\\Sysinternals\\procexp64.exe"},
    ),
    (
        "User account created (4720)",
        account(4720, "svc_backup", 1112),
        account(4741, "WS05$", 1113),
    ),
    (
        "User account created with a machine-like name ($)",
        account(4720, "WS05$", 1114),
        account(4720, "svc_backup", 1112),
    ),
    (  # a real computer account is created with 4741, not 4720
        "User account created with a machine-like name ($)",
        account(4720, "WS05$", 1114),
        account(4741, "WS05$", 1113),
    ),
    (
        "BITS job transferring from a local or network file path",
        bits_transfer("C:\\Windows\\System32\\cmd.exe"),
        bits_transfer("https://updates.example.local/agent/setup-2.4.1.exe"),
    ),
    (
        "BITS job transferring from a local or network file path",
        bits_transfer("\\\\FS01.example.local\\deploy$\\agent.exe"),
        bits_transfer("http://198.51.100.23/agent.exe"),
    ),
    (  # the look-alike is the account being removed again
        "Local account created (SAM registry key, Sysmon)",
        sam_key("CreateKey", "svc_backup"),
        sam_key("DeleteKey", "svc_backup"),
    ),
    (
        "Account created or added to administrators with net.exe",
        proc("net user svc_backup Summer2024x /add", NET),
        proc("net user svc_backup /domain", NET),
    ),
    (
        "Account created or added to administrators with net.exe",
        proc(
            "C:\\Windows\\system32\\net1  localgroup administrators svc_backup /add",
            "C:\\Windows\\System32\\net1.exe",
            NET,
        ),
        proc(
            "C:\\Windows\\system32\\net1  localgroup administrators",
            "C:\\Windows\\System32\\net1.exe",
            NET,
        ),
    ),
    ("Scheduled task created (4698)", task_created(4698), task_created(4702)),
    ("Scheduled task registered (Task Scheduler 106)", task_scheduler(106), task_scheduler(140)),
    (
        "schtasks creating a task that runs a script host or runs as SYSTEM remotely",
        proc(
            'schtasks /create /tn "OneDriveSync" /tr "powershell.exe -NoProfile -WindowStyle '
            'Hidden -File C:\\Users\\Public\\sync.ps1" /sc onlogon /f',
            SCHTASKS,
        ),
        proc(
            'schtasks /create /tn "Nightly backup" /tr "\\"C:\\Program Files\\Example\\Backup\\'
            'agent.exe\\" --run" /sc daily /st 02:00 /f',
            SCHTASKS,
        ),
    ),
    (
        "schtasks creating a task that runs a script host or runs as SYSTEM remotely",
        proc(
            "schtasks /create /s FS01.example.local /u EXAMPLE\\admin01 /ru SYSTEM "
            '/tn "WinUpdate" /tr "C:\\Windows\\Temp\\wupd.exe" /sc once /st 23:59 /f',
            SCHTASKS,
        ),
        proc(
            "schtasks /create /s FS01.example.local /u EXAMPLE\\admin01 /ru EXAMPLE\\svc_deploy "
            '/rp * /tn "Inventory" /tr "C:\\Program Files\\Example\\Inventory\\scan.exe" '
            "/sc weekly /d MON /st 06:00 /f",
            SCHTASKS,
        ),
    ),
    (
        "Visual Studio Code remote tunnel started",
        proc(
            '"C:\\Users\\Public\\Downloads\\code.exe" tunnel --accept-server-license-terms '
            "--name ws01-dev",
            "C:\\Users\\Public\\Downloads\\code.exe",
        ),
        proc(
            '"C:\\Users\\user01\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" '
            "--new-window C:\\Users\\user01\\source\\webapp",
            "C:\\Users\\user01\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
            EXPLORER,
        ),
    ),
    (
        "Windows Sandbox started",
        proc(
            '"C:\\Windows\\System32\\WindowsSandbox.exe" C:\\Users\\user01\\Downloads\\lab.wsb',
            "C:\\Windows\\System32\\WindowsSandbox.exe",
            EXPLORER,
        ),
        proc(
            '"C:\\Windows\\System32\\notepad.exe" C:\\Users\\user01\\Downloads\\lab.wsb',
            "C:\\Windows\\System32\\notepad.exe",
            EXPLORER,
        ),
    ),
    (  # the look-alike is the binding event (Sysmon 21) of the same subscription
        "WMI event consumer that runs script or a command (Sysmon 20)",
        wmi_consumer(20),
        wmi_consumer(21),
    ),
    (
        "WMI event consumer that runs script or a command (Sysmon 20)",
        wmi_consumer(20) | {"Operation": "Modified"},
        wmi_consumer(20) | {"Operation": "Deleted"},
    ),
    (
        "WMI script consumer host (scrcons.exe) started",
        proc(
            "C:\\Windows\\system32\\wbem\\scrcons.exe -Embedding",
            "C:\\Windows\\System32\\wbem\\scrcons.exe",
            SVCHOST,
        ),
        proc(
            "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
            SVCHOST,
        ),
    ),
    (
        "Auto-elevating Windows program started by a program in a user-writable folder",
        proc(
            '"C:\\Windows\\System32\\fodhelper.exe"',
            "C:\\Windows\\System32\\fodhelper.exe",
            f"{TEMP}\\a7f3\\setup.exe",
        ),
        proc(
            '"C:\\Windows\\System32\\fodhelper.exe"',
            "C:\\Windows\\System32\\fodhelper.exe",
            "C:\\Windows\\ImmersiveControlPanel\\SystemSettings.exe",
        ),
    ),
    (
        "Auto-elevating Windows program started by a program in a user-writable folder",
        proc(
            '"C:\\Windows\\system32\\eventvwr.exe"',
            "C:\\Windows\\System32\\eventvwr.exe",
            "C:\\ProgramData\\Intel\\igfxext.exe",
        ),
        proc(
            '"C:\\Windows\\system32\\eventvwr.exe"', "C:\\Windows\\System32\\eventvwr.exe", EXPLORER
        ),
    ),
    (
        "System program loaded a DLL through .local redirection",
        image_load(
            "C:\\Windows\\System32\\consent.exe",
            f"C:\\Windows\\System32\\consent.exe.local\\{COMCTL}\\comctl32.dll",
            signed=False,
        ),
        image_load(
            "C:\\Windows\\System32\\consent.exe",
            f"C:\\Windows\\WinSxS\\{COMCTL}\\comctl32.dll",
            signed=True,
            signature="Microsoft Windows",
        ),
    ),
    (
        "Program started from a look-alike Windows folder (trailing space)",
        proc(
            '"C:\\Windows \\System32\\ComputerDefaults.exe"',
            "C:\\Windows \\System32\\ComputerDefaults.exe",
            EXPLORER,
        ),
        proc(
            '"C:\\Windows\\System32\\ComputerDefaults.exe"',
            "C:\\Windows\\System32\\ComputerDefaults.exe",
            EXPLORER,
        ),
    ),
    (  # a port value named after a DLL path; print-to-PDF uses the PORTPROMPT: port
        "Printer port named after a file path (PrintDemon style)",
        reg(f"{PORTS}\\C:\\Windows\\System32\\ualapi.dll", "(Empty)") | {"Image": SPOOLSV},
        reg(f"{PORTS}\\PORTPROMPT:", "(Empty)") | {"Image": SPOOLSV},
    ),
    (
        "Printer spool directory pointed at a driver or system folder",
        reg(
            f"{PRINTERS}\\Generic / Text Only\\SpoolDirectory",
            "C:\\Windows\\System32\\spool\\drivers\\x64\\4",
        )
        | {"Image": SPOOLSV},
        reg(
            f"{PRINTERS}\\Generic / Text Only\\SpoolDirectory",
            "C:\\Windows\\System32\\spool\\PRINTERS",
        )
        | {"Image": SPOOLSV},
    ),
    (  # csrss starting CtrlRoutine in a console program is routine
        "Remote thread created by a program from a user-writable or network folder",
        remote_thread(f"{TEMP}\\upd4521.exe", EXPLORER, "-", "-"),
        remote_thread(
            "C:\\Windows\\System32\\csrss.exe",
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\KERNELBASE.dll",
            "CtrlRoutine",
        ),
    ),
    (
        "Remote thread created by a program from a user-writable or network folder",
        remote_thread(
            "\\\\FS01.example.local\\tools$\\inv.exe",
            "C:\\Windows\\System32\\notepad.exe",
            "-",
            "-",
        ),
        remote_thread(
            "C:\\Program Files\\Example Screen Reader\\reader.exe",
            "C:\\Windows\\System32\\notepad.exe",
            "C:\\Program Files\\Example Screen Reader\\hook64.dll",
            "HookProc",
        ),
    ),
    (
        "Service binary path set to a user-writable folder (registry)",
        reg(f"{SERVICES_KEY}\\WinUpdateSvc\\ImagePath", "C:\\Users\\Public\\Libraries\\wupd.exe")
        | {"Image": SERVICES},
        reg(
            f"{SERVICES_KEY}\\ExampleBackup\\ImagePath",
            '"C:\\Program Files\\Example\\Backup\\agent.exe" --service',
        )
        | {"Image": SERVICES},
    ),
    (  # OneDrive's signed shell extension lives in the profile too
        "Windows program loaded an unsigned DLL from a user-writable folder",
        image_load(
            "C:\\Windows\\System32\\dllhost.exe", f"{TEMP}\\d3f1\\propsys.dll", signed=False
        ),
        image_load(
            "C:\\Windows\\System32\\dllhost.exe",
            "C:\\Users\\user01\\AppData\\Local\\Microsoft\\OneDrive\\24.010.0114.0003\\"
            "FileSyncShell64.dll",
            signed=True,
            signature="Microsoft Corporation",
        ),
    ),
    (  # Dell's fixed driver (DBUtilDrv2) against the vulnerable dbutil_2_3
        "Driver with a known exploitable signed version loaded (BYOVD)",
        driver("C:\\Users\\user01\\AppData\\Local\\Temp\\dbutil_2_3.sys", "Dell Inc"),
        driver("C:\\Windows\\System32\\drivers\\DBUtilDrv2.sys", "Dell Inc"),
    ),
    (  # an old innotek-signed VirtualBox driver against a current Oracle-signed one
        "Driver with a known exploitable signed version loaded (BYOVD)",
        driver("C:\\ProgramData\\vbx\\VBoxDrv.sys", "innotek GmbH"),
        driver("C:\\Windows\\System32\\drivers\\VBoxSup.sys", "Oracle Corporation"),
    ),
    (  # the built-in Remote Desktop client is not a third-party remote tool
        "Remote management tool started",
        proc(
            '"C:\\Users\\user01\\Downloads\\AnyDesk.exe"',
            "C:\\Users\\user01\\Downloads\\AnyDesk.exe",
            EXPLORER,
        ),
        proc(
            '"C:\\Windows\\system32\\mstsc.exe" /v:FS01.example.local',
            "C:\\Windows\\System32\\mstsc.exe",
            EXPLORER,
        ),
    ),
    (
        "Remote management tool started",
        proc(
            '"C:\\Program Files (x86)\\ScreenConnect Client (3f2a9c0d51e7b486)\\'
            'ScreenConnect.ClientService.exe" "?e=Access&y=Guest&h=203.0.113.40&p=8041"',
            "C:\\Program Files (x86)\\ScreenConnect Client (3f2a9c0d51e7b486)\\"
            "ScreenConnect.ClientService.exe",
            SERVICES,
        ),
        proc(
            "C:\\Windows\\System32\\QuickAssist.exe",
            "C:\\Windows\\System32\\QuickAssist.exe",
            EXPLORER,
        ),
    ),
    (
        "Remote management tool installed as a service (4697)",
        service_installed(
            "AnyDesk", '"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe" --service', start_type="2"
        ),
        service_installed(
            "ExampleBackup",
            '"C:\\Program Files\\Example\\Backup\\agent.exe" --service',
            start_type="2",
        ),
    ),
    (  # renamed service, recognised by its binary
        "Remote management tool installed as a service (4697)",
        service_installed(
            "WinHealthSvc", '"C:\\ProgramData\\winh\\AnyDesk.exe" --service', start_type="2"
        ),
        service_installed(
            "WinHealthSvc", '"C:\\ProgramData\\winh\\healthsvc.exe" --service', start_type="2"
        ),
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)
