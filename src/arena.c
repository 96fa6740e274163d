/* arena.c - bump allocator; see arena.h for the ownership rules.
 * Under SK_ARENA_DEBUG (the sanitizer build) every allocation is its own
 * malloc, so AddressSanitizer sees overflows between objects. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sk_chunk {
  struct sk_chunk *next;
  size_t size;        /* usable bytes after the header */
  max_align_t data[]; /* aligned start of the usable bytes */
};

_Noreturn void sk_oom(void) {
  fputs("sigmakql: fatal: out of memory\n", stderr);
  abort();
}

void *sk_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p)
    sk_oom();
  return p;
}

void *sk_xrealloc(void *p, size_t size) {
  p = realloc(p, size ? size : 1);
  if (!p)
    sk_oom();
  return p;
}

char *sk_xstrndup(const char *s, size_t n) {
  char *p = sk_xmalloc(n + 1);
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static struct sk_chunk *new_chunk(size_t size) {
  struct sk_chunk *c = sk_xmalloc(sizeof(struct sk_chunk) + size);
  c->next = NULL;
  c->size = size;
  return c;
}

#ifndef SK_ARENA_DEBUG /* the debug arena gives every allocation a chunk */
/* Makes c the chunk that sk_arena_bytes takes from, used bytes in. */
static void *take(sk_arena *a, struct sk_chunk *c, size_t used) {
  a->free = (char *)c->data + used;
  /* a multiple of the alignment, whatever chunk_size is: the inline
   * sk_arena_bytes relies on it */
  a->left = (c->size - used) & ~(_Alignof(max_align_t) - 1);
  return c->data;
}
#endif

void *sk_arena_bytes_new(sk_arena *a, size_t size) {
  const size_t align = _Alignof(max_align_t);
  if (size > SIZE_MAX - align)
    sk_oom();
  size = (size + align - 1) & ~(align - 1);
#ifdef SK_ARENA_DEBUG
  struct sk_chunk *d = new_chunk(size);
  d->next = a->head;
  a->head = d;
  return d->data;
#else
  if (!a->chunk_size)
    a->chunk_size = 64 * 1024;
  if (size == a->left && size) { /* exactly the rest of the current chunk */
    void *p = a->free;
    a->free += size;
    a->left = 0;
    return p;
  }
  struct sk_chunk *c = a->head;
  if (size > a->chunk_size / 4) {
    /* A big request gets a chunk of its own behind the current one, so
     * the current chunk's free tail stays usable. */
    struct sk_chunk *big = new_chunk(size);
    if (c) {
      big->next = c->next;
      c->next = big;
    } else {
      a->head = big;
    }
    return big->data;
  }
  c = a->spare; /* a chunk kept at the last reset, or a new one */
  if (c)
    a->spare = c->next;
  else
    c = new_chunk(a->chunk_size);
  c->next = a->head;
  a->head = c;
  return take(a, c, size);
#endif
}

void sk_arena_reset(sk_arena *a) {
#ifdef SK_ARENA_DEBUG
  sk_arena_free(a);
#else
  /* Keep the regular chunks, up to SK_ARENA_KEEP bytes of them, for the
   * next rule or file: freeing them and allocating them again for every
   * file made malloc hand the top of the heap back to the system and
   * fault it in again (about a tenth of the corpus's time). Own chunks of
   * big requests, and what a huge input needed beyond the cap, go back. */
  struct sk_chunk *keep = NULL;
  size_t kept = 0;
  struct sk_chunk *lists[2] = {a->head, a->spare};
  for (int l = 0; l < 2; l++)
    for (struct sk_chunk *c = lists[l], *next; c; c = next) {
      next = c->next;
      if (c->size == a->chunk_size && kept + c->size <= SK_ARENA_KEEP) {
        c->next = keep;
        keep = c;
        kept += c->size;
      } else {
        free(c);
      }
    }
  a->head = NULL;
  a->spare = NULL;
  a->free = NULL;
  a->left = 0;
  if (keep) { /* the first kept chunk is current, the others spare */
    a->spare = keep->next;
    keep->next = NULL;
    a->head = keep;
    take(a, keep, 0);
  }
#endif
}

void sk_arena_free(sk_arena *a) {
  struct sk_chunk *lists[2] = {a->head, a->spare};
  for (int l = 0; l < 2; l++)
    for (struct sk_chunk *c = lists[l], *next; c; c = next) {
      next = c->next;
      free(c);
    }
  a->head = NULL;
  a->spare = NULL;
  a->free = NULL;
  a->left = 0;
}
