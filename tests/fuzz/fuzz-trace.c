/* fuzz-trace.c - libFuzzer target for the trace reader.
 *
 *   meson setup build-fuzz -Dfuzz=true    (needs clang)
 *   build-fuzz/tests/fuzz/fuzz-trace tests/fuzz/corpus -max_total_time=600
 *
 * The reader must never crash, hang or leak on any input: it either accepts
 * the text (and then writing it again and reading that back must give the
 * same number of events) or refuses it with a FILE:LINE:COLUMN message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/textfmt.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    ll_trace t;
    char err[512];
    err[0] = '\0';
    int rc = ll_trace_parse(&t, "fuzz", (const char *)data, size, err, sizeof err);
    if (rc != 0) {
        if (strncmp(err, "fuzz:", 5) != 0)
            abort(); /* every refusal names the place */
    } else {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ll_trace_write_parsed(f, &t);
        fclose(f);
        ll_trace again;
        if (ll_trace_parse(&again, "again", buf, len, err, sizeof err) != 0 ||
            again.rec.n != t.rec.n)
            abort(); /* what we write, we must read */
        ll_trace_free(&again);
        free(buf);
    }
    ll_trace_free(&t);
    return 0;
}
