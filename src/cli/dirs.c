/* dirs.c - the numbered folders the command lists: lessons/NN-slug and
 * exercises/NN-slug (commands.h). */
#include "cli/commands.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const ll_cli_dir *)a)->slug, ((const ll_cli_dir *)b)->slug);
}

int ll_cli_numbered_dirs(const char *dir, ll_cli_dir *out, size_t max) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
        int num;
        char rest;
        if (sscanf(e->d_name, "%d-%c", &num, &rest) != 2 || strlen(e->d_name) >= sizeof out->slug)
            continue;
        memcpy(out[n].slug, e->d_name, strlen(e->d_name) + 1);
        out[n].number = num;
        n++;
    }
    closedir(d);
    qsort(out, n, sizeof *out, cmp_name);
    return (int)n;
}
