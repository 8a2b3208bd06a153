/* harness-view.h - what the viewer's suites share: a lesson's trace turned
 * into a viewer model, and a check of a PNG file's size. */
#ifndef LL_TESTS_HARNESS_VIEW_H
#define LL_TESTS_HARNESS_VIEW_H

#include <sys/wait.h>

#include "harness.h"
#include "view/model.h"

#ifndef LL_BUILD_ROOT
#define LL_BUILD_ROOT "build"
#endif

/* Runs lesson `slug` (its built program) with `env` prepended to the
 * command, and builds the model of the trace it recorded. */
static inline void lesson_model(const char *slug, const char *env, llv_model *m) {
    char path[] = "/tmp/looplab-view-test-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s LOOPLAB_TRACE='%s' '%s/lessons/lesson-%s'", env, path,
             LL_BUILD_ROOT, slug);
    int st;
    free(read_command(cmd, &st));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", slug, st);
    ll_trace t;
    char err[512];
    ck_assert_msg(ll_trace_load(&t, path, err, sizeof err) == 0, "%s", err);
    unlink(path);
    ck_assert_msg(llv_model_build(m, &t, err, sizeof err) == 0, "%s", err);
}

/* Asserts that `path` is a PNG file of w x h pixels (its signature and the
 * size in its IHDR chunk). */
static inline void assert_png(const char *path, int w, int h) {
    FILE *p = fopen(path, "rb");
    ck_assert_msg(p != NULL, "%s was not written", path);
    unsigned char sig[24];
    ck_assert_uint_eq(fread(sig, 1, sizeof sig, p), sizeof sig);
    fclose(p);
    ck_assert_msg(memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", path);
    ck_assert_int_eq((int)((unsigned)sig[16] << 24 | sig[17] << 16 | sig[18] << 8 | sig[19]), w);
    ck_assert_int_eq((int)((unsigned)sig[20] << 24 | sig[21] << 16 | sig[22] << 8 | sig[23]), h);
}

#endif
