// A checkpoint signer for tests, with a key made once per test process.
#ifndef KETENPOORT_TESTS_SUPPORT_TEST_SIGNER_H_
#define KETENPOORT_TESTS_SUPPORT_TEST_SIGNER_H_

#include "gateway/audit/checkpoint.h"

namespace ketenpoort::testing {

inline const crypto::Ed25519PrivateKey& TestSigningKey() {
  static const crypto::Ed25519PrivateKey key = crypto::Ed25519PrivateKey::Generate();
  return key;
}

inline audit::CheckpointSigner TestCheckpointSigner() {
  return audit::CheckpointSigner("ketenpoort.test/audit", TestSigningKey());
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_TEST_SIGNER_H_
