#include "gateway/common/yaml_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort {
namespace {

absl::Status BadConfig(std::string message) {
  return MakeError(absl::StatusCode::kInvalidArgument, "BAD_CONFIG", message);
}

}  // namespace

absl::StatusOr<YamlFile> YamlFile::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "CONFIG_UNREADABLE",
                     "cannot read " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return Parse(path, buffer.str());
}

absl::StatusOr<YamlFile> YamlFile::Parse(const std::string& path_for_messages,
                                         const std::string& text) {
  // yaml-cpp reports problems by exception; they stop here.
  try {
    YAML::Node root = YAML::Load(text);
    return YamlFile(path_for_messages, text, std::move(root));
  } catch (const YAML::Exception& e) {
    return BadConfig(path_for_messages + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

std::string YamlFile::Where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return path_;
  return path_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

absl::Status YamlFile::ErrorAt(const YAML::Node& node, std::string_view message) const {
  return BadConfig(Where(node) + ": " + std::string(message));
}

absl::StatusOr<std::string> YamlFile::RequiredString(const YAML::Node& map,
                                                     std::string_view key) const {
  const YAML::Node value = map[std::string(key)];
  if (!value) return ErrorAt(map, "missing required key '" + std::string(key) + "'");
  if (!value.IsScalar() || value.Scalar().empty()) {
    return ErrorAt(value, "'" + std::string(key) + "' must be a non-empty string");
  }
  return value.Scalar();
}

absl::StatusOr<std::string> YamlFile::OptionalString(const YAML::Node& map, std::string_view key,
                                                     std::string fallback) const {
  const YAML::Node value = map[std::string(key)];
  if (!value) return fallback;
  if (!value.IsScalar()) {
    return ErrorAt(value, "'" + std::string(key) + "' must be a string");
  }
  return value.Scalar();
}

absl::StatusOr<std::vector<std::string>> YamlFile::StringList(const YAML::Node& map,
                                                              std::string_view key) const {
  std::vector<std::string> out;
  const YAML::Node value = map[std::string(key)];
  if (!value) return out;
  if (value.IsScalar()) {
    out.push_back(value.Scalar());
    return out;
  }
  if (!value.IsSequence()) {
    return ErrorAt(value, "'" + std::string(key) + "' must be a list of strings");
  }
  for (const YAML::Node& item : value) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return ErrorAt(item, "'" + std::string(key) + "' must hold non-empty strings");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

absl::StatusOr<int64_t> YamlFile::OptionalInt(const YAML::Node& map, std::string_view key,
                                              int64_t fallback) const {
  const YAML::Node value = map[std::string(key)];
  if (!value) return fallback;
  int64_t parsed = 0;
  if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, parsed)) {
    return ErrorAt(value, "'" + std::string(key) + "' must be an integer");
  }
  return parsed;
}

absl::Status YamlFile::OnlyKeys(const YAML::Node& map,
                                std::initializer_list<std::string_view> allowed) const {
  if (!map.IsMap()) return ErrorAt(map, "expected a mapping");
  for (const auto& item : map) {
    const std::string key = item.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return ErrorAt(item.first, "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }
  return absl::OkStatus();
}

}  // namespace ketenpoort
