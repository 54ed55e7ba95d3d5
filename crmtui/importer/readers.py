"""Reading what users bring: a file or stdin, in any encoding and format we support.

- The source is read from disk in a stream, never held in memory; stdin is first copied to a
  private temporary file so it can be read twice (whole-column date checks) and measured.
- Encoding: a BOM decides (UTF-8, UTF-16); otherwise the file must be valid UTF-8 from end
  to end, else Windows-1252 (what Excel writes on Windows); otherwise it is refused, naming
  the line. Never silently latin-1: that turns every cp1252 curly quote and euro sign into
  control characters. `--encoding` overrides all of this.
- Format: `--format`, else the file name, else the content (`[` JSON, `{` JSON Lines,
  anything else CSV). Delimiter: Excel's `sep=;` first line, else whichever of , ; tab |
  splits the first lines into the most consistent columns.
- Rows come with the line they start on (a quoted field may span lines); blank lines are
  skipped; fields may be any size.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Iterator

from crmtui.errors import Invalid, UsageError
from crmtui.textsafe import unneutralise

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
              ".ndjson": "jsonl"}
SAMPLE_CHARS = 64 * 1024
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)
_READ = 1 << 20
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _raise_field_limit() -> None:
    limit = sys.maxsize
    while True:  # C long may be 32 bits on some platforms
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def parse_delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise UsageError(f"--delimiter: {text!r} is not one character",
                         hint="use , ; | or tab")
    return value


@dataclass
class Input:
    """An opened source: where it is, how to decode it, and how to split it into rows."""

    name: str
    path: Path
    size: int
    encoding: str
    format: str
    delimiter: str | None = None
    sep_line: bool = False
    header: list[str] = field(default_factory=list)
    _temp: str | None = None
    _handles: list = field(default_factory=list)

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, source: str, *, stdin: BinaryIO | None = None, encoding: str | None = None,
             format: str | None = None, delimiter: str | None = None) -> "Input":
        temp = None
        if source == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            fd, temp = tempfile.mkstemp(prefix="crmtui-import-", suffix=".tmp")
            with os.fdopen(fd, "wb") as out:  # mkstemp creates it 0600
                shutil.copyfileobj(stream, out, _READ)
            path, name = Path(temp), "<stdin>"
        else:
            path, name = Path(source).expanduser(), source
            if path.is_dir():
                raise UsageError(f"{source} is a folder, not a file")
            if not path.exists():
                raise UsageError(f"{source}: no such file")
        try:
            size = path.stat().st_size
            chosen = encoding or detect_encoding(path, name)
            _check_codec(chosen)
            inp = cls(name=name, path=path, size=size, encoding=chosen, format="", _temp=temp)
            sample = inp._sample()
            inp.format = format or format_from_name(source) or sniff_format(sample)
            if inp.format in ("csv", "tsv"):
                inp._dialect(sample, delimiter)
            inp._read_header()
            return inp
        except BaseException:
            if temp:
                os.unlink(temp)
            raise

    def _text(self) -> io.TextIOWrapper:
        fh = open(self.path, "rb")
        self._handles.append(fh)
        return io.TextIOWrapper(fh, encoding=self.encoding, newline="", errors="strict")

    def _sample(self) -> str:
        text = self._text()
        try:
            return text.read(SAMPLE_CHARS)
        except UnicodeDecodeError as exc:
            raise Invalid(f"{self.name}: cannot be read as {self.encoding}: {exc.reason}",
                          hint="pass --encoding (utf-8, utf-16, cp1252, ...)") from None
        finally:
            text.close()

    def _dialect(self, sample: str, explicit: str | None) -> None:
        first = sample.split("\n", 1)[0].rstrip("\r")
        m = _SEP_LINE.match(first)
        if m:
            self.sep_line = True
            sample = sample[len(first):].lstrip("\r\n")
        if explicit:
            self.delimiter = explicit
        elif m:
            self.delimiter = m.group(1)
        elif self.format == "tsv":
            self.delimiter = "\t"
        else:
            self.delimiter = sniff_delimiter(sample, complete=len(sample) < SAMPLE_CHARS - 1)

    def _read_header(self) -> None:
        if self.format in ("csv", "tsv"):
            rows = self.rows()
            self.header = list(rows.header)
            rows.close()
        else:  # JSON: the keys of the first objects (later keys are added as they come)
            rows = self.rows()
            for n, _ in enumerate(rows):
                if n >= 999:
                    break
            self.header = list(rows.header)
            rows.close()

    # -- reading -----------------------------------------------------------------------------
    def rows(self) -> "Rows":
        """A fresh pass over the data rows: (line, cells) with cells aligned to `.header`."""
        if self.format in ("csv", "tsv"):
            return CsvRows(self)
        if self.format == "json":
            return JsonRows(self, lines=False)
        if self.format == "jsonl":
            return JsonRows(self, lines=True)
        raise UsageError(f"unknown format {self.format!r}", hint="use csv, tsv, json or jsonl")

    def close(self) -> None:
        for fh in self._handles:
            try:
                fh.close()
            except Exception:
                pass
        self._handles.clear()
        if self._temp:
            try:
                os.unlink(self._temp)
            except FileNotFoundError:
                pass
            self._temp = None

    def describe(self) -> dict:
        return {"file": self.name, "format": self.format, "encoding": self.encoding,
                "delimiter": self.delimiter}


class Rows:
    """An iterator of (line, cells) that also knows its header and how far it has read."""

    header: list[str]

    def __init__(self, inp: Input):
        self.inp = inp
        self.text = inp._text()
        self.binary = self.text.buffer

    def position(self) -> int:
        try:
            return self.binary.tell()
        except (ValueError, OSError):
            return 0

    def close(self) -> None:
        self.text.close()

    def __iter__(self):
        return self

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[list]]]:
        """The rows `size` at a time: (lines, cells)."""
        lines: list[int] = []
        cells: list[list] = []
        for line, row in self:
            lines.append(line)
            cells.append(row)
            if len(lines) >= size:
                yield lines, cells
                lines, cells = [], []
        if lines:
            yield lines, cells

    def _decode_error(self, exc: UnicodeDecodeError, line: int) -> Invalid:
        return Invalid(f"{self.inp.name}: cannot be read as {self.inp.encoding} near line {line}: "
                       f"{exc.reason}", hint="pass --encoding (utf-8, utf-16, cp1252, ...)")


class CsvRows(Rows):
    def __init__(self, inp: Input):
        super().__init__(inp)
        _raise_field_limit()
        self.offset = 0
        if inp.sep_line:
            self.text.readline()
            self.offset = 1
        self.reader = csv.reader(self.text, delimiter=inp.delimiter or ",", quotechar='"',
                                 doublequote=True, strict=False)
        self.prev = 0
        self.header = []
        first = self._next()
        if first is None:
            raise Invalid(f"{inp.name}: the file is empty (no header row)")
        self.header_line, cells = first
        # header cells crmtui's export protected against formulas (a leading ') restored
        self.header = [unneutralise(c.strip().lstrip("\ufeff")) for c in cells]

    def _next(self):
        reader = self.reader
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return None
            except UnicodeDecodeError as exc:
                raise self._decode_error(exc, self.prev + 1 + self.offset) from None
            except csv.Error as exc:
                raise Invalid(f"{self.inp.name}, line {self.prev + 1 + self.offset}: {exc}") \
                    from None
            line = self.prev + 1 + self.offset
            self.prev = reader.line_num
            if cells and (len(cells) > 1 or cells[0].strip()):
                return line, cells

    def __next__(self):
        item = self._next()
        if item is None:
            raise StopIteration
        return item

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[list]]]:
        """As `_next`, in one loop: the hot path of a big import."""
        reader, offset = self.reader, self.offset
        lines: list[int] = []
        cells: list[list] = []
        prev = self.prev
        it = iter(reader)
        while True:
            try:
                for row in it:
                    line = prev + 1 + offset
                    prev = reader.line_num
                    if row and (len(row) > 1 or row[0].strip()):
                        lines.append(line)
                        cells.append(row)
                        if len(lines) >= size:
                            self.prev = prev
                            yield lines, cells
                            lines, cells = [], []
                break
            except UnicodeDecodeError as exc:
                raise self._decode_error(exc, prev + 1 + offset) from None
            except csv.Error as exc:
                raise Invalid(f"{self.inp.name}, line {prev + 1 + offset}: {exc}") from None
        self.prev = prev
        if lines:
            yield lines, cells


class JsonRows(Rows):
    """JSON arrays of objects (streamed, never loaded whole) and JSON Lines."""

    def __init__(self, inp: Input, *, lines: bool):
        super().__init__(inp)
        self.header = []
        self.index: dict[str, int] = {}
        self.decoder = json.JSONDecoder(parse_float=_RawNumber)
        self.items = self._lines() if lines else self._array()

    def __next__(self):
        line, obj = next(self.items)
        if not isinstance(obj, dict):
            raise Invalid(f"{self.inp.name}, line {line}: expected an object "
                          f"({{\"field\": value, ...}}), found {type(obj).__name__}")
        cells = [""] * len(self.header)
        for key, value in _flatten(obj):
            i = self.index.get(key)
            if i is None:
                i = self.index[key] = len(self.header)
                self.header.append(key)
                cells.append("")
            cells[i] = value
        return line, cells

    def _json_error(self, exc: Exception, line: int) -> Invalid:
        what = "nested too deeply" if isinstance(exc, RecursionError) else \
            "a number too long to read" if "digits" in str(exc) else str(exc)
        return Invalid(f"{self.inp.name}, line {line}: not valid JSON: {what}")

    def _check_text(self, obj, line: int) -> None:
        if not _text_ok(obj):
            raise Invalid(f"{self.inp.name}, line {line}: a string holds a lone UTF-16 "
                          "surrogate (\\ud800-\\udfff), which is not text",
                          hint="the program that wrote the file split an emoji or other "
                               "character in two; fix or remove that value")

    def _read(self, n: int) -> str:
        try:
            return self.text.read(n)
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc, 0) from None

    def _lines(self):
        number = 0
        while True:
            try:
                raw = self.text.readline()
            except UnicodeDecodeError as exc:
                raise self._decode_error(exc, number + 1) from None
            if not raw:
                return
            number += 1
            text = raw.strip().lstrip("\ufeff")
            if not text:
                continue
            try:
                obj = self.decoder.decode(text)
            except json.JSONDecodeError as exc:
                raise Invalid(f"{self.inp.name}, line {number}: not valid JSON: {exc.msg} "
                              f"(column {exc.colno})") from None
            except (ValueError, RecursionError) as exc:
                raise self._json_error(exc, number) from None
            if _SURROGATE_ESCAPE.search(text):
                self._check_text(obj, number)
            yield number, obj

    def _array(self):
        buf, pos, line, eof, want = "", 0, 1, False, 1 << 16

        def more() -> bool:
            nonlocal buf, pos, eof, want
            if eof:
                return False
            chunk = self._read(want)
            want = min(want * 2, 1 << 24)
            if not chunk:
                eof = True
                return False
            buf = buf[pos:] + chunk
            pos = 0
            return True

        def skip_space() -> str:
            nonlocal pos, line
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                    if buf[pos] == "\n":
                        line += 1
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        def fail(what: str):
            raise Invalid(f"{self.inp.name}, line {line}: not valid JSON: {what}",
                          hint="JSON files hold an array of objects; JSON Lines one object "
                               "per line (--format jsonl)")

        def close() -> None:
            nonlocal pos
            pos += 1
            if skip_space() != "":
                fail("more text after the closing ']'")

        def value() -> tuple[int, object]:
            """The JSON value at `pos` (reading more of the file as needed) and its line."""
            nonlocal pos, line
            while True:
                try:
                    obj, end = self.decoder.raw_decode(buf, pos)
                    if end == len(buf) and not eof and not isinstance(obj, (dict, list)):
                        raise json.JSONDecodeError("truncated", buf, end)
                    break
                except json.JSONDecodeError as exc:
                    if not more():
                        fail(f"{exc.msg}")
                except (ValueError, RecursionError) as exc:
                    raise self._json_error(exc, line) from None
            start_line = line
            if _SURROGATE_ESCAPE.search(buf, pos, end):
                self._check_text(obj, start_line)
            line += buf.count("\n", pos, end)
            pos = end
            return start_line, obj

        first_char = skip_space()
        if first_char == "{":  # a file holding one object: one record
            start_line, obj = value()
            if skip_space() != "":
                fail("more text after the object (several objects: put them in [ ... ], "
                     "or one per line with --format jsonl)")
            yield start_line, obj
            return
        if first_char != "[":
            fail("expected '[' (an array of objects) or '{' (one object) at the start")
        pos += 1
        first = True
        while True:
            ch = skip_space()
            if ch == "]" and first:
                close()
                return
            if not first:
                if ch == "]":
                    close()
                    return
                if ch != ",":
                    fail("expected ',' or ']' after an object")
                pos += 1
                skip_space()
            first = False
            yield value()


def _text_ok(value) -> bool:
    """No lone surrogate anywhere (JSON can spell one, \\ud800; it is not text)."""
    if isinstance(value, str):
        return not _SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_text_ok(k) and _text_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_text_ok(v) for v in value)
    return True


def _flatten(obj: dict) -> Iterator[tuple[str, str]]:
    """An object's values as text cells; an `extra` object becomes `extra.KEY` cells."""
    for key, value in obj.items():
        key = str(key)
        if key == "extra" and isinstance(value, dict):
            for sub, inner in value.items():
                yield f"extra.{sub}", _cell(inner)
        else:
            yield key, _cell(value)


class _RawNumber(str):
    """A JSON number with a fraction or exponent, as the file writes it (`1e3`, `12.50`)."""


class JsonValue(str):
    """A JSON value other than a string, as the text of a cell (what fields are read from:
    `true`, `12.50`, `a,b` for a list); `.value` is the value itself, which `extra` keeps
    (1 stays a number, true a boolean, a list a list)."""

    value: object

    def __new__(cls, text: str, value: object) -> "JsonValue":
        out = super().__new__(cls, text)
        out.value = value
        return out


def _plain(value):
    """A decoded JSON value with its numbers as Python numbers (for `extra`)."""
    if isinstance(value, _RawNumber):
        number = Decimal(value)
        if number == number.to_integral_value() and "e" not in value.lower() \
                and "." not in value:
            return int(number)
        return float(number) if number.is_finite() else str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, _RawNumber):
        return JsonValue(str.__str__(value), _plain(value))
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return JsonValue("true" if value else "false", value)
    if isinstance(value, int):
        return JsonValue(str(value), value)
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                       for v in value):
        return JsonValue(",".join(str(v) for v in value), _plain(value))
    return JsonValue(json.dumps(_plain(value), ensure_ascii=False, default=str), _plain(value))


# -- detection ---------------------------------------------------------------------------------

def _check_codec(name: str) -> None:
    try:
        codecs.lookup(name)
    except LookupError:
        raise UsageError(f"--encoding: unknown encoding {name!r}",
                         hint="e.g. utf-8, utf-8-sig, utf-16, cp1252") from None


def detect_encoding(path: Path, name: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM
            even = head[0::2].count(b"\x00")
            odd = head[1::2].count(b"\x00")
            return "utf-16-be" if even > odd else "utf-16-le"
        fh.seek(0)
        bad = _first_invalid(fh, "utf-8")
        if bad is None:
            return "utf-8"
        fh.seek(0)
        if _first_invalid(fh, "cp1252") is None:
            return "cp1252"
    line, byte = bad
    raise Invalid(
        f"{name}: line {line} holds byte 0x{byte:02x}, which is neither UTF-8 nor Windows-1252 "
        "text", hint="pass --encoding to say how the file is encoded (e.g. --encoding latin-1 "
                     "if you are sure)")


def _first_invalid(fh: BinaryIO, encoding: str) -> tuple[int, int] | None:
    """(line, byte) of the first byte that does not decode, or None when the file is clean."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines = 1
    while True:
        chunk = fh.read(_READ)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return lines + chunk.count(b"\n", 0, max(exc.start, 0)), chunk[exc.start] \
                if exc.start < len(chunk) else 0
        if not chunk:
            return None
        lines += chunk.count(b"\n")


def format_from_name(source: str) -> str | None:
    if source == "-":
        return None
    return EXTENSIONS.get(Path(source).suffix.lower())


def sniff_format(sample: str) -> str:
    text = sample.lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "jsonl"
    return "csv"


def sniff_delimiter(sample: str, *, complete: bool) -> str:
    """The delimiter that splits the first lines into the most consistent number of columns."""
    best, best_score = ",", (0, 0, 0)
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            records = list(_take(csv.reader(io.StringIO(sample), delimiter=delimiter), 50))
        except csv.Error:
            continue
        if not complete and len(records) > 1:
            records = records[:-1]  # the sample may end in the middle of a record
        records = [r for r in records if r and (len(r) > 1 or r[0].strip())]
        if not records:
            continue
        width = len(records[0])
        if width < 2:
            continue
        consistent = sum(1 for r in records if len(r) == width)
        score = (consistent, width, -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _take(it, n):
    for i, item in enumerate(it):
        if i >= n:
            return
        yield item
