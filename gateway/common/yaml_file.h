// Loading YAML files with errors that name file and line.
//
// Config and policy files are validated at start-up; every complaint
// points at "file:line:column" so an operator can fix it directly.
#ifndef KETENPOORT_GATEWAY_COMMON_YAML_FILE_H_
#define KETENPOORT_GATEWAY_COMMON_YAML_FILE_H_

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ketenpoort {

class YamlFile {
 public:
  // Parses the file; a syntax error becomes INVALID_ARGUMENT with its position.
  static absl::StatusOr<YamlFile> Load(const std::string& path);
  static absl::StatusOr<YamlFile> Parse(const std::string& path_for_messages,
                                        const std::string& text);

  const std::string& path() const { return path_; }
  const YAML::Node& root() const { return root_; }
  const std::string& text() const { return text_; }

  // "path:line:col: message" as an INVALID_ARGUMENT status (reason BAD_CONFIG).
  absl::Status ErrorAt(const YAML::Node& node, std::string_view message) const;
  std::string Where(const YAML::Node& node) const;

  // Typed access. Missing required keys are reported at the parent node.
  absl::StatusOr<std::string> RequiredString(const YAML::Node& map, std::string_view key) const;
  absl::StatusOr<std::string> OptionalString(const YAML::Node& map, std::string_view key,
                                             std::string fallback = "") const;
  absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& map,
                                                      std::string_view key) const;
  absl::StatusOr<int64_t> OptionalInt(const YAML::Node& map, std::string_view key,
                                      int64_t fallback) const;
  // Fails on keys outside `allowed`, catching typos such as "purpsoe".
  absl::Status OnlyKeys(const YAML::Node& map,
                        std::initializer_list<std::string_view> allowed) const;

 private:
  YamlFile(std::string path, std::string text, YAML::Node root)
      : path_(std::move(path)), text_(std::move(text)), root_(std::move(root)) {}

  std::string path_;
  std::string text_;
  YAML::Node root_;
};

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_YAML_FILE_H_
