/* models.c - `looplab models LESSON`: a lesson's output under asyncio and
 * under each wrong model of it (src/sched/models.c), and where each wrong
 * model's prediction parts from what asyncio prints: a teacher's handout,
 * and the distractors of a "what is printed next?" question. */
#include "cli/commands.h"
#include "trace/events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage_models(FILE *out, const char *prog) {
    fprintf(out,
            "usage: %s models LESSON [--full]\n"
            "\n"
            "Runs a lesson (by number or slug) under asyncio's own model and under each\n"
            "wrong model of it that students hold, and shows where each wrong model's\n"
            "prediction parts from what asyncio really prints.  '%s run LESSON --model\n"
            "NAME' runs one of them (and '%s view' can show its trace).\n"
            "\n"
            "  --full   print every model's whole output, not only where it parts\n"
            "\n"
            "The models:\n",
            prog, prog, prog);
    for (unsigned m = 0; m < LL_MODEL__COUNT; m++)
        fprintf(out, "  %-17s %s\n", ll_model_name(m), ll_model_doc(m));
}

/* The output lines of one run. */
typedef struct lines {
    char *text; /* the whole output, lines split in place */
    char **v;
    size_t n;
    int status;
} lines;

static void lines_free(lines *l) {
    free(l->text);
    free(l->v);
}

/* Runs `looplab run LESSON --model M --no-trace` (this very program) and
 * keeps what it printed on standard output.  Returns 0, or -1 (said). */
static int run_model(const char *prog, const char *lesson, unsigned model, lines *out) {
    memset(out, 0, sizeof *out);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || memchr(self, '\'', (size_t)n)) {
        fprintf(stderr, "%s models: cannot find this program to run it again\n", prog);
        return -1;
    }
    self[n] = '\0';
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --model %s --no-trace --timeout 60 2>/dev/null", self,
             lesson, ll_model_name(model));
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "%s models: cannot run %s\n", prog, lesson);
        return -1;
    }
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *t = realloc(out->text, cap);
            if (!t) {
                pclose(p);
                fprintf(stderr, "%s models: out of memory\n", prog);
                return -1;
            }
            out->text = t;
        }
        memcpy(out->text + len, buf, got);
        len += got;
    }
    out->status = pclose(p);
    if (!out->text && !(out->text = calloc(1, 1)))
        return -1;
    out->text[len] = '\0';
    size_t nl = 1;
    for (size_t i = 0; i < len; i++)
        nl += out->text[i] == '\n';
    out->v = calloc(nl, sizeof *out->v);
    if (!out->v)
        return -1;
    for (char *s = out->text; *s;) {
        char *e = strchr(s, '\n');
        out->v[out->n++] = s;
        if (!e)
            break;
        *e = '\0';
        s = e + 1;
    }
    return 0;
}

/* Prints how `m` parts from `real`. */
static void parts(const lines *real, const lines *m) {
    size_t i = 0;
    while (i < real->n && i < m->n && strcmp(real->v[i], m->v[i]) == 0)
        i++;
    if (i == real->n && i == m->n) {
        printf("    the same output as asyncio: this lesson does not tell them apart\n");
        return;
    }
    printf("    parts at line %zu:\n", i + 1);
    printf("      asyncio prints     %s\n", i < real->n ? real->v[i] : "(nothing more)");
    printf("      this model expects %s\n", i < m->n ? m->v[i] : "(nothing more)");
}

static bool lesson_name_ok(const char *s) {
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

int ll__cmd_models(const char *prog, int argc, char **argv) {
    const char *lesson = NULL;
    bool full = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_models(stdout, prog);
            return 0;
        } else if (strcmp(argv[i], "--full") == 0) {
            full = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s models: unknown option '%s' (see '%s models --help')\n", prog,
                    argv[i], prog);
            return 2;
        } else if (!lesson) {
            lesson = argv[i];
        } else {
            fprintf(stderr, "%s models: one lesson at a time\n", prog);
            return 2;
        }
    }
    if (!lesson) {
        usage_models(stderr, prog);
        return 2;
    }
    if (!lesson_name_ok(lesson)) {
        fprintf(stderr, "%s models: no lesson '%s' (see '%s list')\n", prog, lesson, prog);
        return 2;
    }
    lines real;
    if (run_model(prog, lesson, LL_MODEL_ASYNCIO, &real) != 0)
        return 1;
    if (!WIFEXITED(real.status) || WEXITSTATUS(real.status) == 2) {
        /* `looplab run` said why on standard error: say it again, visibly. */
        fprintf(stderr, "%s models: could not run lesson '%s' (try '%s run %s')\n", prog, lesson,
                prog, lesson);
        lines_free(&real);
        return WIFEXITED(real.status) ? WEXITSTATUS(real.status) : 1;
    }
    printf("asyncio: %s\n", ll_model_doc(LL_MODEL_ASYNCIO));
    for (size_t i = 0; i < real.n; i++)
        printf("  %3zu  %s\n", i + 1, real.v[i]);
    int rc = 0;
    for (unsigned m = 1; m < LL_MODEL__COUNT; m++) {
        lines got;
        if (run_model(prog, lesson, m, &got) != 0) {
            rc = 1;
            continue;
        }
        printf("\n%s: %s\n", ll_model_name(m), ll_model_doc(m));
        parts(&real, &got);
        if (full)
            for (size_t i = 0; i < got.n; i++)
                printf("  %3zu  %s\n", i + 1, got.v[i]);
        lines_free(&got);
    }
    lines_free(&real);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s models: cannot write the output\n", prog);
        return 1;
    }
    return rc;
}
