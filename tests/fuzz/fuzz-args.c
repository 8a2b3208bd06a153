/* fuzz-args.c - libFuzzer target for `looplab run`'s argument parsing.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled
 *   build-fuzz/tests/fuzz/fuzz-args tests/fuzz/corpus-args
 *
 * The input is an argument vector, arguments separated by NUL bytes.  The
 * command's own source is compiled in (its main renamed), so what is fuzzed
 * is the parser the command runs; nothing is started.  Whatever the
 * arguments, run_parse either accepts them with options that hold together
 * (one lesson or one program, a clock and timeout in range, a cap of at
 * least a megabyte) or refuses with exit status 2 and a sentence that starts
 * "looplab run"; parse_format likewise. */
#define main looplab_cli_main
#include "../../src/cli/main.c"
#undef main

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* What the parser said on standard error, for the refusal check. */
static char said[4096];

static int refused_with_a_sentence(const char *what) {
    return strncmp(said, what, strlen(what)) == 0 && strchr(said, '\n') != NULL;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size > 4096)
        return 0;
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[65];
    int argc = 0;
    for (char *p = copy; p <= copy + size && argc < 64; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;

    FILE *err = fmemopen(said, sizeof said, "w");
    if (!err)
        abort();
    FILE *saved = stderr;
    stderr = err;
    run_opts o;
    int rc = run_parse(argc, argv, &o);
    fmt f = FMT_TEXT;
    fclose(err);
    err = fmemopen(said + 2048, sizeof said - 2048, "w");
    stderr = err;
    int frc = parse_format("run", argv[0], &f);
    fclose(err);
    stderr = saved;

    if (rc == 0) {
        if (!o.help) {
            if (!o.name == !o.program)
                abort(); /* one lesson or one program */
            if (o.program && !o.program[0])
                abort();
            if (o.clock && strcmp(o.clock, "virtual") && strcmp(o.clock, "real"))
                abort();
            if (o.no_trace && o.trace)
                abort();
        }
        if (o.timeout < 0 || o.timeout > 1e6 || o.timeout != o.timeout)
            abort();
        if (o.max_held < ((size_t)1 << 20) || o.format > FMT_CHROME)
            abort();
    } else if (rc != 2 || !refused_with_a_sentence("looplab run")) {
        abort();
    }
    if (frc == 0 && f > FMT_CHROME)
        abort();
    if (frc != 0 && strncmp(said + 2048, "looplab run: --format", 21) != 0)
        abort();
    free(copy);
    return 0;
}
