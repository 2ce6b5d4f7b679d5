#include <git2.h>

// Fixed-arity wrappers for libgit2's variadic git_libgit2_opts, which Swift cannot call.
static inline int cgit2_opts_size(int option, size_t value) {
  return git_libgit2_opts(option, value);
}

static inline int cgit2_opts_int(int option, int value) {
  return git_libgit2_opts(option, value);
}

static inline int cgit2_opts_type_size(int option, git_object_t type, size_t value) {
  return git_libgit2_opts(option, type, value);
}

static inline int cgit2_opts_ssize(int option, ssize_t value) {
  return git_libgit2_opts(option, value);
}

// zlib, for reading pack entries directly (inflateInit is a macro Swift cannot call).
#include <zlib.h>

static inline int cgit2_inflate_init(z_stream *stream) {
  return inflateInit(stream);
}

// glibc: give freed heap pages back to the system (long whole-history reads free far more than
// they keep; without it, the heap's free holes stay resident).
#include <malloc.h>

static inline int cgit2_malloc_trim(void) {
  return malloc_trim(0);
}
