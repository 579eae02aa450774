/* JPEG marker walk (see jpeg_check.h). Layout: SOI (FF D8), then segments "FF xx length(2, big
 * endian, includes itself) payload"; each SOS segment is followed by entropy-coded data in which
 * FF is escaped as FF 00 and restart markers FF D0..D7 may appear; EOI (FF D9) ends the image. */
#include "tools/jpeg_check.h"
#include "engine/error.h"

#define MARKER_SOI 0xD8
#define MARKER_EOI 0xD9
#define MARKER_SOS 0xDA
#define MARKER_TEM 0x01

static gboolean
is_restart (guint8 marker)
{
  return marker >= 0xD0 && marker <= 0xD7;
}

/* Position of the first marker after entropy-coded data starting at pos, or len when there is
 * none before the end of the file. */
static gsize
skip_entropy_coded_data (const guint8 *data, gsize len, gsize pos)
{
  for (; pos + 1 < len; pos++) {
    guint8 next = data[pos + 1];
    if (data[pos] == 0xFF && next != 0x00 && next != 0xFF && !is_restart (next))
      return pos;
  }
  return len;
}

static const char *
walk (const guint8 *data, gsize len)
{
  if (len < 2 || data[0] != 0xFF || data[1] != MARKER_SOI)
    return "not a JPEG file";
  gsize pos = 2;
  for (;;) {
    if (pos >= len)
      return "the file is truncated";
    if (data[pos] != 0xFF)
      return "the file is damaged (no marker where one must be)";
    while (pos < len && data[pos] == 0xFF)   /* fill bytes before a marker are allowed */
      pos++;
    if (pos >= len)
      return "the file is truncated";
    guint8 marker = data[pos++];
    if (marker == MARKER_EOI)
      return NULL;
    if (marker == MARKER_TEM || is_restart (marker))
      continue;
    if (marker == MARKER_SOI || marker == 0x00)
      return "the file is damaged (misplaced marker)";
    if (pos + 2 > len)
      return "the file is truncated";
    gsize segment = ((gsize) data[pos] << 8) | data[pos + 1];
    if (segment < 2)
      return "the file is damaged (bad segment length)";
    if (segment > len - pos)
      return "the file is truncated";
    pos += segment;
    if (marker == MARKER_SOS) {
      pos = skip_entropy_coded_data (data, len, pos);
      if (pos >= len)
        return "the file is truncated";
    }
  }
}

gboolean
vks_jpeg_check_complete (const char *path, GError **error)
{
  GError *map_error = NULL;
  GMappedFile *file = g_mapped_file_new (path, FALSE, &map_error);
  if (!file) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: cannot read image: %s", path,
                 map_error->message);
    g_error_free (map_error);
    return FALSE;
  }
  const char *problem = walk ((const guint8 *) g_mapped_file_get_contents (file),
                              g_mapped_file_get_length (file));
  g_mapped_file_unref (file);
  if (problem)
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "%s: cannot read image: %s", path, problem);
  return problem == NULL;
}
