/* broken.c - a program that goes wrong on purpose, for `looplab run`'s
 * tests: `broken crash|abort|hang|exit|fail|twoloops|spawn|fork|ok`.  Each
 * prints a line and sleeps once (so there is a trace worth keeping), then
 * misbehaves inside a task.  `spawn` starts a grandchild (`sleep 1000`) and
 * `fork` a forked copy that sleeps as long, both left running after the
 * program ends, as a daemon would be (it prints "grandchild PID" for the
 * test to stop it); `chatty N` prints N lines, for a big trace. */
#include <looplab.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *mode = "ok";
static long count = 1000; /* lines printed by `chatty` */

static ll_value victim(LL_NOARGS) {
    ll_print("victim: before the trouble");
    LL_TRY(ll_sleep(0.01));
    ll_note("about to %s", mode);
    if (strcmp(mode, "crash") == 0) {
        volatile int *p = NULL;
        *p = 42;
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else if (strcmp(mode, "hang") == 0) {
        for (volatile unsigned long i = 0;; i++) {
        }
    } else if (strcmp(mode, "exit") == 0) {
        exit(3);
    } else if (strcmp(mode, "spawn") == 0) {
        pid_t pid;
        char *argv[] = {(char *)"sleep", (char *)"1000", NULL};
        /* Like a daemon: its output elsewhere, any other descriptor kept. */
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        int err = posix_spawnp(&pid, "sleep", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (err != 0)
            return ll_raise(LL_EVALUE, "cannot start sleep");
        ll_print("grandchild %d", (int)pid);
    } else if (strcmp(mode, "fork") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            int nul = open("/dev/null", O_WRONLY);
            dup2(nul, 1);
            dup2(nul, 2);
            sleep(1000);
            _exit(0);
        }
        ll_print("grandchild %d", (int)pid);
    } else if (strcmp(mode, "chatty") == 0) {
        for (long i = 0; i < count; i++)
            ll_print("line %ld of a long run", i);
    } else if (strcmp(mode, "fail") == 0) {
        return ll_raise(LL_EVALUE, "victim failed on purpose");
    }
    ll_print("victim: all fine");
    return ll_none();
}

static ll_value amain(LL_NOARGS) {
    ll_task *t = ll_create_task(ll_coro(victim), "victim");
    return ll_await(t);
}

int main(int argc, char **argv) {
    if (argc > 1)
        mode = argv[1];
    if (argc > 2)
        count = atol(argv[2]);
    if (strcmp(mode, "twoloops") == 0) {
        /* Two asyncio.run() calls one after the other. */
        mode = "ok";
        int rc = ll_run(ll_coro(amain));
        return rc | ll_run(ll_coro(amain));
    }
    return ll_run(ll_coro(amain));
}
