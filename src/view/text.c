/* text.c - glyph cache and string drawing (see text.h). */
#include "view/text.h"

#include <SDL_ttf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ATLAS 1024

typedef struct glyph {
    uint32_t cp;    /* code point + 1 (0: empty slot) */
    uint16_t atlas; /* which atlas texture */
    uint16_t x, y, w, h;
    int16_t adv;
} glyph;

/* Glyphs of one colour.  Each colour a font draws in has its glyphs
 * rendered in that colour, so that drawing copies them with plain alpha
 * blending: a colour- or alpha-modulated copy takes SDL's generic blitter
 * in the software renderer, several times slower per pixel (at 4K it was
 * most of a frame).  Table 0 is white, for measuring, and for drawing in
 * colours past the last table, with colour modulation as before. */
typedef struct gtab {
    SDL_Color c;
    glyph *tab; /* open addressing by code point */
    size_t cap, used;
    glyph ascii[128]; /* fast path */
} gtab;

#define NCOLOURS 24

struct llv_font {
    SDL_Renderer *r;
    TTF_Font *ttf;
    int h;
    SDL_Texture **atlas;
    SDL_Color *atlas_mod; /* each atlas's current colour and alpha mod */
    size_t natlas;
    int sx, sy, shelf; /* shelf packer in the last atlas */
    gtab col[NCOLOURS];
    size_t ncol;
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
    f->col[0].c = (SDL_Color){255, 255, 255, 255};
    f->ncol = 1;
    f->ellipsis_w = -1;
    return f;
}

void llv_font_close(llv_font *f) {
    if (!f)
        return;
    for (size_t i = 0; i < f->natlas; i++)
        SDL_DestroyTexture(f->atlas[i]);
    free(f->atlas);
    free(f->atlas_mod);
    for (size_t i = 0; i < f->ncol; i++)
        free(f->col[i].tab);
    if (f->ttf)
        TTF_CloseFont(f->ttf);
    free(f);
}

int llv_font_h(const llv_font *f) {
    return f->h;
}

static int new_atlas(llv_font *f) {
    SDL_Texture *t =
        SDL_CreateTexture(f->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC, ATLAS, ATLAS);
    if (!t)
        return -1;
    SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    void *clear = calloc(ATLAS * ATLAS, 4);
    if (clear) {
        SDL_UpdateTexture(t, NULL, clear, ATLAS * 4);
        free(clear);
    }
    SDL_Texture **a = realloc(f->atlas, (f->natlas + 1) * sizeof *a);
    if (a)
        f->atlas = a;
    SDL_Color *m = a ? realloc(f->atlas_mod, (f->natlas + 1) * sizeof *m) : NULL;
    if (!m) {
        SDL_DestroyTexture(t);
        return -1;
    }
    f->atlas_mod = m;
    f->atlas_mod[f->natlas] = (SDL_Color){255, 255, 255, 255};
    f->atlas[f->natlas++] = t;
    f->sx = f->sy = f->shelf = 0;
    return 0;
}

/* Renders a glyph into the atlas. */
static int make_glyph(llv_font *f, uint32_t cp, glyph *g, SDL_Color colour) {
    memset(g, 0, sizeof *g);
    g->cp = cp + 1;
    int minx, maxx, miny, maxy, adv;
    if (!TTF_GlyphIsProvided32(f->ttf, cp) ||
        TTF_GlyphMetrics32(f->ttf, cp, &minx, &maxx, &miny, &maxy, &adv) != 0) {
        if (cp != 0xFFFD && cp != '?')
            return make_glyph(f, TTF_GlyphIsProvided32(f->ttf, 0xFFFD) ? 0xFFFD : '?', g, colour) ==
                           0
                       ? (g->cp = cp + 1, 0)
                       : -1;
        return -1;
    }
    g->adv = (int16_t)adv;
    if (cp == ' ')
        return 0;
    SDL_Surface *s = TTF_RenderGlyph32_Blended(f->ttf, cp, colour);
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

static const glyph *get_glyph_in(llv_font *f, gtab *t, uint32_t cp) {
    if (cp < 128) {
        glyph *g = &t->ascii[cp];
        if (!g->cp && make_glyph(f, cp, g, t->c) != 0)
            g->cp = cp + 1;
        return g;
    }
    if (t->used * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        glyph *n = calloc(cap, sizeof *n);
        if (!n)
            return &t->ascii['?'];
        for (size_t i = 0; i < t->cap; i++)
            if (t->tab[i].cp) {
                size_t h = (t->tab[i].cp * 2654435761u) & (cap - 1);
                while (n[h].cp)
                    h = (h + 1) & (cap - 1);
                n[h] = t->tab[i];
            }
        free(t->tab);
        t->tab = n;
        t->cap = cap;
    }
    size_t h = ((cp + 1) * 2654435761u) & (t->cap - 1);
    while (t->tab[h].cp) {
        if (t->tab[h].cp == cp + 1)
            return &t->tab[h];
        h = (h + 1) & (t->cap - 1);
    }
    if (make_glyph(f, cp, &t->tab[h], t->c) != 0)
        t->tab[h].cp = cp + 1;
    t->used++;
    return &t->tab[h];
}

/* Measuring: advances do not depend on the colour. */
static const glyph *get_glyph(llv_font *f, uint32_t cp) {
    return get_glyph_in(f, &f->col[0], cp);
}

/* The glyph table of colour c; NULL when every table is taken (the caller
 * then modulates white glyphs). */
static gtab *colour_table(llv_font *f, SDL_Color c) {
    for (size_t i = 0; i < f->ncol; i++)
        if (f->col[i].c.r == c.r && f->col[i].c.g == c.g && f->col[i].c.b == c.b &&
            f->col[i].c.a == c.a)
            return &f->col[i];
    if (f->ncol == NCOLOURS)
        return NULL;
    gtab *t = &f->col[f->ncol++];
    t->c = c;
    return t;
}

static void set_mod(llv_font *f, int atlas, SDL_Color m) {
    SDL_Color *cur = &f->atlas_mod[atlas];
    if (cur->r != m.r || cur->g != m.g || cur->b != m.b) {
        SDL_SetTextureColorMod(f->atlas[atlas], m.r, m.g, m.b);
        cur->r = m.r, cur->g = m.g, cur->b = m.b;
    }
    if (cur->a != m.a) {
        SDL_SetTextureAlphaMod(f->atlas[atlas], m.a);
        cur->a = m.a;
    }
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
    gtab *t = colour_table(f, c);
    SDL_Color mod = t ? (SDL_Color){255, 255, 255, 255} : c;
    if (!t)
        t = &f->col[0];
    for (size_t i = 0; i < n;) {
        const glyph *g = get_glyph_in(f, t, next_cp((const unsigned char *)s, n, &i));
        if (g->w) {
            if (cur != g->atlas) {
                cur = g->atlas;
                set_mod(f, cur, mod);
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
