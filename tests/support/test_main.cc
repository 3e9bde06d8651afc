// The test binaries' main(): gtest_main's, after keeping OpenSSL alive
// for the gRPC threads that outlive the tests.
#include <gtest/gtest.h>

#include <cstdio>

#include "gateway/common/openssl_lifetime.h"

int main(int argc, char** argv) {
  if (!ketenpoort::KeepOpenSslUntilProcessExit()) {
    std::fprintf(stderr, "cannot initialise OpenSSL\n");
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
