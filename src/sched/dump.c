/* dump.c - a loop's recorded events as a text trace (docs/trace-format.md).
 *
 * On the virtual clock nothing in the text depends on the machine or the
 * moment (wall times are left out), so two runs of a lesson give identical
 * traces. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

ll_trace_meta ll__trace_meta(const ll_loop *loop) {
    ll_trace_meta m = {0};
    m.program = loop->program;
    const char *lesson = getenv("LOOPLAB_LESSON");
    m.lesson = lesson && *lesson ? lesson : NULL;
    m.clock = loop->real ? "real" : "virtual";
    m.library = LL_VERSION_STRING;
    /* Only a real-clock trace says when it ran: a virtual one is the same
     * text whenever it is made. */
    m.start = loop->real ? loop->start_iso : NULL;
    m.model = loop->model ? ll_model_name(loop->model) : NULL;
    return m;
}

void ll__trace_dump(const ll_loop *loop, FILE *out) {
    ll_trace_meta m = ll__trace_meta(loop);
    ll_trace_write(out, &loop->rec, &m, loop->real);
}
