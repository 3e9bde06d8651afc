#include "tools/ketenctl/witness_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "gateway/audit/witness.h"
#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "ketenpoort/v1/audit.grpc.pb.h"

namespace ketenpoort::ketenctl {
namespace {

// Replaces `path` with `bytes` whole: a crash leaves the old state or the
// new one, never a mix, and the new one is on disk before we return.
absl::Status WriteDurably(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::UnavailableError("cannot write " + temporary);
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError("cannot write " + path);
  }
  const std::string dir = std::filesystem::absolute(path).parent_path().string();
  if (const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace

void WitnessCommands::Register(CLI::App& audit,
                               const std::function<void(CLI::App*)>& add_client_options) {
  witness_ = audit.add_subcommand(
      "witness", "cosign the latest checkpoint if it extends the last one this witness cosigned");
  add_client_options(witness_);
  witness_->add_option("--log-key", log_key_, "the log's checkpoint verifier key, or @file")
      ->required();
  witness_->add_option("--witness-key", key_file_, "the witness's Ed25519 signing key (PEM)")
      ->required();
  witness_->add_option("--name", name_, "the witness's name, e.g. witness.example.nl")->required();
  witness_->add_option("--state", state_file_, "where the last cosigned checkpoint is kept")
      ->required();
  witness_->add_flag("--init", init_,
                     "start afresh: only when the state file does not exist yet (first run)");

  witness_key_ = audit.add_subcommand("witness-key", "print a witness's verifier key");
  witness_key_->add_option("--witness-key", key_file_, "the witness's Ed25519 key (PEM)")
      ->required();
  witness_key_->add_option("--name", name_, "the witness's name")->required();

  cosigned_ =
      audit.add_subcommand("cosigned", "check a checkpoint's log signature and cosignature");
  cosigned_->add_option("--log-key", log_key_, "the log's checkpoint verifier key, or @file")
      ->required();
  cosigned_
      ->add_option("--witness-verifier-key", witness_key_text_,
                   "the witness's verifier key, or @file")
      ->required();
  cosigned_->add_option("note", note_file_, "a cosigned checkpoint (file)")->required();
}

int WitnessCommands::RunParsed(const ClientOptions& client) {
  if (witness_->parsed()) return RunWitness(client);
  if (witness_key_->parsed()) return RunWitnessKey();
  if (cosigned_->parsed()) return RunCosigned();
  return -1;
}

int WitnessCommands::RunWitnessKey() {
  auto key = crypto::Ed25519PrivateKey::FromPemFile(key_file_);
  if (!key.ok()) return Fail(key.status());
  std::printf("%s\n", audit::WitnessSigner(name_, *std::move(key)).VerifierKey().c_str());
  return 0;
}

int WitnessCommands::RunWitness(const ClientOptions& client) {
  auto log_text = KeyText(log_key_);
  if (!log_text.ok()) return Fail(log_text.status());
  auto log = audit::CheckpointVerifier::FromVerifierKey(*log_text);
  if (!log.ok()) return Fail(log.status());
  auto key = crypto::Ed25519PrivateKey::FromPemFile(key_file_);
  if (!key.ok()) return Fail(key.status());
  const audit::WitnessSigner signer(name_, *std::move(key));

  // What this witness cosigned last: it must carry our own cosignature, so
  // an edited state file is noticed rather than trusted.
  // A name with a space or '+' would give unparseable lines and keys.
  if (name_.empty() || name_.find_first_of(" +\n") != std::string::npos) {
    return Fail("--name must not be empty or hold spaces or '+'");
  }
  std::string previous;
  const bool have_state = std::filesystem::exists(state_file_);
  // A deleted state file must not quietly let a rolled-back log through.
  if (have_state == init_) {
    return Fail(have_state ? "--init, but " + state_file_ + " exists: this witness has state"
                           : state_file_ + " does not exist; give --init on the first run only");
  }
  if (have_state) {
    std::optional<std::string> kept = ReadFile(state_file_);
    if (!kept) return Fail("cannot read " + state_file_);
    auto own = audit::CosignatureVerifier::FromVerifierKey(signer.VerifierKey());
    if (!own.ok() || !own->Verify(*kept).ok()) {
      return Fail(state_file_ + " does not carry this witness's cosignature: not its state");
    }
    previous = *std::move(kept);
  }

  auto channel = Connect(client);
  if (!channel.ok()) return Fail(channel.status());
  auto stub = v1::AuditService::NewStub(*channel);
  v1::GetCheckpointResponse head;
  {
    grpc::ClientContext context;
    AddMetadata(context, actor_id_, "");
    if (grpc::Status status = stub->GetCheckpoint(&context, {}, &head); !status.ok()) {
      PrintError(status);
      return 1;
    }
  }
  std::vector<audit::merkle::Hash> proof;
  if (!previous.empty()) {
    auto before = log->Open(previous);
    auto now = log->Open(head.note());
    if (!before.ok()) return Fail(before.status());
    if (!now.ok()) return Fail(now.status(), 1);
    if (before->size > 0 && now->size > before->size) {
      v1::GetConsistencyProofRequest request;
      request.set_old_size(before->size);
      request.set_new_size(now->size);
      v1::GetConsistencyProofResponse response;
      grpc::ClientContext context;
      AddMetadata(context, actor_id_, "");
      if (grpc::Status status = stub->GetConsistencyProof(&context, request, &response);
          !status.ok()) {
        PrintError(status);
        return 1;
      }
      for (const std::string& hash : response.hashes()) {
        audit::merkle::Hash node{};
        if (hash.size() != node.size()) return Fail("the consistency proof is malformed", 1);
        std::copy(hash.begin(), hash.end(), node.begin());
        proof.push_back(node);
      }
    }
  }
  auto advanced = audit::CheckAdvance(*log, previous, head.note(), proof);
  if (!advanced.ok()) {
    return Fail(ErrorReason(advanced.status()) + ": " + std::string(advanced.status().message()),
                1);
  }
  const auto timestamp =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  auto line = signer.Cosign(head.note(), timestamp);
  if (!line.ok()) return Fail(line.status(), 1);
  const std::string cosigned = head.note() + *line;
  if (absl::Status kept = WriteDurably(state_file_, cosigned); !kept.ok()) return Fail(kept);
  std::printf("%s", cosigned.c_str());
  return 0;
}

int WitnessCommands::RunCosigned() {
  auto log_text = KeyText(log_key_);
  auto witness_text = KeyText(witness_key_text_);
  if (!log_text.ok()) return Fail(log_text.status());
  if (!witness_text.ok()) return Fail(witness_text.status());
  auto log = audit::CheckpointVerifier::FromVerifierKey(*log_text);
  if (!log.ok()) return Fail(log.status());
  auto witness = audit::CosignatureVerifier::FromVerifierKey(*witness_text);
  if (!witness.ok()) return Fail(witness.status());
  std::optional<std::string> note = ReadFile(note_file_);
  if (!note) return Fail("cannot read " + note_file_);
  auto checkpoint = log->Open(*note);
  if (!checkpoint.ok()) return Fail(checkpoint.status(), 1);
  auto timestamp = witness->Verify(*note);
  if (!timestamp.ok()) return Fail(timestamp.status(), 1);
  std::printf("checkpoint of %llu entries, cosigned by %s at %llu\n",
              static_cast<unsigned long long>(checkpoint->size), witness->name().c_str(),
              static_cast<unsigned long long>(*timestamp));
  return 0;
}

}  // namespace ketenpoort::ketenctl
