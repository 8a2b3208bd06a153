/* png.c - writing frames as PNG with libpng.
 *
 * libpng rather than SDL2_image: it is the one library SDL2_image itself
 * would use for this, without SDL2_image's other codecs (JPEG, TIFF, WebP)
 * that Looplab never reads, and it works on a plain pixel buffer, so the
 * headless renderer does not need anything more than SDL's software
 * renderer. */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "view/app.h"

int llv_png_write(const char *path, const void *pixels, int w, int h, int pitch) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = malloc((size_t)w * 3);
    if (!png || !info || !row) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_compression_level(png, 3); /* frames are big; speed over bytes */
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *src =
            (const uint32_t *)((const uint8_t *)pixels + (size_t)y * (size_t)pitch);
        for (int x = 0; x < w; x++) {
            uint32_t p = src[x]; /* ARGB8888 */
            row[3 * x] = (uint8_t)(p >> 16);
            row[3 * x + 1] = (uint8_t)(p >> 8);
            row[3 * x + 2] = (uint8_t)p;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return fclose(f) == 0 ? 0 : -1;
}
