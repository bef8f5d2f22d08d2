"""Getting the text out of a ransom note without running anything in it.

Notes arrive as plain text in any encoding (UTF-16 from Windows, Shift_JIS from
Japanese systems), as HTML/HTA pages full of script, as RTF or as PDF. HTML is
reduced to its visible text with the standard-library parser (string literals from
scripts are kept apart, never executed); RTF loses its control words; PDF text is
read from the text-showing operators of its (Flate-compressed) content streams.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser

from madoguchi.analyzers.textio import decode_bytes

MAX_NOTE_BYTES = 8 * 1024 * 1024

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "section",
        "pre",
        "title",
        "td",
        "hr",
        "center",
    }
)
_HIDDEN_TAGS = frozenset({"script", "style"})
_JS_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.){8,})\"|'((?:[^'\\\n]|\\.){8,})'")


@dataclass
class NoteText:
    """Visible text, plus script string literals kept apart, plus reading problems."""

    text: str
    script_text: str = ""
    format: str = "text"
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def all_text(self) -> str:
        return f"{self.text}\n{self.script_text}" if self.script_text else self.text


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.scripts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        for name, value in attrs:
            # hrefs and titles carry onion links and e-mail addresses.
            if value and name in ("href", "title", "value", "alt"):
                self.scripts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            self.scripts.append(data)
        else:
            self.parts.append(data)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> tuple[str, str]:
    """``(visible text, script string literals)`` of an HTML or HTA document."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    literals: list[str] = []
    for chunk in parser.scripts:
        found = [a or b for a, b in _JS_STRING.findall(chunk)]
        literals.extend(found if found else [chunk] if "<" not in chunk else [])
    script_text = "\n".join(literals)
    if "<" in script_text:  # markup built by script: read its text too, still without running it
        inner = _VisibleText()
        inner.feed(script_text.replace("\\n", "\n").replace('\\"', '"'))
        inner.close()
        script_text = "".join(inner.parts)
    return _tidy("".join(parser.parts)), _tidy(script_text)


_RTF_DESTINATIONS = re.compile(
    r"\{(?:\\\*)?\\(?:fonttbl|colortbl|stylesheet|info|pict|object|themedata|colorschememapping"
    r"|datastore|latentstyles|listtable|listoverridetable|rsidtbl|generator|xmlnstbl)\b"
)
_RTF_TOKEN = re.compile(
    r"\\'([0-9a-fA-F]{2})|\\u(-?\d+)\??|\\([a-zA-Z]+)(-?\d+)? ?|\\([{}\\])|([{}])"
    r"|\\[^a-zA-Z]|([^\\{}]+)"
)


def _skip_group(source: str, start: int) -> int:
    depth = 0
    for index in range(start, len(source)):
        char = source[index]
        if char == "\\":
            continue
        if char == "{" and (index == 0 or source[index - 1] != "\\"):
            depth += 1
        elif char == "}" and source[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(source)


def rtf_to_text(source: str) -> str:
    """Plain text of an RTF document: control words dropped, escapes decoded."""
    codepage = "cp1252"
    found = re.search(r"\\ansicpg(\d+)", source)
    if found and found.group(1) in ("932", "936", "949", "950", "1250", "1251", "1252"):
        codepage = f"cp{found.group(1)}"
    while (match := _RTF_DESTINATIONS.search(source)) is not None:
        source = source[: match.start()] + source[_skip_group(source, match.start()) :]
    out: list[str] = []
    pending = bytearray()

    def flush() -> None:
        if pending:
            out.append(pending.decode(codepage, errors="replace"))
            pending.clear()

    for match in _RTF_TOKEN.finditer(source):
        hex_byte, unicode_char, word, _arg, escaped, _brace, text = match.groups()
        if hex_byte is not None:
            pending.append(int(hex_byte, 16))
            continue
        flush()
        if unicode_char is not None:
            out.append(chr(int(unicode_char) % 65536))
        elif word in ("par", "line", "row", "sect", "page"):
            out.append("\n")
        elif word == "tab":
            out.append("\t")
        elif escaped is not None:
            out.append(escaped)
        elif text is not None:
            out.append(text.replace("\r", "").replace("\n", ""))
    flush()
    return _tidy("".join(out))


_STREAM = re.compile(rb"<<(.{0,2000}?)>>\s*stream\r?\n", re.DOTALL)
_PDF_TOKEN = re.compile(
    rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)|<[0-9A-Fa-f\s]*>|\[|\]|(?:T\*|Tj|TJ|Td|TD|ET|')"
    rb"(?![A-Za-z])",
    re.DOTALL,
)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_literal(raw: bytes) -> bytes:
    body = raw[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        byte = body[index : index + 1]
        if byte != b"\\":
            out += byte
            index += 1
            continue
        following = body[index + 1 : index + 2]
        octal = re.match(rb"[0-7]{1,3}", body[index + 1 : index + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            index += 1 + len(octal.group())
        else:
            out += _PDF_ESCAPES.get(following, following)
            index += 2
    return bytes(out)


def _pdf_string(raw: bytes) -> str:
    if raw.startswith(b"("):
        data = _pdf_literal(raw)
    else:
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", raw)
        data = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def pdf_to_text(data: bytes) -> tuple[str, list[str]]:
    """Text shown by ``Tj``/``TJ``/``'`` operators in the PDF's content streams."""
    warnings: list[str] = []
    pieces: list[str] = []
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        body = data[start:end].rstrip(b"\r\n")
        if b"/FlateDecode" in match.group(1):
            try:
                body = zlib.decompressobj().decompress(body, MAX_NOTE_BYTES)
            except zlib.error:
                warnings.append("a compressed PDF stream could not be inflated")
                continue
        elif b"/Filter" in match.group(1):
            continue  # images and fonts with other filters hold no note text
        if b"BT" not in body:
            continue
        line: list[str] = []
        for token in _PDF_TOKEN.finditer(body):
            value = token.group()
            if value.startswith((b"(", b"<")):
                line.append(_pdf_string(value))
            elif value in (b"T*", b"Td", b"TD", b"ET", b"'"):
                pieces.append("".join(line))
                line = []
        pieces.append("".join(line))
    text = _tidy("\n".join(pieces))
    if not text:
        warnings.append(
            "no text could be read from the PDF (text may be drawn as images or "
            "use embedded font encodings)"
        )
    return text, warnings


def looks_like_html(text: str) -> bool:
    head = text[:2048].lower()
    return any(
        tag in head
        for tag in ("<html", "<hta:", "<body", "<!doctype html", "<script", "<div", "<p>", "<br")
    )


def extract_note_text(data: bytes, name: str = "") -> NoteText:
    """The readable text of a note given as bytes; ``name`` helps pick the format."""
    warnings: list[str] = []
    if len(data) > MAX_NOTE_BYTES:
        warnings.append(f"note is larger than {MAX_NOTE_BYTES} bytes; only the start was read")
        data = data[:MAX_NOTE_BYTES]
    if data.startswith(b"%PDF-") or name.lower().endswith(".pdf"):
        text, found = pdf_to_text(data)
        return NoteText(text, format="pdf", warnings=warnings + found)
    decoded, encoding = decode_bytes(data)
    if decoded.lstrip().startswith("{\\rtf"):
        return NoteText(rtf_to_text(decoded), format="rtf", encoding=encoding, warnings=warnings)
    lower_name = name.lower()
    if lower_name.endswith((".html", ".htm", ".hta")) or looks_like_html(decoded):
        visible, script = html_to_text(decoded)
        return NoteText(visible, script, "html", encoding, warnings)
    return NoteText(_tidy(decoded), format="text", encoding=encoding, warnings=warnings)
