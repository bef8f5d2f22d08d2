"""Pure judgements over paths and command lines: where attackers stage and what they run.

Built from public descriptions of intrusions (facts.md sections D and E: tools staged in
ProgramData/Temp/Public/PerfLogs, scheduled tasks running MSBuild with an XML project,
DLL side-loading, Windows Sandbox configuration files, remote-access tools). No I/O here;
every function takes strings and answers plainly so it can be tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- places -------------------------------------------------------------------------------

_WINDOWS_STAGING = re.compile(
    r"(^|[\\/])(programdata|perflogs|\$recycle\.bin|users[\\/]public|windows[\\/]temp|"
    r"appdata[\\/](local|roaming|locallow)|temp|tmp|downloads)([\\/]|$)",
    re.IGNORECASE,
)
_UNIX_STAGING = re.compile(
    r"^(/tmp/|/var/tmp/|/dev/shm/|/run/shm/)|/\.(?!cache/|config/|local/|mozilla/)[^/]+/",
    re.IGNORECASE,
)
_WINDOWS_SYSTEM_DIR = re.compile(
    r"^windows/(system32|syswow64|winsxs|servicing|microsoft\.net|assembly)/", re.IGNORECASE
)


def strip_drive(path: str) -> str:
    text = path.strip().strip('"').replace("\\", "/")
    text = re.sub(r"^(//\?/|/\?\?/)", "", text).lstrip("/")
    text = re.sub(r"^(sysvol|[a-z]:)(/|$)", "", text, flags=re.IGNORECASE)
    return text.lstrip("/")


def is_windows_staging(path: str) -> bool:
    """ProgramData, PerfLogs, Users\\Public, Temp folders, AppData, the recycle bin."""
    return bool(_WINDOWS_STAGING.search(strip_drive(path)))


def is_unix_staging(path: str) -> bool:
    """Temporary folders (tmp, var/tmp, dev/shm) and hidden directories."""
    return bool(_UNIX_STAGING.search(path.strip()))


def is_staging(path: str) -> bool:
    """Either kind; a path with a drive letter or backslashes is judged as Windows."""
    if "\\" in path or ":" in path[:4] or path.lower().startswith(("sysvol/", "/sysvol/")):
        return is_windows_staging(path)
    return is_unix_staging(path) or is_windows_staging(path)


def is_windows_system_dir(path: str) -> bool:
    return bool(_WINDOWS_SYSTEM_DIR.match(strip_drive(path)))


# -- dual-use tools -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    label: str
    attack: tuple[str, ...]
    ja: str


_TOOLS: dict[str, Tool] = {}


def _tool(names: tuple[str, ...], label: str, attack: tuple[str, ...], ja: str) -> None:
    for name in names:
        _TOOLS[name] = Tool(label, attack, ja)


_tool(
    ("psexec.exe", "psexec64.exe", "psexesvc.exe", "paexec.exe"),
    "PsExec-style remote execution",
    ("T1569.002", "T1570"),
    "PsExec 系のリモート実行ツール",
)
_tool(
    ("rclone.exe", "rclone"),
    "rclone cloud-storage copier (exfiltration)",
    ("T1567.002",),
    "rclone（クラウドストレージへの持ち出しに使われるツール）",
)
_tool(
    ("megasync.exe", "megacmd.exe", "mega-cmd.exe"),
    "MEGA client (exfiltration)",
    ("T1567.002",),
    "MEGA クライアント（持ち出し）",
)
_tool(
    (
        "anydesk.exe",
        "teamviewer.exe",
        "screenconnect.clientservice.exe",
        "atera_agent.exe",
        "splashtopstreamer.exe",
        "rustdesk.exe",
        "ammyy_admin.exe",
    ),
    "remote-access software",
    ("T1219",),
    "リモートアクセスソフトウェア",
)
_tool(
    ("7z.exe", "7za.exe", "7zr.exe", "7zg.exe", "rar.exe", "winrar.exe"),
    "archiver",
    ("T1560.001",),
    "圧縮ツール（持ち出し前のアーカイブ作成）",
)
_tool(
    ("mimikatz.exe", "procdump.exe", "procdump64.exe", "nanodump.exe", "pypykatz.exe"),
    "credential dumping tool",
    ("T1003", "T1003.001"),
    "認証情報窃取ツール",
)
_tool(
    ("adfind.exe", "sharphound.exe", "bloodhound.exe"),
    "Active Directory discovery tool",
    ("T1087.002", "T1482"),
    "Active Directory 探索ツール",
)
_tool(
    (
        "advanced_ip_scanner.exe",
        "advanced ip scanner.exe",
        "netscan.exe",
        "nmap.exe",
        "softperfectnetworkscanner.exe",
    ),
    "network scanner",
    ("T1046",),
    "ネットワークスキャナ",
)
_tool(
    ("plink.exe", "ngrok.exe", "cloudflared.exe", "chisel.exe", "frpc.exe", "ligolo.exe"),
    "tunnelling tool",
    ("T1572",),
    "トンネリングツール",
)
_tool(("code-tunnel.exe",), "VS Code tunnel", ("T1219", "T1572"), "VS Code トンネル")


def dual_use_tool(path: str) -> Tool | None:
    """The tool a file name belongs to, if it is one attackers bring along."""
    name = strip_drive(path).rsplit("/", 1)[-1].lower()
    return _TOOLS.get(name)


# -- command lines --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandHit:
    rule: str
    title: str
    attack: tuple[str, ...]
    ja: str


_COMMAND_RULES: tuple[tuple[re.Pattern[str], CommandHit], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), CommandHit(rule, title, attack, ja))
    for pattern, rule, title, attack, ja in (
        (
            r"msbuild(\.exe)?\"?\s+.*\.(xml|csproj|proj|targets|txt|dat|log)\b",
            "msbuild-project",
            "MSBuild runs a project file (inline-task loader)",
            ("T1127.001",),
            "MSBuild によるプロジェクトファイルの実行（インラインタスクのローダー）",
        ),
        (
            r"\b(regsvr32)(\.exe)?\b.*(/i:|scrobj)",
            "regsvr32-scriptlet",
            "regsvr32 loads a scriptlet",
            ("T1218.010",),
            "regsvr32 によるスクリプトレットの読み込み",
        ),
        (
            r"\bmshta(\.exe)?\b.*(https?:|javascript:|vbscript:)",
            "mshta-remote",
            "mshta runs remote or inline script",
            ("T1218.005",),
            "mshta によるスクリプト実行",
        ),
        (
            r"\brundll32(\.exe)?\b.*(programdata|\\temp\\|appdata|users\\public|perflogs)",
            "rundll32-staging",
            "rundll32 loads a DLL from a staging folder",
            ("T1218.011",),
            "rundll32 が一時フォルダ等の DLL を読み込み",
        ),
        (
            r"\b(installutil|regasm|regsvcs|cmstp)(\.exe)?\b",
            "lolbin-proxy",
            "signed .NET/installer binary used as a proxy",
            ("T1218",),
            "署名済みバイナリを踏み台にした実行",
        ),
        (
            r"\bcertutil(\.exe)?\b.*(-urlcache|-decode|-split)",
            "certutil-download",
            "certutil downloads or decodes a file",
            ("T1105", "T1140"),
            "certutil によるダウンロード・デコード",
        ),
        (
            r"\bpowershell(\.exe)?\b.*\s-(e|en|enc|enco|encodedcommand)\s",
            "powershell-encoded",
            "PowerShell with an encoded command",
            ("T1059.001", "T1027"),
            "エンコードされた PowerShell コマンド",
        ),
        (
            r"(iex|invoke-expression).*(downloadstring|net\.webclient|invoke-webrequest|iwr\s)",
            "powershell-download-cradle",
            "PowerShell download cradle",
            ("T1059.001", "T1105"),
            "PowerShell によるダウンロードと実行",
        ),
        (
            r"\bcode(\.exe)?\s+tunnel\b",
            "vscode-tunnel",
            "VS Code remote tunnel",
            ("T1219", "T1572"),
            "VS Code リモートトンネル",
        ),
        (
            r"\bvssadmin(\.exe)?\b.*delete\s+shadows|wmic.*shadowcopy.*delete|"
            r"wbadmin.*delete\s+catalog|bcdedit.*recoveryenabled\s+no",
            "shadow-copy-deletion",
            "backup or shadow-copy deletion",
            ("T1490",),
            "シャドウコピー・バックアップの削除",
        ),
        (
            r"\b(curl|wget)\b[^|;]*\|\s*(ba|z|da)?sh\b",
            "download-pipe-shell",
            "download piped into a shell",
            ("T1059.004", "T1105"),
            "ダウンロードしたスクリプトをシェルで直接実行",
        ),
        (
            r"\bbase64\s+(-d|--decode)\b[^|;]*\|\s*(ba|z|da)?sh\b",
            "base64-pipe-shell",
            "base64-decoded script piped into a shell",
            ("T1059.004", "T1140"),
            "base64 デコードしたスクリプトをシェルで実行",
        ),
        (
            r"/dev/tcp/|\bnc(at)?\b.*\s-e\s|\bsocat\b.*exec:|\bbash\s+-i\b.*>&",
            "reverse-shell",
            "reverse shell",
            ("T1059.004",),
            "リバースシェル",
        ),
        (
            r"\bhistory\s+-c\b|unset\s+histfile|histfile=/dev/null|\brm\b.*\.bash_history",
            "history-cleared",
            "shell history cleared",
            ("T1070.003",),
            "シェル履歴の消去",
        ),
        (
            r"\bchmod\s+(\+x|[0-7]*7[0-7]*)\s+(/tmp/|/var/tmp/|/dev/shm/)",
            "chmod-staging",
            "file made executable in a temporary folder",
            ("T1222.002",),
            "一時ディレクトリのファイルに実行権限を付与",
        ),
        (
            r"\b(useradd|adduser)\b|\busermod\b.*-a?G\s*(sudo|wheel|root)",
            "account-created",
            "local account created or given admin rights",
            ("T1136.001", "T1098"),
            "ローカルアカウントの作成・権限付与",
        ),
        (
            r"authorized_keys",
            "ssh-authorized-keys",
            "SSH authorized_keys changed",
            ("T1098.004",),
            "SSH authorized_keys の変更",
        ),
        (
            r"\b(iptables\s+-F|ufw\s+disable|setenforce\s+0|systemctl\s+(stop|disable)\s+"
            r"(firewalld|auditd|apparmor))",
            "defences-disabled",
            "firewall or audit disabled",
            ("T1562.004", "T1562.001"),
            "ファイアウォール・監査の無効化",
        ),
        (
            r"\besxcli\b.*(vm\s+process\s+kill|system\s+settings\s+advanced\s+set.*execInstalledOnly)"
            r"|\bvim-cmd\b.*(power\.off|snapshot\.removeall)",
            "esxi-vm-stop",
            "ESXi VMs stopped or protections changed",
            ("T1529", "T1562.001"),
            "ESXi の仮想マシン停止・保護設定の変更",
        ),
    )
)


def command_hits(command: str) -> list[CommandHit]:
    """Every suspicious pattern the command line matches."""
    return [hit for pattern, hit in _COMMAND_RULES if pattern.search(command)]


# -- DLL side-loading -----------------------------------------------------------------------

SIDELOAD_DLL_NAMES = frozenset(
    {
        "version.dll",
        "dbghelp.dll",
        "dbgcore.dll",
        "wininet.dll",
        "winhttp.dll",
        "cryptbase.dll",
        "dwmapi.dll",
        "uxtheme.dll",
        "wtsapi32.dll",
        "userenv.dll",
        "profapi.dll",
        "secur32.dll",
        "sspicli.dll",
        "netapi32.dll",
        "iphlpapi.dll",
        "dnsapi.dll",
        "mpclient.dll",
        "vcruntime140.dll",
        "msvcp140.dll",
        "libcurl.dll",
        "jli.dll",
        "log.dll",
        "mscoree.dll",
        "oleacc.dll",
        "winmm.dll",
        "d3d9.dll",
        "wer.dll",
        "mfc140u.dll",
        "ntmarta.dll",
    }
)
"""System DLL names that signed programs load from their own folder first."""


def is_sideload_candidate_name(dll_name: str) -> bool:
    return dll_name.lower() in SIDELOAD_DLL_NAMES


# -- file types -----------------------------------------------------------------------------

EXECUTABLE_SUFFIXES = frozenset({".exe", ".dll", ".sys", ".scr", ".com", ".cpl", ".ocx"})
SCRIPT_SUFFIXES = frozenset(
    {
        ".ps1",
        ".psm1",
        ".bat",
        ".cmd",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".wsf",
        ".hta",
        ".sh",
        ".py",
        ".lnk",
        ".xml",
        ".csproj",
        ".proj",
        ".wsb",
        ".iso",
        ".img",
        ".msi",
    }
)


def suffix(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def is_executable_or_script(path: str) -> bool:
    ext = suffix(path)
    return ext in EXECUTABLE_SUFFIXES or ext in SCRIPT_SUFFIXES
