// The policy loader over arbitrary YAML in each kind of policy file: a
// rule file beside the shipped ones, partners.yaml, or assertions.yaml
// replaced. A clear error naming the file, or a policy set; never a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz/fuzz_support.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    const fs::path copy = ketenpoort::fuzz::ScratchDir() / "policies";
    fs::copy(ketenpoort::fuzz::ShippedPoliciesDir(), copy, fs::copy_options::recursive);
    fs::remove_all(copy / "tests");
    return copy;
  }();
  FuzzedDataProvider input(data, size);
  static const char* const kFiles[] = {"fuzz-rules.yaml", "partners.yaml", "assertions.yaml"};
  const char* file = kFiles[input.ConsumeIntegralInRange<size_t>(0, 2)];
  const fs::path target = dir / file;
  const fs::path shipped = fs::path(ketenpoort::fuzz::ShippedPoliciesDir()) / file;
  ketenpoort::fuzz::WriteFile(target, input.ConsumeRemainingBytesAsString());
  auto loaded = ketenpoort::policy::PolicySet::LoadDirectory(
      dir.string(), ketenpoort::records::RecordCatalog::Builtin());
  if (!loaded.ok() &&
      std::string(loaded.status().message()).find(dir.string()) == std::string::npos) {
    std::abort();  // every error must say which file
  }
  // Put the shipped file back (or remove the extra one) for the next input.
  if (fs::exists(shipped)) {
    fs::copy_file(shipped, target, fs::copy_options::overwrite_existing);
  } else {
    fs::remove(target);
  }
  return 0;
}
