/* slowweb.h - the slow web's calls that are not the public API: the page
 * table, for the server and its checks, and `looplab serve` (src/cli).
 * The public pair, ll_slow_web_start and ll_slow_web_stop, is in
 * include/looplab/http.h. */
#ifndef LL_IO_SLOWWEB_H
#define LL_IO_SLOWWEB_H

#include <looplab.h>

/* The page the slow web serves at `path` (false when none): its delay and
 * its body.  The body is made for this call and is the caller's to free();
 * a NULL body only asks whether the page exists. */
bool ll_slow_web_page(const char *path, const char *query, double *delay, char **body, size_t *len);
/* `looplab serve`: serves the slow web on host:port in this thread until
 * SIGINT/SIGTERM.  Returns 0, or 1 when it could not listen. */
int ll_slow_web_serve(const char *host, int port);

#endif
