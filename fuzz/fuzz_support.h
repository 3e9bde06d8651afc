// Shared pieces of the fuzz targets: a scratch directory per process, the
// shipped policies loaded once, and writing fuzz input to a file.
#ifndef KETENPOORT_FUZZ_FUZZ_SUPPORT_H_
#define KETENPOORT_FUZZ_FUZZ_SUPPORT_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/policy/policy_set.h"
#include "gateway/records/record_catalog.h"

namespace ketenpoort::fuzz {

// A directory of this process's own under $TMPDIR, removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/ketenpoort-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    std::atexit([] { std::filesystem::remove_all(ScratchDir()); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

inline void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The policies shipped in the repository (KETENPOORT_SOURCE_DIR/policies).
inline std::string ShippedPoliciesDir() { return std::string(KETENPOORT_SOURCE_DIR) + "/policies"; }

inline std::shared_ptr<const policy::PolicySet> ShippedPolicies() {
  static const std::shared_ptr<const policy::PolicySet> policies = [] {
    auto loaded =
        policy::PolicySet::LoadDirectory(ShippedPoliciesDir(), records::RecordCatalog::Builtin());
    if (!loaded.ok()) std::abort();
    return *loaded;
  }();
  return policies;
}

}  // namespace ketenpoort::fuzz

#endif  // KETENPOORT_FUZZ_FUZZ_SUPPORT_H_
