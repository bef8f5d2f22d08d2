"""What an exfiltration or archiving command line says: tool, action, what was read,
where it went, and the filters that narrowed it.

Pure parsing of Windows-style command lines for the tools seen in data theft before
extortion: rclone, restic, MEGAcmd / MEGAsync, WinSCP, PuTTY's pscp/psftp, FileZilla,
curl and wget uploading files, 7-Zip and WinRAR creating archives. Options follow each
tool's documented switches (rclone.org/commands, restic.readthedocs.io, winscp.net/eng/docs/
commandline, 7-zip.org/cmd, rarlab's rar.txt, curl.se/docs/manpage.html). Passwords are
never kept: a password switch is reported as "password set".
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]?")
_REMOTE = re.compile(r"^(?P<remote>[A-Za-z0-9_][\w.\- ]*):(?P<path>.*)$")
_URL = re.compile(r"^(?:https?|ftps?|sftp|scp)://", re.IGNORECASE)
_SCP_TARGET = re.compile(r"^(?:[\w.\-]+@)?[\w.\-]+:")

#: Hosts of file-sharing and paste services where an upload means data left.
FILE_SHARING_HOSTS = (
    "transfer.sh",
    "file.io",
    "temp.sh",
    "gofile.io",
    "anonfiles.com",
    "mega.nz",
    "mega.io",
    "sendspace.com",
    "wetransfer.com",
    "dropbox.com",
    "dropboxusercontent.com",
    "pastebin.com",
    "catbox.moe",
    "bashupload.com",
    "filebin.net",
    "oshi.at",
    "0x0.st",
)

_EXECUTABLES = {
    "rclone": "rclone",
    "restic": "restic",
    "mega-put": "megacmd",
    "mega-cmd": "megacmd",
    "megacmdshell": "megacmd",
    "megaclient": "megacmd",
    "megacmdserver": "megacmd",
    "megasync": "megasync",
    "winscp": "winscp",
    "pscp": "pscp",
    "psftp": "psftp",
    "filezilla": "filezilla",
    "fzsftp": "filezilla",
    "curl": "curl",
    "wget": "wget",
    "wget2": "wget",
    "7z": "7-zip",
    "7za": "7-zip",
    "7zr": "7-zip",
    "7zg": "7-zip",
    "rar": "winrar",
    "winrar": "winrar",
}

TRANSFER_TOOLS = frozenset(
    {"rclone", "restic", "megacmd", "megasync", "winscp", "pscp", "psftp", "filezilla", "curl"}
)
ARCHIVE_TOOLS = frozenset({"7-zip", "winrar"})


@dataclass
class CommandLine:
    """One parsed command line. ``sends`` is true when the command moves data out
    (not just lists or downloads)."""

    tool: str
    action: str = ""
    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    archive: str = ""
    password: bool = False
    sends: bool = False
    raw: str = ""


def split(command: str) -> list[str]:
    """Windows-style splitting: double quotes group, backslashes are literal."""
    try:
        parts = shlex.split(command, posix=False)
    except ValueError:
        parts = command.split()
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] == '"' else p for p in parts]


def tool_of(program: str) -> str | None:
    """The tool a program path or name stands for (``C:\\x\\rclone.exe`` → ``rclone``)."""
    base = re.split(r"[\\/]", program.strip().strip('"'))[-1].lower()
    base = base.removesuffix(".exe").removesuffix(".com")
    return _EXECUTABLES.get(base)


def is_remote(arg: str) -> bool:
    """``remote:path`` (rclone, restic) but not a drive letter or a Windows path."""
    return bool(_REMOTE.match(arg)) and not _DRIVE.match(arg) and not arg.startswith("\\\\")


def is_share(path: str) -> bool:
    return path.startswith(("\\\\", "//"))


def sharing_host(url: str) -> str | None:
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/", 1)[0].split(":", 1)[0]
    for known in FILE_SHARING_HOSTS:
        if host == known or host.endswith("." + known):
            return known
    return None


def parse(command: str, image: str = "") -> CommandLine | None:
    """The parsed command line, or ``None`` when it is not one of the known tools."""
    args = split(command)
    tool = tool_of(image) if image else None
    if args and tool_of(args[0]) is not None:
        tool = tool or tool_of(args[0])
        args = args[1:]
    elif (
        tool is not None
        and args
        and tool_of(args[0]) is None
        and args[0].lower().endswith((".exe", ".com"))
    ):
        args = args[1:]
    if tool is None:
        return None
    parser = _PARSERS.get(tool, _plain)
    parsed = parser(tool, args)
    parsed.raw = command[:2000]
    return parsed


# --- per tool -------------------------------------------------------------------------------

_RCLONE_SENDS = frozenset({"copy", "sync", "move", "copyto", "moveto", "copyurl", "bisync"})
_RCLONE_FILTERS = frozenset(
    {
        "--include",
        "--exclude",
        "--filter",
        "--include-from",
        "--exclude-from",
        "--filter-from",
        "--files-from",
        "--max-age",
        "--min-age",
        "--max-size",
        "--min-size",
    }
)
_RCLONE_VALUE_FLAGS = frozenset(
    {"--config", "--transfers", "--checkers", "--bwlimit", "--log-file", "--multi-thread-streams"}
)


def _options(args: list[str], with_value: frozenset[str]) -> tuple[list[str], list[str]]:
    """(positional args, "--flag value" strings of interesting flags)."""
    positional: list[str] = []
    flags: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            if name in with_value and not eq and index + 1 < len(args):
                value = args[index + 1]
                index += 1
            if name in with_value:
                flags.append(f"{name} {value}".strip())
        else:
            positional.append(arg)
        index += 1
    return positional, flags


def _rclone(tool: str, args: list[str]) -> CommandLine:
    positional, flags = _options(args, _RCLONE_FILTERS | _RCLONE_VALUE_FLAGS)
    action = positional[0].lower() if positional else ""
    rest = positional[1:]
    result = CommandLine(tool, action=action)
    result.filters = [f for f in flags if f.split(" ", 1)[0] in _RCLONE_FILTERS]
    if action in _RCLONE_SENDS and len(rest) >= 2:
        result.sources = rest[:-1]
        result.destinations = [rest[-1]]
        result.sends = is_remote(rest[-1]) and not all(is_remote(s) for s in rest[:-1])
    else:
        result.destinations = [r for r in rest if is_remote(r)]
    return result


def _restic(tool: str, args: list[str]) -> CommandLine:
    positional, flags = _options(
        args, frozenset({"-r", "--repo", "--exclude", "--iexclude", "--files-from"})
    )
    action = positional[0].lower() if positional else ""
    result = CommandLine(tool, action=action)
    result.destinations = [f.split(" ", 1)[1] for f in flags if f.startswith(("-r ", "--repo "))]
    result.filters = [f for f in flags if not f.startswith(("-r ", "--repo "))]
    if action == "backup":
        result.sources = positional[1:]
        result.sends = bool(result.destinations)
    return result


def _megacmd(tool: str, args: list[str]) -> CommandLine:
    positional = [a for a in args if not a.startswith("-")]
    result = CommandLine(tool, action="put" if positional else "")
    if len(positional) >= 2:
        result.sources = positional[:-1]
        result.destinations = ["mega:" + positional[-1]]
        result.sends = True
    return result


_WINSCP_OPEN = re.compile(r"open\s+(\S+)", re.IGNORECASE)
_WINSCP_PUT = re.compile(r"put\s+(?:-\S+\s+)*(\"[^\"]+\"|\S+)", re.IGNORECASE)


def _winscp(tool: str, args: list[str]) -> CommandLine:
    text = " ".join(args)
    result = CommandLine(tool)
    result.destinations = [re.sub(r"//[^@/]*@", "//", m) for m in _WINSCP_OPEN.findall(text)]
    result.sources = [m.strip('"') for m in _WINSCP_PUT.findall(text)]
    result.action = "put" if result.sources else ("script" if "/script" in text.lower() else "")
    result.sends = bool(result.sources)
    return result


def _pscp(tool: str, args: list[str]) -> CommandLine:
    positional = [a for a in args if not a.startswith("-")]
    result = CommandLine(tool)
    if (
        len(positional) >= 2
        and _SCP_TARGET.match(positional[-1])
        and not _DRIVE.match(positional[-1])
    ):
        result.action = "put"
        result.sources = positional[:-1]
        result.destinations = [re.sub(r"^[^@]*@", "", positional[-1])]
        result.sends = True
    return result


def _curl(tool: str, args: list[str]) -> CommandLine:
    result = CommandLine(tool)
    index = 0
    while index < len(args):
        arg = args[index]
        value = args[index + 1] if index + 1 < len(args) else ""
        if arg in ("-T", "--upload-file") and value:
            result.sources.append(value)
            index += 1
        elif arg in ("-F", "--form") and value:
            if "=@" in value or "=<" in value:
                result.sources.append(re.split(r"=[@<]", value, maxsplit=1)[1].split(";")[0])
            index += 1
        elif arg in ("-d", "--data", "--data-binary", "--post-file") and value:
            if value.startswith("@") or arg == "--post-file":
                result.sources.append(value.lstrip("@"))
            index += 1
        elif arg.startswith("--post-file="):
            result.sources.append(arg.split("=", 1)[1])
        elif _URL.match(arg):
            result.destinations.append(arg)
        index += 1
    result.sends = bool(result.sources) and bool(result.destinations)
    result.action = "upload" if result.sends else "request"
    return result


def _archive(tool: str, args: list[str]) -> CommandLine:
    result = CommandLine(tool)
    positional: list[str] = []
    for arg in args:
        low = arg.lower()
        if arg.startswith("-"):
            if low.startswith(("-p", "-hp")) and not low.startswith("-p-"):
                result.password = True
            elif low.startswith(("-x", "-i", "-ta", "-tb", "-tn", "-to", "-v", "-n")):
                result.filters.append(arg)
        else:
            positional.append(arg)
    result.action = positional[0].lower() if positional else ""
    if result.action in ("a", "u") and len(positional) >= 2:
        result.archive = positional[1]
        result.sources = positional[2:]
    return result


def _plain(tool: str, args: list[str]) -> CommandLine:
    return CommandLine(tool, action="run")


_PARSERS = {
    "rclone": _rclone,
    "restic": _restic,
    "megacmd": _megacmd,
    "winscp": _winscp,
    "pscp": _pscp,
    "psftp": _pscp,
    "curl": _curl,
    "wget": _curl,
    "7-zip": _archive,
    "winrar": _archive,
}
