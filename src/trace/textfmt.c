/* textfmt.c - the text trace format's field table (docs/trace-format.md):
 * which fields each event kind carries, under which keys and as which types,
 * and the names of enum-typed values.  The writer (writer.c) and the reader
 * (reader.c) both follow it, so read(write(trace)) gives the same events back;
 * the exports (export.c) use it too. */
#include "writer.h"

#include <looplab.h>
#include <string.h>

/* ---- the field table ------------------------------------------------------
 * For each event kind: the fields it writes, under which key, from which slot
 * of ll_trace_event, as which type.  Slots no entry covers are still written when
 * non-zero, under their raw names (_sub, _obj, _aux, _val, _str), so any
 * event survives a round trip. */

#define END_SPEC                                                                                   \
    { NULL, 0, 0, 0 }
static const fspec sp_loop_start[] = {{"clock", S_STR, T_STR, 0}, END_SPEC};
static const fspec sp_loop_stop[] = {{"iterations", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_iter[] = {
    {"n", S_VAL, T_I64, ALWAYS}, {"ready", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_poll[] = {
    {"timeout", S_VAL, T_TIMEOPT, 0}, {"jumped", S_AUX, T_U32, 0}, END_SPEC};
static const fspec sp_task_new[] = {{"name", S_STR, T_STR, ALWAYS},
                                    {"coro", S_AUX, T_STR, 0},
                                    {"parent", S_OBJ, T_U32, 0},
                                    {"stack", S_VAL, T_I64, 0},
                                    END_SPEC};
static const fspec sp_ready[] = {{"reason", S_SUB, T_REASON, ALWAYS},
                                 {"pos", S_AUX, T_U32, ALWAYS},
                                 {"obj", S_OBJ, T_U32, 0},
                                 END_SPEC};
static const fspec sp_run[] = {{"behind", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_wait[] = {{"on", S_SUB, T_WAIT, ALWAYS},
                                {"obj", S_OBJ, T_U32, ALWAYS},
                                {"until", S_VAL, T_TIMEOPT, 0},
                                {"op", S_AUX, T_IOOP, 0},
                                END_SPEC};
static const fspec sp_done[] = {{"result", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_failed[] = {
    {"error", S_AUX, T_ERR, ALWAYS}, {"message", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_none[] = {END_SPEC};
static const fspec sp_cancel[] = {
    {"target", S_OBJ, T_U32, ALWAYS}, {"accepted", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_cb_queued[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                     {"reason", S_SUB, T_REASON, ALWAYS},
                                     {"pos", S_AUX, T_U32, ALWAYS},
                                     END_SPEC};
static const fspec sp_cb_run[] = {
    {"obj", S_OBJ, T_U32, ALWAYS}, {"reason", S_SUB, T_REASON, ALWAYS}, END_SPEC};
static const fspec sp_timer_arm[] = {
    {"timer", S_OBJ, T_U32, ALWAYS}, {"when", S_VAL, T_TIME, ALWAYS}, END_SPEC};
static const fspec sp_timer[] = {{"timer", S_OBJ, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_fut_new[] = {{"fut", S_OBJ, T_U32, ALWAYS},
                                   {"kind", S_SUB, T_FUTKIND, ALWAYS},
                                   {"children", S_AUX, T_U32, 0},
                                   END_SPEC};
static const fspec sp_fut_done[] = {{"fut", S_OBJ, T_U32, ALWAYS},
                                    {"outcome", S_SUB, T_OUTCOME, ALWAYS},
                                    {"value", S_STR, T_STR, ALWAYS},
                                    END_SPEC};
static const fspec sp_coro[] = {{"coro", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_warn[] = {
    {"kind", S_SUB, T_WARN, ALWAYS}, {"text", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_sync_new[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                    {"kind", S_SUB, T_SYNCKIND, ALWAYS},
                                    {"value", S_AUX, T_U32, ALWAYS},
                                    {"name", S_STR, T_STR, 0},
                                    END_SPEC};
static const fspec sp_sync[] = {{"obj", S_OBJ, T_U32, ALWAYS},
                                {"op", S_SUB, T_SYNCOP, ALWAYS},
                                {"value", S_AUX, T_U32, ALWAYS},
                                {"waiters", S_VAL, T_I64, ALWAYS},
                                /* a queue's put and get: the item's repr (1.6) */
                                {"item", S_STR, T_STR, CLIP_ITEM | SINCE(6)},
                                END_SPEC};
static const fspec sp_check[] = {{"state", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_job_submit[] = {
    {"job", S_OBJ, T_U32, ALWAYS}, {"fn", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_job_start[] = {
    {"job", S_OBJ, T_U32, ALWAYS}, {"worker", S_AUX, T_U32, ALWAYS}, END_SPEC};
static const fspec sp_job_end[] = {{"job", S_OBJ, T_U32, ALWAYS},
                                   {"worker", S_AUX, T_U32, ALWAYS},
                                   {"outcome", S_SUB, T_OUTCOME, ALWAYS},
                                   {"value", S_STR, T_STR, 0},
                                   END_SPEC};
static const fspec sp_blocking[] = {
    {"for", S_VAL, T_TIME, ALWAYS}, {"busy", S_AUX, T_U32, 0}, END_SPEC};
static const fspec sp_text_job[] = {{"text", S_STR, T_STR, ALWAYS},
                                    {"job", S_OBJ, T_U32, 0},
                                    {"worker", S_AUX, T_U32, 0},
                                    END_SPEC};
static const fspec sp_yield[] = {
    {"gen", S_OBJ, T_U32, ALWAYS}, {"value", S_STR, T_STR, ALWAYS}, END_SPEC};
static const fspec sp_io_new[] = {{"sock", S_OBJ, T_U32, ALWAYS},
                                  {"role", S_SUB, T_IOROLE, ALWAYS},
                                  {"addr", S_STR, T_STR, ALWAYS},
                                  END_SPEC};
static const fspec sp_io[] = {{"sock", S_OBJ, T_U32, ALWAYS},
                              {"op", S_SUB, T_IOOP, ALWAYS},
                              {"bytes", S_VAL, T_I64, 0},
                              {"detail", S_STR, T_STR, 0},
                              END_SPEC};
static const fspec sp_run_end[] = {{"how", S_SUB, T_HOW, ALWAYS},
                                   {"code", S_VAL, T_I64, 0},
                                   {"detail", S_STR, T_STR, 0},
                                   END_SPEC};

const fspec *ll__fields_of(unsigned kind) {
    switch (kind) {
    case LL_EV_LOOP_START: return sp_loop_start;
    case LL_EV_LOOP_STOP: return sp_loop_stop;
    case LL_EV_ITER: return sp_iter;
    case LL_EV_POLL: return sp_poll;
    case LL_EV_TASK_NEW: return sp_task_new;
    case LL_EV_TASK_READY: return sp_ready;
    case LL_EV_TASK_RUN: return sp_run;
    case LL_EV_TASK_WAIT: return sp_wait;
    case LL_EV_TASK_DONE: return sp_done;
    case LL_EV_TASK_FAILED: return sp_failed;
    case LL_EV_CANCEL: return sp_cancel;
    case LL_EV_CB_QUEUED: return sp_cb_queued;
    case LL_EV_CB_RUN: return sp_cb_run;
    case LL_EV_TIMER_ARM: return sp_timer_arm;
    case LL_EV_TIMER_FIRE:
    case LL_EV_TIMER_CANCEL: return sp_timer;
    case LL_EV_FUT_NEW: return sp_fut_new;
    case LL_EV_FUT_DONE: return sp_fut_done;
    case LL_EV_CORO_ENTER:
    case LL_EV_CORO_EXIT: return sp_coro;
    case LL_EV_PRINT:
    case LL_EV_NOTE: return sp_text_job;
    case LL_EV_JOB_SUBMIT: return sp_job_submit;
    case LL_EV_JOB_START: return sp_job_start;
    case LL_EV_JOB_END: return sp_job_end;
    case LL_EV_BLOCKING: return sp_blocking;
    case LL_EV_AGEN_YIELD: return sp_yield;
    case LL_EV_IO_NEW: return sp_io_new;
    case LL_EV_IO: return sp_io;
    case LL_EV_WARN: return sp_warn;
    case LL_EV_RUN_END: return sp_run_end;
    case LL_EV_SYNC_NEW: return sp_sync_new;
    case LL_EV_SYNC: return sp_sync;
    case LL_EV_CHECK: return sp_check;
    default: return sp_none;
    }
}

const char *const ll__raw_keys[S__N] = {"_sub", "_obj", "_aux", "_val", "_str"};
static const char *const futkind_names[] = {"future", "task", "gather", "sleep", "job", "io"};
static const char *const outcome_names[] = {"result", "error", "cancelled"};
static const char *const how_names[] = {"closed", "exited", "signal", "timeout", "lost"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int64_t ll__field_get(const ll_trace_event *e, unsigned s) {
    switch (s) {
    case S_SUB: return e->sub;
    case S_OBJ: return e->obj;
    case S_AUX: return e->aux;
    case S_VAL: return e->val;
    default: return e->str;
    }
}

static const char *err_name(int code) {
#define LL__ERRNAME(name, c, py, text)                                                             \
    if (code == (c))                                                                               \
        return py;
    LL_ERRNO_MAP(LL__ERRNAME)
#undef LL__ERRNAME
    return NULL;
}

const char *ll__field_enum_name(unsigned type, int64_t v) {
    switch (type) {
    case T_REASON: return v >= 0 && v < LL_REASON__COUNT ? ll_reason_name((unsigned)v) : NULL;
    case T_WAIT: return v >= 0 && v < LL_WAIT__COUNT ? ll_wait_kind_name((unsigned)v) : NULL;
    case T_WARN: return v >= 0 && v < LL_WARN__COUNT ? ll_warn_kind_name((unsigned)v) : NULL;
    case T_FUTKIND: return v >= 0 && (size_t)v < NELEM(futkind_names) ? futkind_names[v] : NULL;
    case T_OUTCOME: return v >= 0 && (size_t)v < NELEM(outcome_names) ? outcome_names[v] : NULL;
    case T_HOW: return v >= 0 && (size_t)v < NELEM(how_names) ? how_names[v] : NULL;
    case T_ERR: return err_name(-(int)v);
    case T_SYNCKIND: return v >= 0 && v < LL_SYNC__COUNT ? ll_sync_kind_name((unsigned)v) : NULL;
    case T_SYNCOP: return v >= 0 && v < LL_SYNC_OP__COUNT ? ll_sync_op_name((unsigned)v) : NULL;
    case T_IOROLE: return v >= 0 && v < LL_IO_ROLE__COUNT ? ll_io_role_name((unsigned)v) : NULL;
    case T_IOOP: return v >= 0 && v < LL_IO_OP__COUNT ? ll_io_op_name((unsigned)v) : NULL;
    default: return NULL;
    }
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t ll__utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    unsigned cp = c & (0x7f >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k;
}
