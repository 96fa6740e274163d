/* re2_check.cc - the one C++ file: compiles a pattern with RE2 and turns
 * its error into a short, printable message for a diagnostic. Nothing is
 * cached; a rule has few regular expressions. */
#include "re2_check.h"

#include <re2/re2.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

const size_t kMaxFragment = 40; // code points of the pattern quoted

// Appends s with control characters escaped, cut after max code points
// (then "...").
void put_printable(std::string &out, const std::string &s, size_t max) {
  size_t points = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && points++ == max) {
      out += "...";
      return;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
}

char *dup_c(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) {
    std::fputs("sigmakql: fatal: out of memory\n", stderr);
    std::abort();
  }
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

} // namespace

extern "C" bool sk_re2_check(const char *pattern, size_t len, char **error) {
  if (error)
    *error = nullptr;
  RE2::Options opts;
  opts.set_log_errors(false); // the message goes into a diagnostic instead
  RE2 re(re2::StringPiece(pattern, len), opts);
  if (re.ok())
    return true;
  if (error) {
    // RE2's error() is "<what>: <fragment>"; rebuild it with the fragment
    // made printable. Errors without a fragment ("pattern too large -
    // compile failed") are kept as they are.
    std::string msg = re.error();
    const std::string &arg = re.error_arg();
    if (!arg.empty() && msg.size() >= arg.size() + 2 &&
        msg.compare(msg.size() - arg.size() - 2, std::string::npos, ": " + arg) == 0) {
      msg.resize(msg.size() - arg.size());
      put_printable(msg, arg, kMaxFragment);
    } else {
      std::string raw = msg;
      msg.clear();
      put_printable(msg, raw, 200);
    }
    *error = dup_c(msg);
  }
  return false;
}
