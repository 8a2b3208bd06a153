/* why.c - `looplab why TRACE STEP`: the chain of causes behind one event
 * (src/trace/why.h), printed one link per line. */
#include "cli/commands.h"
#include "trace/why.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage_why(FILE *out, const char *prog) {
    fprintf(out,
            "usage: %s why TRACE STEP\n"
            "       %s why TRACE --print TEXT\n"
            "\n"
            "Why did this happen now?  Prints the chain of causes behind one event of a\n"
            "trace, back to the lines of the program that started it: the task that was\n"
            "running, why it had reached the head of the ready queue, the timer, future,\n"
            "task or cancellation that queued it (and who completed or sent it), and the\n"
            "line that armed the timer or created the task.\n"
            "\n"
            "  STEP          the event's number, as the window shows it (1 = the first)\n"
            "  --print TEXT  the first printed line that contains TEXT\n"
            "\n"
            "Example: %s run 1 && %s why /tmp/looplab-$UID/01-hello-gather.trace --print "
            "Results\n",
            prog, prog, prog, prog);
}

/* The first print event whose text contains `text`; SIZE_MAX when none. */
static size_t find_print(const ll_trace *t, const char *text) {
    for (size_t i = t->rec.base; i < t->rec.n; i++) {
        const ll_trace_event *e = ll__rec_at(&t->rec, i);
        if (e->kind == LL_EV_PRINT && strstr(ll__rec_strp(&t->rec, e->str, NULL), text))
            return i;
    }
    return SIZE_MAX;
}

/* Parses STEP: a whole number from 1. */
static bool parse_step(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v == 0)
        return false;
    *out = (size_t)v;
    return true;
}

static int explain(const char *prog, const ll_trace *t, size_t i) {
    ll_why_link links[32];
    size_t n = ll_trace_why(t, i, links, sizeof links / sizeof links[0]);
    const ll_trace_event *e = ll__rec_at(&t->rec, i);
    printf("Why event %zu (%s, t=%.3f s)?\n", i + 1, ll_event_kind_name(e->kind),
           (double)e->t / 1e9);
    for (size_t k = 0; k < n; k++) {
        const ll_trace_event *le = ll__rec_at(&t->rec, links[k].event);
        printf("  #%-6zu t=%-8.3f %s\n", links[k].event + 1, (double)le->t / 1e9, links[k].text);
    }
    if (n == sizeof links / sizeof links[0])
        printf("  (the chain goes on; ask about #%zu to follow it)\n", links[n - 1].event + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s why: cannot write the output: %s\n", prog, strerror(errno));
        return 1;
    }
    return 0;
}

int ll__cmd_why(const char *prog, int argc, char **argv) {
    const char *in = NULL, *step = NULL, *text = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_why(stdout, prog);
            return 0;
        } else if (strcmp(argv[i], "--print") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s why: --print wants the text of a printed line\n", prog);
                return 2;
            }
            text = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s why: unknown option '%s' (see '%s why --help')\n", prog, argv[i],
                    prog);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else if (!step) {
            step = argv[i];
        } else {
            fprintf(stderr, "%s why: one trace and one step (see '%s why --help')\n", prog, prog);
            return 2;
        }
    }
    size_t n = 0;
    if (!in || (!step && !text) || (step && text)) {
        usage_why(stderr, prog);
        return 2;
    }
    if (step && !parse_step(step, &n)) {
        fprintf(stderr, "%s why: STEP is an event number from 1, not '%s'\n", prog, step);
        return 2;
    }
    char err[1024];
    ll_trace t;
    if (ll_trace_load(&t, in, err, sizeof err) != 0) {
        fprintf(stderr, "%s why: %s\n", prog, err);
        ll_trace_free(&t);
        return 1;
    }
    size_t i = text ? find_print(&t, text) : n - 1 + t.rec.base;
    int rc;
    if (text && i == SIZE_MAX) {
        fprintf(stderr, "%s why: %s: no printed line contains \"%s\"\n", prog, in, text);
        rc = 1;
    } else if (i >= t.rec.n || i < t.rec.base) {
        fprintf(stderr, "%s why: %s has events %zu to %zu; there is no event %s\n", prog, in,
                t.rec.base + 1, t.rec.n, step);
        rc = 1;
    } else {
        rc = explain(prog, &t, i);
    }
    ll_trace_free(&t);
    return rc;
}
