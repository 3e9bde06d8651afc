#include "gateway/common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace ketenpoort::log {
namespace {

std::atomic<Level> min_level{Level::kInfo};
std::mutex write_mutex;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetMinLevel(Level level) { min_level.store(level); }

void Write(Level level, std::string_view event, nlohmann::json fields) {
  if (level < min_level.load()) return;
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  fields["level"] = LevelName(level);
  fields["event"] = event;
  const std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(write_mutex);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace ketenpoort::log
