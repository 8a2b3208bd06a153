/* fuzz-export.c - libFuzzer target for the JSON exports.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled
 *   build-fuzz/tests/fuzz/fuzz-export tests/fuzz/corpus -max_len=2097152
 *
 * Whatever trace the reader accepts, both exports must write JSON that reads
 * back: JSON Lines is one well-formed object per line (a header, then one
 * per event), Chrome's format one well-formed document.  The check is a
 * strict RFC 8259 reader (no trailing commas, no raw control characters,
 * valid UTF-8, escapes complete), since a viewer that meets a bad byte
 * refuses the whole file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/export.h"
#include "trace/textfmt.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A cursor over the JSON text being checked. */
typedef struct js {
    const unsigned char *p, *end;
} js;

static void ws(js *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int lit(js *j, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return -1;
    j->p += n;
    return 0;
}

/* One UTF-8 sequence (shortest form, no surrogates, at most U+10FFFF). */
static int utf8(js *j) {
    unsigned c = *j->p++;
    int more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
             : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (more < 0 || (more == 1 && c < 0xc2) || (size_t)(j->end - j->p) < (size_t)more)
        return -1;
    unsigned cp = c & (0x3f >> more);
    for (int i = 0; i < more; i++) {
        if ((*j->p & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (*j->p++ & 0x3f);
    }
    if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        return -1;
    return 0;
}

static int string(js *j) {
    if (j->p == j->end || *j->p != '"')
        return -1;
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p < 0x20)
            return -1;
        if (*j->p == '\\') {
            j->p++;
            if (j->p == j->end)
                return -1;
            unsigned char e = *j->p++;
            if (e == 'u') {
                for (int i = 0; i < 4; i++, j->p++)
                    if (j->p == j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                        return -1;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return -1;
            }
        } else if (utf8(j) != 0) {
            return -1;
        }
    }
    if (j->p == j->end)
        return -1;
    j->p++;
    return 0;
}

static int number(js *j) {
    const unsigned char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p == j->end || *j->p < '0' || *j->p > '9')
        return -1;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p == j->end || *j->p < '0' || *j->p > '9')
            return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p == j->end || *j->p < '0' || *j->p > '9')
            return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s ? 0 : -1;
}

static int value(js *j, int depth) {
    ws(j);
    if (j->p == j->end || depth > 64)
        return -1;
    unsigned char c = *j->p;
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                ws(j);
                if (string(j) != 0)
                    return -1;
                ws(j);
                if (lit(j, ":") != 0)
                    return -1;
            }
            if (value(j, depth + 1) != 0)
                return -1;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            return lit(j, close == '}' ? "}" : "]");
        }
    }
    if (c == '"')
        return string(j);
    if (c == 't')
        return lit(j, "true");
    if (c == 'f')
        return lit(j, "false");
    if (c == 'n')
        return lit(j, "null");
    return number(j);
}

/* The whole of [p, end) is one JSON value, with only white space around. */
static int one_value(const unsigned char *p, const unsigned char *end) {
    js j = {p, end};
    if (value(&j, 0) != 0)
        return -1;
    ws(&j);
    return j.p == j.end ? 0 : -1;
}

static char *export_to(int (*fn)(FILE *, const ll_trace *), const ll_trace *t, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        abort();
    if (fn(f, t) != 0)
        abort(); /* writing to memory cannot fail but by running out of it */
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    ll_trace t;
    char err[512];
    if (ll_trace_parse(&t, "fuzz", (const char *)data, size, err, sizeof err) != 0) {
        ll_trace_free(&t);
        return 0;
    }
    size_t len;
    char *out = export_to(ll_trace_export_jsonl, &t, &len);
    /* JSON Lines: a header line, then one line per event, each an object. */
    size_t lines = 0;
    for (char *p = out, *end = out + len; p < end; lines++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || *p != '{' || one_value((unsigned char *)p, (unsigned char *)nl) != 0)
            abort();
        p = nl + 1;
    }
    if (lines != t.rec.n + 1)
        abort();
    free(out);
    out = export_to(ll_trace_export_chrome, &t, &len);
    if (one_value((unsigned char *)out, (unsigned char *)out + len) != 0)
        abort();
    free(out);
    ll_trace_free(&t);
    return 0;
}
