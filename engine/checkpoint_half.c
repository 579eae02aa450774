/* IEEE half precision <-> float, for F16 checkpoints: exact one way, round to nearest even the
 * other. */
#include "engine/checkpoint-private.h"

#include <string.h>

#define HALF_MAX_BITS 0x7bffu

float
vks_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;
  guint32 bits;

  if (exponent == 0x1f)
    bits = sign | 0x7f800000u | (mantissa << 13); /* infinity or NaN */
  else if (exponent != 0)
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  else if (mantissa == 0)
    bits = sign;
  else
    {
      /* Every half subnormal is a float normal: shift the leading 1 into the implicit bit. */
      guint32 shift = 0;
      while ((mantissa & 0x400u) == 0)
        {
          mantissa <<= 1;
          shift++;
        }
      bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  float f;
  memcpy (&f, &bits, sizeof f);
  return f;
}

guint16
vks_float_to_half (float f)
{
  guint32 x;
  memcpy (&x, &f, sizeof x);
  guint16 sign = (guint16) ((x >> 16) & 0x8000u);
  guint32 a = x & 0x7fffffffu;

  if (a > 0x7f800000u)
    return sign | 0x7e00u;
  if (a == 0x7f800000u)
    return sign | 0x7c00u;
  if (a >= 0x477ff000u) /* 65520: the first value that rounds to infinity */
    return sign | HALF_MAX_BITS;
  if (a >= 0x38800000u) /* 2^-14: half normal range */
    {
      guint32 h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ffu);
      guint32 rest = a & 0x1fffu;
      if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is still the correctly rounded value */
      return sign | (guint16) h;
    }
  guint32 exponent = a >> 23;
  if (exponent < 102) /* below 2^-25, half of the smallest subnormal */
    return sign;
  guint32 mantissa = (a & 0x7fffffu) | 0x800000u;
  guint32 shift = 126 - exponent; /* 14 .. 24 */
  guint32 h = mantissa >> shift;
  guint32 rest = mantissa & ((1u << shift) - 1);
  guint32 halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (h & 1u)))
    h++;
  return sign | (guint16) h;
}
