// Structured process log: one JSON object per line on stderr.
//
// Privacy rule: the process log never carries personal data. Callers pass
// only operational facts (event names, partner ids, codes, counts,
// latencies), never subject ids or record values. Thread-safe.
#ifndef KETENPOORT_GATEWAY_COMMON_LOG_H_
#define KETENPOORT_GATEWAY_COMMON_LOG_H_

#include <nlohmann/json.hpp>
#include <string_view>

namespace ketenpoort::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetMinLevel(Level level);
void Write(Level level, std::string_view event, nlohmann::json fields = {});

inline void Info(std::string_view event, nlohmann::json fields = {}) {
  Write(Level::kInfo, event, std::move(fields));
}
inline void Warn(std::string_view event, nlohmann::json fields = {}) {
  Write(Level::kWarn, event, std::move(fields));
}
inline void Error(std::string_view event, nlohmann::json fields = {}) {
  Write(Level::kError, event, std::move(fields));
}

}  // namespace ketenpoort::log

#endif  // KETENPOORT_GATEWAY_COMMON_LOG_H_
