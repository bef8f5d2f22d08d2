"""Where a Sigma ``logsource`` is written on Windows: channels, event ids, field names.

Built from the Sigma specification's Windows taxonomy (``product: windows`` with a
``service`` naming one event log, or a ``category`` naming a kind of event) and from
Microsoft's and Sysinternals' public documentation of the logs:

- services: https://github.com/SigmaHQ/sigma-specification (Appendix: taxonomy)
- Sysmon event ids: https://learn.microsoft.com/sysinternals/downloads/sysmon#events
- Security 4688/4689: https://learn.microsoft.com/windows/security/threat-protection/auditing/event-4688

A category read from the built-in Security log uses other field names than Sysmon
(``NewProcessName`` where Sysmon writes ``Image``); :data:`CATEGORY_FIELD_FALLBACKS`
lists, per category, the names to try in order for a field the rule names.
"""

from __future__ import annotations

from collections.abc import Mapping

SECURITY = "Security"
SYSTEM = "System"
APPLICATION = "Application"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = "Microsoft-Windows-PowerShell/Operational"
POWERSHELL_CORE = "PowerShellCore/Operational"
POWERSHELL_CLASSIC = "Windows PowerShell"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"

#: ``service:`` → the channels (event logs) it names.
SERVICE_CHANNELS: Mapping[str, tuple[str, ...]] = {
    "security": (SECURITY,),
    "system": (SYSTEM,),
    "application": (APPLICATION,),
    "sysmon": (SYSMON,),
    "powershell": (POWERSHELL, POWERSHELL_CORE),
    "powershell-classic": (POWERSHELL_CLASSIC,),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "windefend": (DEFENDER,),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "terminalservices-localsessionmanager": (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    ),
    "terminalservices-remoteconnectionmanager": (
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    ),
    "rdp": (
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
    ),
    "rdp-corets": ("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "dns-server": ("DNS Server",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "dns-server-audit": ("Microsoft-Windows-DNS-Server/Audit",),
    "dns-client": ("Microsoft-Windows-DNS-Client/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "msexchange-management": ("MSExchange Management",),
    "applocker": (
        "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
    ),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "smbclient-connectivity": ("Microsoft-Windows-SmbClient/Connectivity",),
    "smbserver-security": ("Microsoft-Windows-SMBServer/Security",),
    "security-mitigations": (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode",
    ),
    "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "openssh": ("OpenSSH/Operational",),
    "ldap": ("Microsoft-Windows-LDAP-Client/Debug",),
    "ldap_debug": ("Microsoft-Windows-LDAP-Client/Debug",),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system": (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
    ),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
    "kernel-shimengine": ("Microsoft-Windows-Kernel-ShimEngine/Operational",),
    "vhdmp": ("Microsoft-Windows-VHDMP-Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "hyper-v-worker": ("Microsoft-Windows-Hyper-V-Worker-Admin",),
    "iis-configuration": ("Microsoft-IIS-Configuration/Operational",),
    "ntfs": ("Microsoft-Windows-Ntfs/Operational",),
    "winrm": ("Microsoft-Windows-WinRM/Operational",),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client",),
    "sense": ("Microsoft-Windows-SENSE/Operational",),
}

#: ``category:`` → (channel, event ids) pairs it is read from.
CATEGORY_SOURCES: Mapping[str, tuple[tuple[str, frozenset[int]], ...]] = {
    "process_creation": ((SYSMON, frozenset({1})), (SECURITY, frozenset({4688}))),
    "file_change": ((SYSMON, frozenset({2})),),
    "network_connection": ((SYSMON, frozenset({3})),),
    "sysmon_status": ((SYSMON, frozenset({4, 16})),),
    "process_termination": ((SYSMON, frozenset({5})), (SECURITY, frozenset({4689}))),
    "driver_load": ((SYSMON, frozenset({6})),),
    "image_load": ((SYSMON, frozenset({7})),),
    "create_remote_thread": ((SYSMON, frozenset({8})),),
    "raw_access_thread": ((SYSMON, frozenset({9})),),
    "process_access": ((SYSMON, frozenset({10})),),
    "file_event": ((SYSMON, frozenset({11})),),
    "registry_add": ((SYSMON, frozenset({12})),),
    "registry_delete": ((SYSMON, frozenset({12})),),
    "registry_set": ((SYSMON, frozenset({13})),),
    "registry_rename": ((SYSMON, frozenset({14})),),
    "registry_event": ((SYSMON, frozenset({12, 13, 14})),),
    "create_stream_hash": ((SYSMON, frozenset({15})),),
    "pipe_created": ((SYSMON, frozenset({17, 18})),),
    "wmi_event": ((SYSMON, frozenset({19, 20, 21})),),
    "dns_query": ((SYSMON, frozenset({22})),),
    "file_delete": ((SYSMON, frozenset({23, 26})),),
    "clipboard_capture": ((SYSMON, frozenset({24})),),
    "process_tampering": ((SYSMON, frozenset({25})),),
    "file_block_executable": ((SYSMON, frozenset({27})),),
    "file_block_shredding": ((SYSMON, frozenset({28})),),
    "file_executable_detected": ((SYSMON, frozenset({29})),),
    "sysmon_error": ((SYSMON, frozenset({255})),),
    "ps_script": ((POWERSHELL, frozenset({4104})), (POWERSHELL_CORE, frozenset({4104}))),
    "ps_module": ((POWERSHELL, frozenset({4103})), (POWERSHELL_CORE, frozenset({4103}))),
    "ps_classic_start": ((POWERSHELL_CLASSIC, frozenset({400})),),
    "ps_classic_provider_start": ((POWERSHELL_CLASSIC, frozenset({600})),),
    "ps_classic_script": ((POWERSHELL_CLASSIC, frozenset({800})),),
    "antivirus": ((DEFENDER, frozenset({1006, 1015, 1116, 1117})),),
}

#: Per category: a field name a rule uses → the event field names to try, in order.
#: The first name is the rule's own (Sysmon's); the others are what the Security log writes.
CATEGORY_FIELD_FALLBACKS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "process_creation": {
        "image": ("Image", "NewProcessName"),
        "parentimage": ("ParentImage", "ParentProcessName"),
        "processid": ("NewProcessId", "ProcessId"),
        "parentprocessid": ("ParentProcessId", "ProcessId"),
        "user": ("User", "SubjectUserName"),
        "integritylevel": ("IntegrityLevel", "MandatoryLabel"),
        "logonid": ("LogonId", "SubjectLogonId"),
    },
    "process_termination": {
        "image": ("Image", "ProcessName"),
        "user": ("User", "SubjectUserName"),
    },
}


def logsource_sources(
    product: str | None, service: str | None, category: str | None
) -> tuple[tuple[str | None, frozenset[int] | None], ...] | None:
    """The (channel, event ids) pairs a logsource names; ``None`` when it names none we know.

    ``product: windows`` alone (no service, no category) matches any Windows event: the
    pair ``(None, None)``. A product other than Windows names nothing here.
    """
    if product is not None and product.lower() != "windows":
        return None
    pairs: list[tuple[str | None, frozenset[int] | None]] = []
    if category is not None:
        sources = CATEGORY_SOURCES.get(category.lower())
        if sources is None:
            return None
        pairs.extend(sources)
    if service is not None:
        channels = SERVICE_CHANNELS.get(service.lower())
        if channels is None:
            return None
        if pairs:  # category and service: keep the category's pairs on the service's channels
            wanted = {c.lower() for c in channels}
            pairs = [(ch, ids) for ch, ids in pairs if ch is not None and ch.lower() in wanted]
        else:
            pairs.extend((ch, None) for ch in channels)
        if not pairs:
            return None
    if not pairs:
        if product is None:
            return None
        pairs.append((None, None))
    return tuple(pairs)


def field_fallbacks(category: str | None) -> Mapping[str, tuple[str, ...]]:
    if category is None:
        return {}
    return CATEGORY_FIELD_FALLBACKS.get(category.lower(), {})
