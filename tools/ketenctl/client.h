// Connection settings shared by ketenctl's commands: which gateway, and
// which partner certificate to present.
#ifndef KETENPOORT_TOOLS_KETENCTL_CLIENT_H_
#define KETENPOORT_TOOLS_KETENCTL_CLIENT_H_

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ketenpoort::ketenctl {

struct ClientOptions {
  std::string address = "127.0.0.1:50051";
  std::string certs_dir = "certs-dev/out";
  std::string as;    // partner certificate name in certs_dir, e.g. "gemeente-woerden"
  std::string cert;  // or explicit files
  std::string key;
  std::string ca;
};

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const ClientOptions& options);

// Prints "error: <message>" to stderr and returns `code` (the exit code).
int Fail(std::string_view message, int code = 2);
int Fail(const absl::Status& status, int code = 2);
// A file's bytes, or nullopt if it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);
// A key given on the command line as text, or as @file (trailing white
// space dropped).
absl::StatusOr<std::string> KeyText(const std::string& text);
// A 30 s deadline, and the actor headers when given.
void AddMetadata(grpc::ClientContext& context, const std::string& actor_id,
                 const std::string& actor_role);

// Prints code, message and ErrorInfo reason of a failed call to stderr.
void PrintError(const grpc::Status& status);
// A message as indented JSON with the proto field names, on stdout.
void PrintJson(const google::protobuf::Message& message);

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_CLIENT_H_
