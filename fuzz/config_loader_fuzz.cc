// The gateway config loader over arbitrary YAML: a clear error or a
// config, never a crash. An error names the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "gateway/config/gateway_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ketenpoort::fuzz::ScratchDir() / "gateway.yaml";
  ketenpoort::fuzz::WriteFile(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto config = ketenpoort::config::LoadGatewayConfig(path.string());
  if (!config.ok() &&
      std::string(config.status().message()).find(path.string()) == std::string::npos) {
    std::abort();  // every error must say which file
  }
  return 0;
}
