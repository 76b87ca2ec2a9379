/* pngrowloop: the floor for decoding a PNG -- libpng's pull reader, one row
 * buffer, the output layout pngtiledec produces, nothing else. The
 * benchmarks compare pngtiledec against it.
 *
 *   pngrowloop FILE.png
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  png_structp png;
  png_infop info;
  png_bytep row;
  FILE *f;
  png_uint_32 y, height;
  int color_type, depth, pass, passes;
  volatile unsigned long checksum = 0;

  if (argc != 2) {
    fprintf (stderr, "usage: pngrowloop FILE.png\n");
    return 2;
  }
  f = fopen (argv[1], "rb");
  if (!f) {
    perror (argv[1]);
    return 1;
  }
  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  info = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png))) {
    fprintf (stderr, "pngrowloop: libpng error\n");
    return 1;
  }
  png_init_io (png, f);
  png_set_user_limits (png, 0x7fffffff, 0x7fffffff);
  png_read_info (png, info);
  color_type = png_get_color_type (png, info);
  depth = png_get_bit_depth (png, info);
  png_set_expand (png);
  if (png_get_valid (png, info, PNG_INFO_tRNS)
      || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    if (!(color_type & PNG_COLOR_MASK_COLOR))
      png_set_gray_to_rgb (png);
  } else if (color_type == PNG_COLOR_TYPE_RGB && depth == 16) {
    png_set_add_alpha (png, 0xffff, PNG_FILLER_AFTER);
  }
  passes = png_set_interlace_handling (png);
  png_read_update_info (png, info);
  if (passes > 1) {
    fprintf (stderr, "pngrowloop: interlaced images need a whole-image "
        "buffer; not a row loop\n");
    return 1;
  }
  height = png_get_image_height (png, info);
  row = malloc (png_get_rowbytes (png, info));
  for (pass = 0; pass < passes; pass++) {
    for (y = 0; y < height; y++) {
      png_read_row (png, row, NULL);
      checksum += row[0];
    }
  }
  png_read_end (png, NULL);
  png_destroy_read_struct (&png, &info, NULL);
  free (row);
  fclose (f);
  /* keeps the loop from being optimised away */
  return checksum == 1 ? 3 : 0;
}
