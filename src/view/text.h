/* text.h - text drawing through a glyph cache (SDL2_ttf).
 *
 * Each glyph is rendered once per font and size into an atlas texture; a
 * string is then one texture copy per glyph, so nothing calls TTF_Render
 * per frame.  Strings are UTF-8; bytes that are not become U+FFFD. */
#ifndef LLV_TEXT_H
#define LLV_TEXT_H

#include <SDL.h>
#include <stddef.h>

typedef struct llv_font llv_font;

/* Opens a TrueType font at `px` pixels for drawing with `r`; NULL (and an
 * SDL error) when it cannot. */
llv_font *llv_font_open(SDL_Renderer *r, const char *path, int px);
void llv_font_close(llv_font *f);
/* Line height in pixels. */
int llv_font_h(const llv_font *f);
/* Width of the first n bytes of s (n == (size_t)-1: up to the NUL). */
int llv_text_w(llv_font *f, const char *s, size_t n);
/* Draws s with its top-left corner at (x, y); returns the width drawn. */
int llv_text(llv_font *f, int x, int y, const char *s, size_t n, SDL_Color c);
/* Draws s cut to maxw pixels (ending in "…" when cut); returns the width. */
int llv_text_fit(llv_font *f, int x, int y, int maxw, const char *s, size_t n, SDL_Color c);
/* How many bytes of s fit in maxw pixels, breaking after a space when
 * `words` (for wrapping). */
size_t llv_text_fits(llv_font *f, const char *s, size_t n, int maxw, int words);

/* For tests: when set, called with the box and bytes of every string drawn
 * (a string cut to fit comes as its visible part, then the ellipsis). */
extern void (*llv_text_hook)(const SDL_Rect *box, const char *s, size_t n, void *ud);
extern void *llv_text_hook_ud;

#endif
