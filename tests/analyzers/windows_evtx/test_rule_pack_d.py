"""Each rule of the built-in pack for remote access and lateral movement (logons from the
internet, RDP, DCOM, SMB service creation, WinRM, wmic) fires on the event it describes,
and stays quiet on a close benign look-alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.analyzers.windows_evtx.rule_cases import (
    ADMIN_SUBJECT,
    CMD,
    PSH,
    RCM,
    SEC,
    SYS,
    SYSMON,
    Case,
    check_case,
    each_case,
    proc,
    service_installed,
)

GATEWAY = {
    "Channel": "Microsoft-Windows-TerminalServices-Gateway/Operational",
    "Provider_Name": "Microsoft-Windows-TerminalServices-Gateway",
}
LSM = {
    "Channel": "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    "Provider_Name": "Microsoft-Windows-TerminalServices-LocalSessionManager",
}
DCOM = {"Channel": "System", "Provider_Name": "Microsoft-Windows-DistributedCOM"}
MMC20 = "{49B2791A-B1AE-4C90-9B8E-E860BA07F889}"
SHELL_WINDOWS = "{9BA05972-F6A8-11CF-A442-00A0C90A8F39}"
WMIC = "C:\\Windows\\System32\\wbem\\WMIC.exe"
WSMPROVHOST = "C:\\Windows\\System32\\wsmprovhost.exe"
#: AccessList of 5145 as Windows writes it: one %%-coded right per line.
SEP = "\n\t\t\t\t"
READ_ACCESS = SEP.join(["%%1538", "%%1541", "%%4416", "%%4423"]) + SEP
WRITE_ACCESS = (
    SEP.join(["%%1538", "%%1541", "%%4416", "%%4417", "%%4418", "%%4420", "%%4423"]) + SEP
)
PIPE_ACCESS = (
    SEP.join(["%%1538", "%%1541", "%%4416", "%%4417", "%%4418", "%%4419", "%%4423", "%%4424"]) + SEP
)


def logon(logon_type: str, ip: str, **extra: Any) -> dict[str, Any]:
    """Security 4624 with the fields a successful logon carries."""
    return {
        **SEC,
        "EventID": 4624,
        "SubjectUserSid": "S-1-0-0",
        "SubjectUserName": "-",
        "SubjectDomainName": "-",
        "SubjectLogonId": "0x0",
        "TargetUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1105",
        "TargetUserName": "user01",
        "TargetDomainName": "EXAMPLE",
        "TargetLogonId": "0x3e7a1c2",
        "LogonType": logon_type,
        "LogonProcessName": "NtLmSsp ",
        "AuthenticationPackageName": "NTLM",
        "WorkstationName": "WS03",
        "LmPackageName": "NTLM V2",
        "KeyLength": "128",
        "ProcessId": "0x0",
        "ProcessName": "-",
        "IpAddress": ip,
        "IpPort": "51234",
        "ImpersonationLevel": "%%1833",
    } | extra


def gateway(event_id: int, ip: str) -> dict[str, Any]:
    """RD Gateway 200 (authorised by the connection policy) or 302 (connected)."""
    return {
        **GATEWAY,
        "EventID": event_id,
        "Username": "EXAMPLE\\user01",
        "IpAddress": ip,
        "AuthType": "NTLM",
        "Resource": "rds01.example.local",
        "ConnectionProtocol": "HTTP",
        "ErrorCode": "0",
    }


def session(event_id: int, address: str) -> dict[str, Any]:
    """LocalSessionManager 21 (session logon) or 25 (reconnection)."""
    return {
        **LSM,
        "EventID": event_id,
        "User": "EXAMPLE\\user01",
        "SessionID": "3",
        "Address": address,
    }


def dcom_denied(where: str, what: str, clsid: str, appid: str) -> dict[str, Any]:
    """System 10016: "The %1 permission settings do not grant %2 %3 permission for the
    COM Server application with CLSID %4 and APPID %5 to the user %6\\%7 SID (%8) from
    address %9 ..." """
    return {
        **DCOM,
        "EventID": 10016,
        "param1": "application-specific",
        "param2": where,
        "param3": what,
        "param4": clsid,
        "param5": appid,
        "param6": "EXAMPLE",
        "param7": "user01",
        "param8": "S-1-5-21-1111111111-2222222222-3333333333-1105",
        "param9": "10.0.9.44" if where == "Remote" else "LocalHost (Using LRPC)",
        "param10": "Unavailable",
        "param11": "Unavailable",
    }


def explicit_logon(process: str, server: str, info: str) -> dict[str, Any]:
    """Security 4648: a logon was attempted using explicit credentials."""
    return {
        **SEC,
        "EventID": 4648,
        "SubjectUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1105",
        "SubjectUserName": "user01",
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x3e7a1c2",
        "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
        "TargetUserName": "adm_01",
        "TargetDomainName": "EXAMPLE",
        "TargetLogonGuid": "{00000000-0000-0000-0000-000000000000}",
        "TargetServerName": server,
        "TargetInfo": info,
        "ProcessId": "0x1a2c",
        "ProcessName": process,
        "IpAddress": "::1" if server == "localhost" else "-",
        "IpPort": "0" if server == "localhost" else "-",
    }


def pipe(name: str, image: str) -> dict[str, Any]:
    """Sysmon 17: pipe created."""
    return {
        **SYSMON,
        "EventID": 17,
        "EventType": "CreatePipe",
        "ProcessId": "4120",
        "PipeName": name,
        "Image": image,
        "User": "NT AUTHORITY\\SYSTEM",
    }


def share_access(share: str, local: str, target: str, access: str, ip: str) -> dict[str, Any]:
    """Security 5145: a network share object was checked for access."""
    return {
        **SEC,
        "EventID": 5145,
        **ADMIN_SUBJECT,
        "ObjectType": "File",
        "IpAddress": ip,
        "IpPort": "50123",
        "ShareName": share,
        "ShareLocalPath": local,
        "RelativeTargetName": target,
        "AccessMask": "0x12019f" if "%%4417" in access else "0x120089",
        "AccessList": access,
        "AccessReason": "-",
    }


def file_created(image: str, target: str) -> dict[str, Any]:
    """Sysmon 11: file created."""
    return {
        **SYSMON,
        "EventID": 11,
        "ProcessId": "4" if image == "System" else "6112",
        "Image": image,
        "TargetFilename": target,
        "CreationUtcTime": "2024-04-12 00:00:00.000",
        "User": "NT AUTHORITY\\SYSTEM",
    }


def security_process(command: str, image: str) -> dict[str, Any]:
    """Security 4688 (process creation auditing with command lines turned on)."""
    return {
        **SEC,
        "EventID": 4688,
        **ADMIN_SUBJECT,
        "NewProcessId": "0x1f40",
        "NewProcessName": image,
        "TokenElevationType": "%%1937",
        "ProcessId": "0x1a2c",
        "CommandLine": command,
        "ParentProcessName": CMD,
        "MandatoryLabel": "S-1-16-12288",
    }


CASES: list[Case] = [
    (
        "Network logon from an internet address",
        logon("3", "203.0.113.45"),
        logon("3", "10.0.4.21"),
    ),
    (
        "Remote Desktop Gateway connection from an internet address",
        gateway(302, "198.51.100.77"),
        gateway(302, "10.20.0.15"),
    ),
    (
        "Remote Desktop Gateway connection from an internet address",
        gateway(200, "203.0.113.8"),
        gateway(200, "172.16.8.30"),
    ),
    (
        "Remote Desktop session from an internet address (21/25)",
        session(21, "203.0.113.9"),
        session(21, "10.1.2.30"),
    ),
    (
        "Remote Desktop session from an internet address (21/25)",
        session(25, "198.51.100.140"),
        session(25, "LOCAL"),
    ),
    (
        "Shell started by MMC through DCOM",
        proc(
            f'"{CMD}" /c whoami /all > C:\\Windows\\Temp\\out.txt',
            CMD,
            "C:\\Windows\\System32\\mmc.exe",
        )
        | {"ParentCommandLine": "C:\\Windows\\system32\\mmc.exe -Embedding"},
        proc(f'"{CMD}" ', CMD, "C:\\Windows\\System32\\mmc.exe")
        | {
            "ParentCommandLine": '"C:\\Windows\\system32\\mmc.exe" '
            '"C:\\Windows\\system32\\compmgmt.msc" /s'
        },
    ),
    (
        "Remote DCOM launch of a lateral movement object denied (10016)",
        dcom_denied("Remote", "Launch", MMC20, "{7E0423CD-1119-0928-900C-E6D4A52A0715}"),
        dcom_denied("Local", "Launch", MMC20, "{7E0423CD-1119-0928-900C-E6D4A52A0715}"),
    ),
    (
        "Remote DCOM launch of a lateral movement object denied (10016)",
        dcom_denied("Remote", "Launch", SHELL_WINDOWS, SHELL_WINDOWS),
        dcom_denied(
            "Local",
            "Activation",
            "{2593F8B9-4EAF-457C-B68A-50F6B8EA6B54}",
            "{15C20B67-12E7-4BB6-92BB-7AFF07997402}",
        ),
    ),
    (
        "Remote DCOM launch of a lateral movement object denied (10016)",
        dcom_denied("Remote", "Activation", SHELL_WINDOWS, SHELL_WINDOWS),
        dcom_denied("Local", "Activation", SHELL_WINDOWS, SHELL_WINDOWS),
    ),
    (
        "Logon with explicit credentials to another host",
        explicit_logon(
            "C:\\Windows\\System32\\mstsc.exe", "FS01.example.local", "TERMSRV/FS01.example.local"
        ),
        explicit_logon("C:\\Windows\\System32\\svchost.exe", "localhost", "localhost"),
    ),
    (
        "Remote Desktop logon (logon type 10)",
        logon(
            "10",
            "10.0.3.15",
            LogonProcessName="User32 ",
            AuthenticationPackageName="Negotiate",
            LmPackageName="-",
            KeyLength="0",
            ProcessName="C:\\Windows\\System32\\svchost.exe",
        ),
        logon(
            "2",
            "127.0.0.1",
            LogonProcessName="User32 ",
            AuthenticationPackageName="Negotiate",
            LmPackageName="-",
            KeyLength="0",
            ProcessName="C:\\Windows\\System32\\winlogon.exe",
        ),
    ),
    (
        "NTLM network logon without session key (KeyLength 0)",
        logon("3", "10.0.9.44", TargetUserName="adm_01", WorkstationName="-", KeyLength="0"),
        logon("3", "10.0.9.44", TargetUserName="adm_01", WorkstationName="-", KeyLength="128"),
    ),
    (
        "NTLM network logon without session key (KeyLength 0)",
        logon("3", "10.0.9.44", TargetUserName="adm_01", WorkstationName="-", KeyLength="0"),
        logon(
            "3",
            "10.0.9.44",
            TargetUserSid="S-1-5-7",
            TargetUserName="ANONYMOUS LOGON",
            TargetDomainName="NT AUTHORITY",
            WorkstationName="-",
            LmPackageName="NTLM V1",
            KeyLength="0",
        ),
    ),
    (
        "Named pipe of a PsExec-style tool (Sysmon)",
        pipe("\\PSEXESVC-WS03-4120-stdin", "C:\\Windows\\PSEXESVC.exe"),
        pipe("\\PSHost.133572864000000000.4120.DefaultAppDomain.powershell", PSH),
    ),
    (
        "Named pipe of a PsExec-style tool (Sysmon)",
        pipe("\\RemCom_communicaton", "C:\\Windows\\RemComSvc.exe"),
        pipe("\\srvsvc", "C:\\Windows\\System32\\svchost.exe"),
    ),
    (
        "Remote Desktop user authentication succeeded (1149)",
        {**RCM, "EventID": 1149, "Param1": "user01", "Param2": "EXAMPLE", "Param3": "10.0.3.15"},
        {**RCM, "EventID": 261, "listenerName": "RDP-Tcp"},
    ),
    (
        "Port 3389 forwarded through an SSH client",
        proc(
            "C:\\Users\\Public\\plink.exe -ssh -P 443 -l tunnel -pw ******** "
            "-R 13389:127.0.0.1:3389 203.0.113.50",
            "C:\\Users\\Public\\plink.exe",
        ),
        proc(
            "C:\\Tools\\plink.exe -ssh -batch -P 22 -l backup "
            "-L 15432:db01.example.local:5432 jump.example.local",
            "C:\\Tools\\plink.exe",
        ),
    ),
    (
        "Port 3389 forwarded through an SSH client",
        proc(
            "ssh.exe -N -L 13389:10.0.3.20:3389 tunnel@198.51.100.23",
            "C:\\Windows\\System32\\OpenSSH\\ssh.exe",
        ),
        proc(
            'ssh.exe admin@10.0.3.20 "netstat -an | findstr :3389"',
            "C:\\Windows\\System32\\OpenSSH\\ssh.exe",
        ),
    ),
    (
        "New service installed (7045)",
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "PSEXESVC",
            "ImagePath": "%SystemRoot%\\PSEXESVC.exe",
            "ServiceType": "user mode service",
            "StartType": "demand start",
            "AccountName": "LocalSystem",
        },
        {**SYS, "EventID": 7036, "param1": "PSEXESVC", "param2": "running"},
    ),
    (
        # Only the Security log's 4697 counts; the same installation as the System log's
        # Service Control Manager writes it is another rule's.
        "New service installed (4697)",
        service_installed("PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "PSEXESVC",
            "ImagePath": "%SystemRoot%\\PSEXESVC.exe",
            "ServiceType": "user mode service",
            "StartType": "demand start",
            "AccountName": "LocalSystem",
        },
    ),
    (
        "PsExec-style remote execution service installed (4697)",
        service_installed("PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
        service_installed("Sysmon64", "C:\\Windows\\Sysmon64.exe"),
    ),
    (
        "PsExec-style remote execution service installed (4697)",
        service_installed("PAExec-4120-WS03", "%SystemRoot%\\PAExec-4120-WS03.exe"),
        service_installed(
            "PolicyAgent",
            "%SystemRoot%\\system32\\svchost.exe -k NetworkServiceNetworkRestricted -p",
        ),
    ),
    (
        "Service installed with a command interpreter or user-writable path (4697)",
        service_installed(
            "BTOBTO",
            "%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > "
            "%TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat",
        ),
        service_installed(
            "Contoso Agent", '"C:\\Program Files\\Contoso\\Agent\\agent.exe" --service'
        ),
    ),
    (
        "Service installed with a command interpreter or user-writable path (4697)",
        service_installed("WinSvcHost", "C:\\Users\\Public\\svchost.exe"),
        service_installed("Appinfo", "%SystemRoot%\\system32\\svchost.exe -k netsvcs -p"),
    ),
    (
        "Executable written to an administrative share (5145)",
        share_access(
            "\\\\*\\ADMIN$", "\\??\\C:\\Windows", "PSEXESVC.exe", WRITE_ACCESS, "10.0.9.44"
        ),
        share_access(
            "\\\\*\\ADMIN$", "\\??\\C:\\Windows", "PSEXESVC.exe", READ_ACCESS, "10.0.9.44"
        ),
    ),
    (
        "Executable written to an administrative share (5145)",
        share_access(
            "\\\\*\\C$", "\\??\\C:\\", "Windows\\Temp\\execute.bat", WRITE_ACCESS, "10.0.9.44"
        ),
        share_access(
            "\\\\*\\C$", "\\??\\C:\\", "Windows\\Temp\\patch-report.csv", WRITE_ACCESS, "10.0.9.44"
        ),
    ),
    (
        "Service control manager reached over SMB (5145 svcctl)",
        share_access("\\\\*\\IPC$", "", "svcctl", PIPE_ACCESS, "10.0.9.44"),
        share_access("\\\\*\\IPC$", "", "svcctl", PIPE_ACCESS, "::1"),
    ),
    (
        "Service control manager reached over SMB (5145 svcctl)",
        share_access("\\\\*\\IPC$", "", "svcctl", PIPE_ACCESS, "10.0.9.44"),
        share_access("\\\\*\\IPC$", "", "spoolss", PIPE_ACCESS, "10.0.9.44"),
    ),
    (
        "Executable written by the System process (file arrived over SMB)",
        file_created("System", "C:\\Windows\\PSEXESVC.exe"),
        file_created("System", "C:\\Shares\\Finance\\2024-Q1-budget.xlsx"),
    ),
    (
        "Process started through WinRM (wsmprovhost/winrshost child)",
        proc(
            '"C:\\Windows\\system32\\whoami.exe" /all',
            "C:\\Windows\\System32\\whoami.exe",
            WSMPROVHOST,
        ),
        proc(
            "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
            "C:\\Windows\\System32\\conhost.exe",
            WSMPROVHOST,
        ),
    ),
    (
        "Process started through WinRM (wsmprovhost/winrshost child)",
        proc(
            "C:\\Windows\\system32\\cmd.exe /c ipconfig /all",
            CMD,
            "C:\\Windows\\System32\\winrshost.exe",
        ),
        proc("C:\\Windows\\system32\\cmd.exe /c ipconfig /all", CMD, "C:\\Windows\\explorer.exe"),
    ),
    (
        "Process started on another host with wmic",
        proc(
            'wmic /node:"FS01.example.local" /user:"EXAMPLE\\adm_01" /password:"********" '
            'process call create "cmd.exe /c C:\\Windows\\Temp\\run.bat"',
            WMIC,
        ),
        proc('wmic /node:"FS01.example.local" process list brief', WMIC),
    ),
    (
        "Process started on another host with wmic",
        security_process(
            'wmic /node:10.0.3.20 process call create "C:\\Windows\\Temp\\svc.exe"', WMIC
        ),
        security_process("wmic /node:10.0.3.20 os get lastbootuptime", WMIC),
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)
