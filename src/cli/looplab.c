/* looplab.c - the `looplab` command: list and run lessons.
 *
 * `looplab run LESSON` runs a lesson as a child process (libuv's uv_spawn),
 * so a lesson that crashes cannot take the caller down.  The child's output
 * goes straight to the terminal; its trace is written to a file that is
 * printed (or kept, with --trace) once the child has ended. */
#include <looplab.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define LESSONS_DIR LL_SOURCE_ROOT "/lessons"
#define LESSON_BIN_DIR LL_BUILD_ROOT "/lessons"

static const char *prog = "looplab";

static void usage(FILE *out) {
    fprintf(out,
            "usage: %s <command> [options]\n"
            "\n"
            "commands:\n"
            "  list                      list the lessons, numbered, with their titles\n"
            "  run LESSON [options]      run a lesson (number or slug) and show its trace\n"
            "      --clock virtual|real  which clock drives the loop (default: virtual)\n"
            "      --trace FILE          keep the trace in FILE instead of printing it\n"
            "      --no-trace            print only the lesson's own output\n"
            "  --version                 print the version\n"
            "  --help                    print this help\n",
            prog);
}

/* ---- lessons on disk ------------------------------------------------------ */

typedef struct lesson {
    char slug[128];   /* folder name, e.g. 01-hello-gather */
    int number;
    char title[256];
    char summary[512];
} lesson;

/* Copies src into dst[cap], cutting it short when it does not fit. */
static void copy_str(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void read_meta(lesson *l) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/meta.txt", LESSONS_DIR, l->slug);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "title: ", 7) == 0)
            copy_str(l->title, sizeof l->title, line + 7);
        else if (strncmp(line, "summary: ", 9) == 0)
            copy_str(l->summary, sizeof l->summary, line + 9);
    }
    fclose(f);
}

static int cmp_lesson(const void *a, const void *b) {
    return strcmp(((const lesson *)a)->slug, ((const lesson *)b)->slug);
}

/* Lessons are the folders NN-slug under lessons/, in number order. */
static size_t find_lessons(lesson *out, size_t max) {
    DIR *d = opendir(LESSONS_DIR);
    if (!d) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, LESSONS_DIR, strerror(errno));
        return 0;
    }
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
        int num;
        char rest;
        if (sscanf(e->d_name, "%d-%c", &num, &rest) != 2)
            continue;
        lesson *l = &out[n++];
        memset(l, 0, sizeof *l);
        copy_str(l->slug, sizeof l->slug, e->d_name);
        l->number = num;
        copy_str(l->title, sizeof l->title, e->d_name);
        read_meta(l);
    }
    closedir(d);
    qsort(out, n, sizeof *out, cmp_lesson);
    return n;
}

static int cmd_list(void) {
    lesson ls[128];
    size_t n = find_lessons(ls, 128);
    for (size_t i = 0; i < n; i++)
        printf("%3d  %-32s %s\n", ls[i].number, ls[i].title, ls[i].summary);
    return n ? 0 : 1;
}

static const lesson *resolve(const char *name, lesson *ls, size_t n) {
    char *end;
    long num = strtol(name, &end, 10);
    for (size_t i = 0; i < n; i++) {
        if (*name && *end == '\0' && ls[i].number == num)
            return &ls[i];
        if (strcmp(ls[i].slug, name) == 0)
            return &ls[i];
        const char *dash = strchr(ls[i].slug, '-');
        if (dash && strcmp(dash + 1, name) == 0)
            return &ls[i];
    }
    return NULL;
}

/* ---- running a child -------------------------------------------------------- */

typedef struct child {
    int64_t status;
    int term_signal;
    bool exited;
} child;

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal) {
    child *c = p->data;
    c->status = status;
    c->term_signal = term_signal;
    c->exited = true;
    uv_close((uv_handle_t *)p, NULL);
}

static int run_child(char **argv, char **env, child *c) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_process_t proc;
    proc.data = c;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_INHERIT_FD, .data.fd = 0},
        {.flags = UV_INHERIT_FD, .data.fd = 1},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
    };
    uv_process_options_t opts = {
        .exit_cb = on_exit_cb,
        .file = argv[0],
        .args = argv,
        .env = env,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int rc = uv_spawn(&loop, &proc, &opts);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot start %s: %s\n", prog, argv[0], uv_strerror(rc));
        uv_loop_close(&loop);
        return -1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}

extern char **environ;

/* The parent's environment plus the given NAME=value entries. */
static char **make_env(char **extra, size_t nextra) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + nextra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        for (size_t j = 0; j < nextra; j++) {
            size_t len = strcspn(extra[j], "=");
            if (strncmp(environ[i], extra[j], len + 1) == 0)
                overridden = true;
        }
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < nextra; j++)
        env[k++] = extra[j];
    return env;
}

static int cmd_run(int argc, char **argv) {
    const char *name = NULL, *clock = NULL, *trace = NULL;
    bool no_trace = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--clock") == 0 && i + 1 < argc)
            clock = argv[++i];
        else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
            trace = argv[++i];
        else if (strcmp(argv[i], "--no-trace") == 0)
            no_trace = true;
        else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s run: unknown option '%s' (see %s --help)\n", prog, argv[i], prog);
            return 2;
        } else if (!name)
            name = argv[i];
        else {
            fprintf(stderr, "%s run: one lesson at a time (got '%s' and '%s')\n", prog, name,
                    argv[i]);
            return 2;
        }
    }
    if (!name) {
        fprintf(stderr, "%s run: which lesson? (see '%s list')\n", prog, prog);
        return 2;
    }
    if (clock && strcmp(clock, "virtual") != 0 && strcmp(clock, "real") != 0) {
        fprintf(stderr, "%s run: --clock must be 'virtual' or 'real', not '%s'\n", prog, clock);
        return 2;
    }
    lesson ls[128];
    size_t n = find_lessons(ls, 128);
    const lesson *l = resolve(name, ls, n);
    if (!l) {
        fprintf(stderr, "%s run: no lesson '%s' (see '%s list')\n", prog, name, prog);
        return 2;
    }
    char bin[512];
    snprintf(bin, sizeof bin, "%s/lesson-%s", LESSON_BIN_DIR, l->slug);
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "%s run: lesson '%s' is not built (%s): run 'meson compile -C build'\n",
                prog, l->slug, bin);
        return 1;
    }
    char tmp[] = "/tmp/looplab-trace-XXXXXX";
    const char *trace_path = trace;
    if (!trace_path && !no_trace) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "%s run: cannot create a temporary trace file: %s\n", prog,
                    strerror(errno));
            return 1;
        }
        close(fd);
        trace_path = tmp;
    }
    char trace_env[600], clock_env[64];
    snprintf(trace_env, sizeof trace_env, "LOOPLAB_TRACE=%s", trace_path ? trace_path : "");
    snprintf(clock_env, sizeof clock_env, "LOOPLAB_CLOCK=%s", clock ? clock : "virtual");
    char *extra[] = {trace_env, clock_env};
    char **env = make_env(extra, 2);
    char *child_argv[] = {bin, NULL};
    child c = {0};
    int rc = env ? run_child(child_argv, env, &c) : -1;
    free(env);
    if (rc == 0 && trace_path && !trace) {
        FILE *f = fopen(trace_path, "r");
        if (f) {
            printf("\n--- trace of lesson %s ---\n", l->slug);
            char buf[8192];
            size_t k;
            while ((k = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, k, stdout);
            fclose(f);
        }
    }
    if (!trace && trace_path)
        unlink(trace_path);
    if (rc != 0)
        return 1;
    if (c.term_signal) {
        fprintf(stderr, "%s: lesson %s was killed by signal %d (%s)\n", prog, l->slug,
                c.term_signal, strsignal(c.term_signal));
        return 128 + c.term_signal;
    }
    if (c.status != 0)
        fprintf(stderr, "%s: lesson %s exited with status %lld\n", prog, l->slug,
                (long long)c.status);
    return (int)c.status;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("looplab %s\n", LL_VERSION_STRING);
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return cmd_list();
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s' (see %s --help)\n", prog, cmd, prog);
    return 2;
}
