"""Formatting Looplab's text trace (docs/trace-format.md) from Python.

The C writer is src/trace/textfmt.c; this module writes the same bytes for
the same event: time right-aligned in 14 columns with nine decimals, the task
column padded to 16, the kind to 12, then `key=value` fields.  Strings are
quoted and escaped as the C writer does, and clipped at 64 KiB of escaped
text with `clipped=N`, so that the C reader takes every line.
"""

MAX_STR = 64 << 10  # LL_TRACE_MAX_STR
ITEM_MAX = 40  # LL_TRACE_ITEM_MAX: a queue item's repr (format 1.6)
TIME_MAX = 9223372035999999999  # LL_TRACE_TIME_MAX in nanoseconds

# Escapes for str.translate: the short ones, then \xHH for the other
# control characters.
_ESC = {i: "\\x%02x" % i for i in range(0x20)}
_ESC[0x7F] = "\\x7f"
_ESC.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n",
             ord("\r"): "\\r", ord("\t"): "\\t"})


def _fix_surrogates(s):
    """Lone surrogates are bytes that were not UTF-8 (surrogateescape):
    written back as the byte, \\xHH; any other lone surrogate likewise, one
    escape per byte of its UTF-8 form."""
    out = []
    for ch in s:
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:
            out.append("\\x%02x" % (c - 0xDC00))
        elif 0xD800 <= c <= 0xDFFF:
            out.extend("\\x%02x" % b for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append(ch)
    return "".join(out)


def _clip(e, limit=MAX_STR):
    """Cuts escaped text to limit bytes of UTF-8, between characters and
    never inside an escape.  Returns (text, bytes of the original left out)."""
    if len(e) * 4 <= limit or len(e.encode("utf-8")) <= limit:
        return e, 0
    kept, size, i = [], 0, 0
    while i < len(e):
        if e[i] == "\\":
            tok = e[i:i + 4] if e[i + 1] == "x" else e[i:i + 2]
        else:
            tok = e[i]
        n = len(tok.encode("utf-8"))
        if size + n > limit:
            break
        kept.append(tok)
        size += n
        i += len(tok)
    rest = e[i:]
    # Bytes of the original: an escape stands for one byte (or one char).
    left = 0
    j = 0
    while j < len(rest):
        if rest[j] == "\\":
            j += 4 if rest[j + 1] == "x" else 2
            left += 1
        else:
            left += len(rest[j].encode("utf-8"))
            j += 1
    return "".join(kept), left


def quote(s, limit=MAX_STR):
    """A quoted trace string, its escaped text cut at limit bytes; (text,
    clipped bytes)."""
    e = s.translate(_ESC)
    if not e.isascii():
        try:
            e.encode("utf-8")
        except UnicodeEncodeError:
            e = _fix_surrogates(e)
    if len(e) * 4 > limit:
        e, left = _clip(e, limit)
        return '"' + e + '"', left
    return '"' + e + '"', 0


def _bare_ok(s):
    if not s or not s.isascii():
        return False
    for c in s:
        if c <= " " or c >= "\x7f" or c in '"\\:=':
            return False
    return True


def name(s):
    """A name as the task column and at= write it: bare when it can be."""
    if _bare_ok(s) and len(s) <= MAX_STR:
        return s
    return quote(s)[0]


def fmt_time(ns):
    """Seconds with nine decimals, held within the format's bounds."""
    if ns > TIME_MAX:
        ns = TIME_MAX
    elif ns < -TIME_MAX:
        ns = -TIME_MAX
    if ns < 0:
        s, f = divmod(-ns, 1000000000)
        return "-%d.%09d" % (s, f)
    s, f = divmod(ns, 1000000000)
    return "%d.%09d" % (s, f)


def task_col(task_id, task_name):
    """The task column with its padding and the space after it."""
    if not task_id:
        return "-                "
    col = "%d:%s" % (task_id, name(task_name))
    return col.ljust(16) + " "


KIND_COL = {}


def kind_col(kind):
    col = KIND_COL.get(kind)
    if col is None:
        col = KIND_COL[kind] = kind.ljust(12)
    return col


def header(meta):
    """The header and metadata lines: meta is a list of (key, value)."""
    lines = ["looplab-trace 1.6\n"]
    for key, value in meta:
        if value is not None:
            lines.append("@%s %s\n" % (key, quote(value)[0]))
    return "".join(lines)
