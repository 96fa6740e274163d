/* str.c - string helpers too big to inline. */
#include "str.h"

#include <stdint.h>

enum { MAX_EDIT = 64 }; /* longer names get no distance */

void sk_edit_name_init(sk_edit_name *n, sk_str s) {
  n->s = s;
  memset(n->count, 0, sizeof n->count);
  if (s.len > MAX_EDIT)
    return;
  for (size_t i = 0; i < s.len; i++)
    n->count[(unsigned char)(n->folded[i] = (char)sk_lower((unsigned char)s.ptr[i]))]++;
}

size_t sk_edit_distance(sk_str a, sk_str b, size_t max) {
  sk_edit_name n;
  sk_edit_name_init(&n, a);
  return sk_edit_distance_to(&n, b, max);
}

size_t sk_edit_distance_to(const sk_edit_name *n, sk_str b, size_t max) {
  sk_str a = n->s;
  if (a.len > MAX_EDIT || b.len > MAX_EDIT)
    return SIZE_MAX;
  if (max > MAX_EDIT)
    max = MAX_EDIT; /* no distance here is larger */
  /* The length difference is a lower bound; suggestions for unknown
   * names compare against every column, so most pairs stop here. */
  if ((a.len > b.len ? a.len - b.len : b.len - a.len) > max)
    return SIZE_MAX;
  /* Only cells within max of the diagonal can stay within max; the
   * others hold `far`, which stands for "more than max". */
  const char *la = n->folded;
  char lb[MAX_EDIT]; /* folded once, not in the inner loop */
  unsigned char count[256];
  memcpy(count, n->count, sizeof count);
  /* Another lower bound: each byte not shared (as a multiset) costs one
   * edit. It rules out most candidates before the table. */
  size_t common = 0;
  for (size_t j = 0; j < b.len; j++) {
    unsigned char c = (unsigned char)(lb[j] = (char)sk_lower((unsigned char)b.ptr[j]));
    if (count[c])
      count[c]--, common++;
  }
  if ((a.len > b.len ? a.len : b.len) - common > max)
    return SIZE_MAX;
  size_t far = max + 1, row[MAX_EDIT + 1];
  for (size_t j = 0; j <= b.len; j++)
    row[j] = j <= max ? j : far;
  for (size_t i = 1; i <= a.len; i++) {
    size_t lo = i > max ? i - max : 1, hi = i + max < b.len ? i + max : b.len;
    size_t prev = row[lo - 1];
    row[lo - 1] = lo == 1 && i <= max ? i : far;
    size_t low = row[lo - 1];
    for (size_t j = lo; j <= hi; j++) {
      size_t cur = row[j];
      size_t sub = prev + (la[i - 1] != lb[j - 1]);
      size_t ins = row[j - 1] + 1, del = row[j] + 1;
      size_t best = ins < del ? ins : del;
      best = sub < best ? sub : best;
      row[j] = best < far ? best : far;
      prev = cur;
      if (row[j] < low)
        low = row[j];
    }
    if (low > max) /* every later row is at least this far */
      return SIZE_MAX;
  }
  return row[b.len] > max ? SIZE_MAX : row[b.len];
}
