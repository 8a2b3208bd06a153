/* recorder.c - the append-only event store (see recorder.h). */
#include "recorder.h"
#include "../core/grow.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The names of each X-macro table's values (events.h), in enum order, and
 * "unknown" past its end.  LL_EVENT_MAP's entries carry a description too. */
#define LL__NAME_OF(name, str) str,
#define LL__NAME_OF_DOCUMENTED(name, str, doc) str,
#define LL__NAME_FN(fn, map, name_of, count)                                                       \
    const char *fn(unsigned v) {                                                                   \
        static const char *const names[] = {map(name_of)};                                         \
        return v < (count) ? names[v] : "unknown";                                                 \
    }
LL__NAME_FN(ll_event_kind_name, LL_EVENT_MAP, LL__NAME_OF_DOCUMENTED, LL_EV__COUNT)
LL__NAME_FN(ll_reason_name, LL_REASON_MAP, LL__NAME_OF, LL_REASON__COUNT)
LL__NAME_FN(ll_wait_kind_name, LL_WAIT_MAP, LL__NAME_OF, LL_WAIT__COUNT)
LL__NAME_FN(ll_warn_kind_name, LL_WARN_MAP, LL__NAME_OF, LL_WARN__COUNT)
LL__NAME_FN(ll_sync_kind_name, LL_SYNC_KIND_MAP, LL__NAME_OF, LL_SYNC__COUNT)
LL__NAME_FN(ll_sync_op_name, LL_SYNC_OP_MAP, LL__NAME_OF, LL_SYNC_OP__COUNT)
LL__NAME_FN(ll_io_role_name, LL_IO_ROLE_MAP, LL__NAME_OF, LL_IO_ROLE__COUNT)
LL__NAME_FN(ll_io_op_name, LL_IO_OP_MAP, LL__NAME_OF, LL_IO_OP__COUNT)
#undef LL__NAME_FN
#undef LL__NAME_OF_DOCUMENTED
#undef LL__NAME_OF

#define LL__MODEL_NAME(name, str, doc) str,
#define LL__MODEL_DOC(name, str, doc) doc,
static const char *const model_names[] = {LL_MODEL_MAP(LL__MODEL_NAME)};
static const char *const model_docs[] = {LL_MODEL_MAP(LL__MODEL_DOC)};
#undef LL__MODEL_NAME
#undef LL__MODEL_DOC
const char *ll_model_name(unsigned model) {
    return model < LL_MODEL__COUNT ? model_names[model] : NULL;
}
const char *ll_model_doc(unsigned model) {
    return model < LL_MODEL__COUNT ? model_docs[model] : NULL;
}
int ll_model_find(const char *name) {
    for (unsigned i = 0; name && i < LL_MODEL__COUNT; i++)
        if (strcmp(name, model_names[i]) == 0)
            return (int)i;
    return -1;
}

void ll__rec_init(ll__recorder *r, bool on) {
    memset(r, 0, sizeof *r);
    r->on = on;
}

void ll__rec_free(ll__recorder *r) {
    for (size_t i = 0; i < r->nchunks; i++)
        free(r->chunks[i]);
    free(r->spare);
    free(r->chunks);
    free(r->strs);
    free(r->sites);
    free(r->site_hash);
    memset(r, 0, sizeof *r);
}

/* Lets the first k chunks go: one is kept as the spare, the rest freed. */
static void drop_front(ll__recorder *r, size_t k) {
    for (size_t i = 0; i < k; i++) {
        if (!r->spare)
            r->spare = r->chunks[i];
        else
            free(r->chunks[i]);
    }
    memmove(r->chunks, r->chunks + k, (r->nchunks - k) * sizeof *r->chunks);
    r->nchunks -= k;
    r->chunk0 += k;
    if (r->base < r->chunk0 * LL_REC_CHUNK)
        r->base = r->chunk0 * LL_REC_CHUNK;
}

static void ring_strings(ll__recorder *r);

ll_trace_event *ll__rec_grow(ll__recorder *r) {
    /* Ring mode: the oldest chunk is reused once the others hold `ring`. */
    if (r->ring && r->nchunks > 1 && (r->nchunks - 1) * LL_REC_CHUNK >= r->ring) {
        drop_front(r, 1);
        if (r->strlen_ - r->str_mark > LL_REC_STR_SPILL)
            ring_strings(r);
    }
    LL__GROW(r->chunks, r->chunkcap, r->nchunks + 1, 16, goto oom);
    /* A chunk is one 2 MiB block, aligned so that the kernel can back it with
     * a huge page: one page fault per 43 690 events instead of one per 85.
     * Untouched, it costs address space only. */
    void *mem = r->spare;
    r->spare = NULL;
    if (!mem) {
        if (posix_memalign(&mem, LL_REC_CHUNK_BYTES, LL_REC_CHUNK_BYTES) != 0)
            goto oom;
#if defined(MADV_HUGEPAGE)
        madvise(mem, LL_REC_CHUNK_BYTES, MADV_HUGEPAGE);
#endif
    }
    ll_trace_event *chunk = mem;
    r->chunks[r->nchunks++] = chunk;
    r->cur = chunk + 1;
    r->end = chunk + LL_REC_CHUNK;
    r->n++;
    return chunk;
oom:
    /* Losing the rest of a recording is better than losing the program. */
    r->on = false;
    return NULL;
}

ll_trace_event *ll__rec_grow_slot(ll__recorder *r) {
    ll_trace_event *e = ll__rec_grow(r);
    return e ? e : &r->sink;
}

/* Strings are stored as a 4-byte length, the bytes and a NUL; the id is the
 * offset of the first byte, so it is never 0 (offset 0 holds nothing). */
uint32_t ll__rec_str(ll__recorder *r, const char *s, size_t len) {
    if (len == 0)
        return 0;
    size_t need = r->strlen_ + 4 + len + 1;
    if (need > UINT32_MAX)
        return 0;
    if (r->strlen_ == 0)
        need += 1; /* reserve offset 0 */
    if (need > r->strcap) {
        size_t cap = r->strcap ? r->strcap : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(r->strs, cap);
        if (!p)
            return 0;
        r->strs = p;
        r->strcap = cap;
    }
    if (r->strlen_ == 0)
        r->strs[r->strlen_++] = '\0';
    uint32_t n32 = (uint32_t)len;
    memcpy(r->strs + r->strlen_, &n32, 4);
    uint32_t id = (uint32_t)(r->strlen_ + 4);
    memcpy(r->strs + id, s, len);
    r->strs[id + len] = '\0';
    r->strlen_ = id + len + 1;
    return id;
}

/* A new string table being built from the old one's live strings.  It is
 * sized first (str_need), so that the copy itself cannot fail half way. */
typedef struct str_copy {
    char *p;    /* the new table */
    size_t len; /* bytes used */
} str_copy;

/* Bytes a new table needs for string id (0 when it stays or is empty). */
static size_t str_need(const ll__recorder *r, uint32_t id) {
    if (id < r->str_pin || id >= r->strlen_)
        return 0;
    size_t n;
    ll__rec_strp(r, id, &n);
    return 4 + n + 1;
}

/* Starts a new table of `need` bytes more than the old one's first str_pin
 * bytes, which it holds; false when memory ran out. */
static bool copy_begin(const ll__recorder *r, str_copy *c, size_t need) {
    size_t keep = r->str_pin ? r->str_pin : 1; /* offset 0 holds nothing */
    c->p = malloc(keep + need);
    if (!c->p)
        return false;
    memcpy(c->p, r->strs ? r->strs : "", keep);
    c->len = keep;
    return true;
}

/* Copies string *id (unless pinned) and rewrites *id to its new place. */
static void copy_str(const ll__recorder *r, str_copy *c, uint32_t *id) {
    if (*id < r->str_pin || *id >= r->strlen_)
        return;
    size_t n;
    const char *s = ll__rec_strp(r, *id, &n);
    uint32_t n32 = (uint32_t)n;
    memcpy(c->p + c->len, &n32, 4);
    memcpy(c->p + c->len + 4, s, n + 1);
    *id = (uint32_t)(c->len + 4);
    c->len += 4 + n + 1;
}

/* Puts the new table in place of the old. */
static void copy_end(ll__recorder *r, str_copy *c) {
    free(r->strs);
    r->strs = c->p;
    r->strlen_ = c->len;
    r->strcap = c->len;
    r->str_mark = c->len;
}

/* Ring mode: keeps only the strings the held events refer to. */
static void ring_strings(ll__recorder *r) {
    size_t need = 0;
    for (size_t i = r->base; i < r->n; i++) {
        const ll_trace_event *e = ll__rec_at(r, i);
        need += str_need(r, e->str);
        if (e->kind == LL_EV_TASK_NEW)
            need += str_need(r, e->aux);
    }
    str_copy c;
    if (!copy_begin(r, &c, need)) {
        r->str_mark = r->strlen_; /* out of memory: try again later */
        return;
    }
    for (size_t i = r->base; i < r->n; i++) {
        ll_trace_event *e = &r->chunks[i / LL_REC_CHUNK - r->chunk0][i % LL_REC_CHUNK];
        copy_str(r, &c, &e->str);
        if (e->kind == LL_EV_TASK_NEW)
            copy_str(r, &c, &e->aux); /* its coroutine's name */
    }
    copy_end(r, &c);
}

bool ll__rec_spill(ll__recorder *r, size_t written, uint32_t *ids, size_t nids) {
    if (written < r->n || r->n == r->base)
        return false;
    if (r->nchunks < 2 && r->strlen_ - r->str_mark <= LL_REC_STR_SPILL)
        return false;
    /* No event is left to refer to a string: only the pinned ones and ids[]
     * stay. */
    size_t need = 0;
    for (size_t i = 0; i < nids; i++)
        need += str_need(r, ids[i]);
    str_copy c;
    if (!copy_begin(r, &c, need))
        return false;
    for (size_t i = 0; i < nids; i++)
        copy_str(r, &c, &ids[i]);
    copy_end(r, &c);
    /* The chunk the next event goes into stays (n's; none when it is full). */
    size_t keep = r->n / LL_REC_CHUNK - r->chunk0;
    drop_front(r, keep < r->nchunks ? keep : r->nchunks);
    if (r->nchunks == 0)
        r->cur = r->end = NULL;
    r->base = r->n;
    return true;
}

size_t ll__rec_held_bytes(const ll__recorder *r) {
    return (r->nchunks + (r->spare != NULL)) * (size_t)LL_REC_CHUNK_BYTES +
           r->chunkcap * sizeof *r->chunks + r->strcap + r->sitecap * sizeof *r->sites +
           r->site_hash_cap * sizeof *r->site_hash;
}

const char *ll__rec_strp(const ll__recorder *r, uint32_t id, size_t *len) {
    if (id == 0 || id >= r->strlen_) {
        if (len)
            *len = 0;
        return "";
    }
    if (len) {
        uint32_t n32;
        memcpy(&n32, r->strs + id - 4, 4);
        *len = n32;
    }
    return r->strs + id;
}

static size_t site_hash(const char *file, int line) {
    uintptr_t h = (uintptr_t)file * 0x9E3779B97F4A7C15u;
    return (size_t)(h ^ ((uintptr_t)(unsigned)line * 0xC2B2AE3Du) ^ (h >> 29));
}

static int site_rehash(ll__recorder *r) {
    size_t cap = r->site_hash_cap ? r->site_hash_cap * 2 : 256;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return -1;
    for (size_t id = 1; id < r->nsites; id++) {
        size_t i = site_hash(r->sites[id].file, r->sites[id].line) & (cap - 1);
        while (h[i])
            i = (i + 1) & (cap - 1);
        h[i] = (uint32_t)id;
    }
    free(r->site_hash);
    r->site_hash = h;
    r->site_hash_cap = cap;
    return 0;
}

uint32_t ll__rec_site_slow(ll__recorder *r, const char *file, int line) {
    if (!file)
        return 0;
    if (r->nsites == 0) {
        r->sites = malloc(64 * sizeof *r->sites);
        if (!r->sites)
            return 0;
        r->sitecap = 64;
        r->sites[0] = (ll__site){NULL, 0};
        r->nsites = 1;
    }
    if ((r->nsites + 1) * 2 > r->site_hash_cap && site_rehash(r) != 0)
        return 0;
    size_t mask = r->site_hash_cap - 1;
    size_t i = site_hash(file, line) & mask;
    for (; r->site_hash[i]; i = (i + 1) & mask) {
        const ll__site *s = &r->sites[r->site_hash[i]];
        if (s->line == line && (s->file == file || strcmp(s->file, file) == 0))
            return r->site_hash[i];
    }
    LL__GROW(r->sites, r->sitecap, r->nsites + 1, 64, return 0);
    uint32_t id = (uint32_t)r->nsites++;
    r->sites[id] = (ll__site){file, line};
    r->site_hash[i] = id;
    return id;
}

const ll__site *ll__rec_sitep(const ll__recorder *r, uint32_t id) {
    static const ll__site unknown = {NULL, 0};
    return id < r->nsites ? &r->sites[id] : &unknown;
}
