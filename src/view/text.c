/* text.c - glyph cache and string drawing (see text.h). */
#include "view/text.h"

#include <SDL_ttf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ATLAS 1024

typedef struct glyph {
    uint32_t cp;       /* code point + 1 (0: empty slot) */
    uint16_t atlas;    /* which atlas texture */
    uint16_t x, y, w, h;
    int16_t adv;
} glyph;

struct llv_font {
    SDL_Renderer *r;
    TTF_Font *ttf;
    int h;
    SDL_Texture **atlas;
    size_t natlas;
    int sx, sy, shelf; /* shelf packer in the last atlas */
    glyph *tab;        /* open addressing by code point */
    size_t cap, used;
    glyph ascii[128];  /* fast path */
    int ellipsis_w;
};

void (*llv_text_hook)(const SDL_Rect *box, const char *s, size_t n, void *ud);
void *llv_text_hook_ud;

llv_font *llv_font_open(SDL_Renderer *r, const char *path, int px) {
    if (!TTF_WasInit() && TTF_Init() != 0)
        return NULL;
    llv_font *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->r = r;
    f->ttf = TTF_OpenFont(path, px);
    if (!f->ttf) {
        free(f);
        return NULL;
    }
    TTF_SetFontHinting(f->ttf, TTF_HINTING_LIGHT);
    f->h = TTF_FontHeight(f->ttf);
    f->cap = 256;
    f->tab = calloc(f->cap, sizeof *f->tab);
    if (!f->tab) {
        llv_font_close(f);
        return NULL;
    }
    f->ellipsis_w = -1;
    return f;
}

void llv_font_close(llv_font *f) {
    if (!f)
        return;
    for (size_t i = 0; i < f->natlas; i++)
        SDL_DestroyTexture(f->atlas[i]);
    free(f->atlas);
    free(f->tab);
    if (f->ttf)
        TTF_CloseFont(f->ttf);
    free(f);
}

int llv_font_h(const llv_font *f) { return f->h; }

static int new_atlas(llv_font *f) {
    SDL_Texture *t = SDL_CreateTexture(f->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC,
                                       ATLAS, ATLAS);
    if (!t)
        return -1;
    SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    void *clear = calloc(ATLAS * ATLAS, 4);
    if (clear) {
        SDL_UpdateTexture(t, NULL, clear, ATLAS * 4);
        free(clear);
    }
    SDL_Texture **a = realloc(f->atlas, (f->natlas + 1) * sizeof *a);
    if (!a) {
        SDL_DestroyTexture(t);
        return -1;
    }
    f->atlas = a;
    f->atlas[f->natlas++] = t;
    f->sx = f->sy = f->shelf = 0;
    return 0;
}

/* Renders a glyph into the atlas. */
static int make_glyph(llv_font *f, uint32_t cp, glyph *g) {
    memset(g, 0, sizeof *g);
    g->cp = cp + 1;
    int minx, maxx, miny, maxy, adv;
    if (!TTF_GlyphIsProvided32(f->ttf, cp) || TTF_GlyphMetrics32(f->ttf, cp, &minx, &maxx, &miny,
                                                                &maxy, &adv) != 0) {
        if (cp != 0xFFFD && cp != '?')
            return make_glyph(f, TTF_GlyphIsProvided32(f->ttf, 0xFFFD) ? 0xFFFD : '?', g) == 0
                       ? (g->cp = cp + 1, 0)
                       : -1;
        return -1;
    }
    g->adv = (int16_t)adv;
    if (cp == ' ')
        return 0;
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *s = TTF_RenderGlyph32_Blended(f->ttf, cp, white);
    if (!s)
        return 0; /* nothing to draw; keep the advance */
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    if (!c)
        return 0;
    if (c->w > ATLAS || c->h > ATLAS) {
        SDL_FreeSurface(c);
        return 0;
    }
    if (!f->natlas || f->sx + c->w > ATLAS) {
        f->sx = 0;
        f->sy += f->shelf + 1;
        f->shelf = 0;
    }
    if (!f->natlas || f->sy + c->h > ATLAS) {
        if (new_atlas(f) != 0) {
            SDL_FreeSurface(c);
            return 0;
        }
    }
    SDL_Rect dst = {f->sx, f->sy, c->w, c->h};
    SDL_UpdateTexture(f->atlas[f->natlas - 1], &dst, c->pixels, c->pitch);
    g->atlas = (uint16_t)(f->natlas - 1);
    g->x = (uint16_t)dst.x;
    g->y = (uint16_t)dst.y;
    g->w = (uint16_t)c->w;
    g->h = (uint16_t)c->h;
    f->sx += c->w + 1;
    if (c->h > f->shelf)
        f->shelf = c->h;
    SDL_FreeSurface(c);
    return 0;
}

static const glyph *get_glyph(llv_font *f, uint32_t cp) {
    if (cp < 128) {
        glyph *g = &f->ascii[cp];
        if (!g->cp && make_glyph(f, cp, g) != 0)
            g->cp = cp + 1;
        return g;
    }
    if (f->used * 2 >= f->cap) {
        size_t cap = f->cap * 2;
        glyph *t = calloc(cap, sizeof *t);
        if (!t)
            return &f->ascii['?'];
        for (size_t i = 0; i < f->cap; i++)
            if (f->tab[i].cp) {
                size_t h = (f->tab[i].cp * 2654435761u) & (cap - 1);
                while (t[h].cp)
                    h = (h + 1) & (cap - 1);
                t[h] = f->tab[i];
            }
        free(f->tab);
        f->tab = t;
        f->cap = cap;
    }
    size_t h = ((cp + 1) * 2654435761u) & (f->cap - 1);
    while (f->tab[h].cp) {
        if (f->tab[h].cp == cp + 1)
            return &f->tab[h];
        h = (h + 1) & (f->cap - 1);
    }
    if (make_glyph(f, cp, &f->tab[h]) != 0)
        f->tab[h].cp = cp + 1;
    f->used++;
    return &f->tab[h];
}

/* Decodes one UTF-8 sequence; invalid bytes give U+FFFD and advance 1. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *i) {
    unsigned c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return c == '\t' ? ' ' : c < 0x20 ? 0xFFFD : c;
    }
    size_t len = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (!len || *i + len > n) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; k++) {
        unsigned d = s[*i + k];
        if ((d & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = cp << 6 | (d & 0x3F);
    }
    *i += len;
    return cp;
}

int llv_text_w(llv_font *f, const char *s, size_t n) {
    if (n == (size_t)-1)
        n = strlen(s);
    int w = 0;
    for (size_t i = 0; i < n;)
        w += get_glyph(f, next_cp((const unsigned char *)s, n, &i))->adv;
    return w;
}

size_t llv_text_fits(llv_font *f, const char *s, size_t n, int maxw, int words) {
    if (n == (size_t)-1)
        n = strlen(s);
    int w = 0;
    size_t i = 0, last_space = 0;
    while (i < n) {
        size_t j = i;
        uint32_t cp = next_cp((const unsigned char *)s, n, &j);
        int a = get_glyph(f, cp)->adv;
        if (w + a > maxw)
            break;
        w += a;
        i = j;
        if (cp == ' ')
            last_space = i;
    }
    if (words && i < n && last_space)
        return last_space;
    return i ? i : (words && n ? 1 : 0); /* wrapping always makes progress */
}

static int draw_run(llv_font *f, int x, int y, const char *s, size_t n, SDL_Color c) {
    int x0 = x;
    int cur = -1;
    for (size_t i = 0; i < n;) {
        const glyph *g = get_glyph(f, next_cp((const unsigned char *)s, n, &i));
        if (g->w) {
            if (cur != g->atlas) {
                cur = g->atlas;
                SDL_SetTextureColorMod(f->atlas[cur], c.r, c.g, c.b);
                SDL_SetTextureAlphaMod(f->atlas[cur], c.a);
            }
            SDL_Rect src = {g->x, g->y, g->w, g->h}, dst = {x, y, g->w, g->h};
            SDL_RenderCopy(f->r, f->atlas[cur], &src, &dst);
        }
        x += g->adv;
    }
    if (llv_text_hook && x > x0) {
        SDL_Rect box = {x0, y, x - x0, f->h};
        llv_text_hook(&box, s, n, llv_text_hook_ud);
    }
    return x - x0;
}

int llv_text(llv_font *f, int x, int y, const char *s, size_t n, SDL_Color c) {
    if (n == (size_t)-1)
        n = strlen(s);
    return draw_run(f, x, y, s, n, c);
}

int llv_text_fit(llv_font *f, int x, int y, int maxw, const char *s, size_t n, SDL_Color c) {
    if (n == (size_t)-1)
        n = strlen(s);
    if (maxw <= 0)
        return 0;
    if (llv_text_w(f, s, n) <= maxw)
        return draw_run(f, x, y, s, n, c);
    static const char ell[] = "\xE2\x80\xA6"; /* … */
    if (f->ellipsis_w < 0)
        f->ellipsis_w = llv_text_w(f, ell, 3);
    if (maxw < f->ellipsis_w)
        return 0;
    size_t k = llv_text_fits(f, s, n, maxw - f->ellipsis_w, 0);
    if (k >= n)
        k = 0;
    /* draw the cut text and the ellipsis as one run, for the hook's box */
    char buf[1024];
    if (k + 4 > sizeof buf)
        k = sizeof buf - 4;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--; /* do not split a character */
    memcpy(buf, s, k);
    memcpy(buf + k, ell, 3);
    return draw_run(f, x, y, buf, k + 3, c);
}
