#include "gateway/common/openssl_lifetime.h"

#include <openssl/crypto.h>

namespace ketenpoort {

bool KeepOpenSslUntilProcessExit() {
  // Only the first initialisation decides whether the exit handler is
  // registered, hence "first thing in main()".
  return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
}

}  // namespace ketenpoort
