// libdeflate: whole-buffer zlib decompression, for pack entries whose inflated size the pack header
// already gives (about twice as fast as zlib's streaming inflate on a whole-history read).
#include <libdeflate.h>
