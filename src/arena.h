/* arena.h - bump allocator.
 * Memory comes back only through sk_arena_reset() or sk_arena_free(); there
 * is no per-object free. Allocation failure aborts the process. */
#ifndef SK_ARENA_H
#define SK_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "str.h"

struct sk_chunk;

typedef struct sk_arena {
  struct sk_chunk *head; /* newest chunk first */
  size_t chunk_size;     /* default 64 KiB; larger requests get their own chunk */
  char *free;            /* the unused tail of the newest regular chunk: */
  size_t left;           /* bytes there; always 0 under SK_ARENA_DEBUG */
  struct sk_chunk *spare; /* regular chunks kept by the last reset, not yet used again */
} sk_arena;

/* What sk_arena_reset keeps for reuse, at most. */
enum { SK_ARENA_KEEP = 1024 * 1024 };

/* Aborts with "sigmakql: fatal: out of memory". */
_Noreturn void sk_oom(void);

/* sk_arena_bytes when the current chunk lacks room: a new chunk. */
void *sk_arena_bytes_new(sk_arena *a, size_t size);

/* As sk_arena_alloc, but the memory is not zeroed (for text). Inline: a
 * rule makes hundreds of allocations, and most only move a pointer. */
static inline void *sk_arena_bytes(sk_arena *a, size_t size) {
  /* left is a multiple of the alignment, so the rounded size fits too */
  if (size < a->left) {
    const size_t align = _Alignof(max_align_t);
    size_t rounded = (size + align - 1) & ~(align - 1);
    void *p = a->free;
    a->free += rounded;
    a->left -= rounded;
    return p;
  }
  return sk_arena_bytes_new(a, size);
}

/* Returns zeroed memory aligned for any object, owned by the arena. */
static inline void *sk_arena_alloc(sk_arena *a, size_t size) {
  void *p = sk_arena_bytes(a, size);
  memset(p, 0, size);
  return p;
}
/* As sk_arena_alloc for n objects of size bytes; aborts on overflow. */
static inline void *sk_arena_array(sk_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    sk_oom();
  return sk_arena_alloc(a, n * size);
}
/* Copies s[0..n) and appends a NUL. */
static inline char *sk_arena_strndup(sk_arena *a, const char *s, size_t n) {
  char *p = sk_arena_bytes(a, n + 1);
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}
/* Drops every allocation; keeps up to SK_ARENA_KEEP bytes of regular
 * chunks for the allocations that follow. */
void sk_arena_reset(sk_arena *a);
void sk_arena_free(sk_arena *a);

void *sk_xmalloc(size_t size);
void *sk_xrealloc(void *p, size_t size);

/* A malloc'd, NUL-terminated copy of s[0..n); the caller frees it. */
char *sk_xstrndup(const char *s, size_t n);
static inline char *sk_xstrdup_str(sk_str s) { return sk_xstrndup(s.ptr, s.len); }

#define SK_NEW(a, T) ((T *)sk_arena_alloc((a), sizeof(T)))

#endif
