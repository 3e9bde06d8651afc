// Where the tests find the project's files and the CTest-generated dev
// certificates. Set by tests/CMakeLists.txt.
#ifndef KETENPOORT_TESTS_SUPPORT_TEST_PATHS_H_
#define KETENPOORT_TESTS_SUPPORT_TEST_PATHS_H_

#include <string>

namespace ketenpoort::testing {

inline std::string SourceDir() { return KETENPOORT_SOURCE_DIR; }
inline std::string PoliciesDir() { return SourceDir() + "/policies"; }
// Made by the "dev_certs" CTest fixture with certs-dev/make-dev-certs.sh.
inline std::string CertsDir() { return KETENPOORT_TEST_CERTS_DIR; }
inline std::string GatewayBinary() { return KETENPOORT_GATEWAY_BINARY; }
inline std::string KetenctlBinary() { return KETENPOORT_KETENCTL_BINARY; }
inline std::string SourceBinary() { return KETENPOORT_SOURCE_BINARY; }

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_TEST_PATHS_H_
