// Exits 0 when OpenSSL is still usable after every other exit handler has
// run, as it must be for gRPC threads that outlive main(); 1 when it was
// torn down. With --default it skips KeepOpenSslUntilProcessExit(), to show
// the check catches OpenSSL's own cleanup at exit (ctest expects 1 then).
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gateway/common/openssl_lifetime.h"

namespace {

bool OpenSslUsable() {
  unsigned char bytes[16];
  // Once cleaned up, OpenSSL refuses to initialise again.
  return OPENSSL_init_crypto(0, nullptr) == 1 && RAND_bytes(bytes, sizeof bytes) == 1;
}

void CheckOpenSslStillUsable() {
  if (!OpenSslUsable()) {
    std::fputs("openssl_lifetime_check: OpenSSL was cleaned up before the process ended\n", stderr);
    std::_Exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Registered before OpenSSL initialises, so it runs after OpenSSL's exit
  // handler would have (exit handlers run last-registered first).
  std::atexit(CheckOpenSslStillUsable);
  const bool keep = argc < 2 || std::string_view(argv[1]) != "--default";
  if (keep && !ketenpoort::KeepOpenSslUntilProcessExit()) return 2;
  return OpenSslUsable() ? 0 : 2;
}
