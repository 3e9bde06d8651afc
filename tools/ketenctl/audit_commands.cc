#include "tools/ketenctl/audit_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "gateway/audit/access_report.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/audit/entry_events.h"
#include "gateway/audit/log_verifier.h"
#include "gateway/common/civil_date.h"
#include "gateway/common/crypto.h"
#include "gateway/common/ed25519.h"
#include "ketenpoort/v1/audit.grpc.pb.h"

namespace ketenpoort::ketenctl {
namespace {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

template <typename Repeated>
std::string Joined(const Repeated& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ";") + value;
  return out;
}

constexpr char kCsvHeader[] =
    "index,time_unix_micros,kind,partner_id,partner_name,partner_oin,actor_id,actor_role,"
    "subject_pseudonym,purpose,record_type,source,source_partner_id,decision,reason,rule_id,"
    "legal_basis,law_reference,policy_version,released_categories,released_fields,"
    "payload_sha256,request_id,method,break_glass_justification,review_required,detail";

std::string CsvRow(const v1::AuditEntry& e) {
  const std::vector<std::string> fields = {std::to_string(e.index()),
                                           std::to_string(e.time_unix_micros()),
                                           v1::AuditEntry::Kind_Name(e.kind()),
                                           e.partner_id(),
                                           e.partner_name(),
                                           e.partner_oin(),
                                           e.actor_id(),
                                           e.actor_role(),
                                           e.subject_pseudonym(),
                                           v1::Purpose_Name(e.purpose()),
                                           e.record_type(),
                                           e.source(),
                                           e.source_partner_id(),
                                           v1::AuditEntry::Decision_Name(e.decision()),
                                           e.reason(),
                                           e.rule_id(),
                                           e.legal_basis(),
                                           e.law_reference(),
                                           e.policy_version(),
                                           Joined(e.released_categories()),
                                           Joined(e.released_fields()),
                                           crypto::ToHex(e.payload_sha256()),
                                           e.request_id(),
                                           e.method(),
                                           e.break_glass_justification(),
                                           e.review_required() ? "true" : "false",
                                           e.detail()};
  std::string row;
  for (size_t i = 0; i < fields.size(); ++i) row += (i ? "," : "") + CsvField(fields[i]);
  return row;
}

}  // namespace

void AuditCommands::Register(CLI::App& app, ClientOptions& client,
                             const std::function<void(CLI::App*)>& add_client_options) {
  CLI::App* audit = app.add_subcommand("audit", "audit log tools");
  audit->require_subcommand(1);
  witness_.Register(*audit, add_client_options);
  auto add_key_options = [this](CLI::App* command) {
    command->add_option("--verifier-key", verifier_key_text_,
                        "checkpoint verifier key (name+id+key), or @file");
    command->add_option("--signing-key", signing_key_,
                        "derive the verifier key from this Ed25519 PEM key (dev)");
    command->add_option("--origin", origin_, "log origin, with --signing-key")
        ->capture_default_str();
  };

  verify_ = audit->add_subcommand(
      "verify", "recompute the whole log from the raw store and check every checkpoint");
  verify_->add_option("--db", db_, "audit database file")->required();
  add_key_options(verify_);
  verify_->add_option("--trusted-checkpoint", trusted_checkpoint_,
                      "a signed checkpoint kept outside the store (catches truncation)");

  verifier_key_ = audit->add_subcommand("verifier-key", "print the verifier key for a signing key");
  add_key_options(verifier_key_);

  checkpoint_ = audit->add_subcommand("checkpoint", "fetch and check the latest signed checkpoint");
  add_client_options(checkpoint_);
  add_key_options(checkpoint_);
  checkpoint_->add_option("--out", out_, "also save the note to this file");

  prove_ = audit->add_subcommand("prove", "fetch and check an inclusion proof for one entry");
  add_client_options(prove_);
  add_key_options(prove_);
  prove_->add_option("--index", index_, "entry index (1-based)")->required();

  query_ = audit->add_subcommand("query", "privacy-officer query, exported as JSON lines or CSV");
  add_client_options(query_);
  query_->add_option("--from", from_, "from this date (YYYY-MM-DD, UTC)");
  query_->add_option("--until", until_, "before this date (YYYY-MM-DD, UTC)");
  query_->add_option("--partner", partner_, "requester or source partner id");
  query_->add_option("--purpose", purpose_, "purpose, e.g. CONTINUITY_OF_CARE");
  query_->add_option("--decision", decision_, "PERMIT, DENY, INVALID or FAILED");
  query_->add_option("--reason", reason_, "decision reason, e.g. NO_CONSENT");
  query_->add_option("--record", record_type_, "record type");
  query_->add_flag("--break-glass", break_glass_only_, "only break-glass entries");
  query_->add_option("--subject", subject_, "subject id (the gateway pseudonymises it)");
  query_->add_option("--format", format_, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  query_->add_option("--page-size", page_size_, "entries per call")->capture_default_str();
  query_->add_option("--limit", limit_, "stop after this many entries")->capture_default_str();

  report_ = audit->add_subcommand("report", "subject access report: who used this person's data");
  add_client_options(report_);
  report_->add_option("--subject", subject_, "subject id")->required();
  report_->add_option("--signed-in-as", signed_in_as_,
                      "as a subject portal: the person signed in (x-authenticated-subject)");
  report_->add_option("--lang", language_, "language of the report (nl, en, ...)")
      ->capture_default_str();
  report_->add_flag("--with-proofs", with_proofs_,
                    "save each line with its entry and inclusion proof, and the signed "
                    "checkpoint, as JSON (to --out, or standard output)");
  report_->add_option("--out", out_, "with --with-proofs: write the JSON report to this file");

  verify_report_ = audit->add_subcommand(
      "verify-report",
      "check offline that a report saved --with-proofs matches the signed log, line by line");
  verify_report_->add_option("--report", report_file_, "the saved JSON report")->required();
  add_key_options(verify_report_);
  verify_report_
      ->add_option("--messages", messages_dir_,
                   "the report catalogues the gateway renders with, to re-render each line")
      ->capture_default_str();

  for (CLI::App* command : {checkpoint_, prove_, query_, report_}) {
    command->add_option("--actor-id", actor_id_, "user id at the partner")->capture_default_str();
    command->add_option("--actor-role", actor_role_, "role, e.g. privacy_officer");
  }
  (void)client;
}

int AuditCommands::RunParsed(const ClientOptions& client) {
  if (verify_->parsed()) return RunVerify();
  if (verifier_key_->parsed()) return RunVerifierKey();
  if (checkpoint_->parsed()) return RunCheckpoint(client);
  if (prove_->parsed()) return RunProve(client);
  if (query_->parsed()) return RunQuery(client);
  if (report_->parsed()) return RunReport(client);
  if (verify_report_->parsed()) return RunVerifyReport();
  return witness_.RunParsed(client);
}

namespace {

// The verifier key from --verifier-key (text or @file) or --signing-key.
absl::StatusOr<std::string> ResolveVerifierKey(const std::string& text,
                                               const std::string& signing_key,
                                               const std::string& origin) {
  if (!text.empty()) return KeyText(text);
  if (!signing_key.empty()) {
    auto key = crypto::Ed25519PrivateKey::FromPemFile(signing_key);
    if (!key.ok()) return key.status();
    return audit::CheckpointSigner(origin, std::move(*key)).VerifierKey();
  }
  return absl::InvalidArgumentError("give --verifier-key or --signing-key");
}

}  // namespace

int AuditCommands::RunVerifierKey() {
  auto key = ResolveVerifierKey(verifier_key_text_, signing_key_, origin_);
  if (!key.ok()) return Fail(key.status());
  std::printf("%s\n", key->c_str());
  return 0;
}

int AuditCommands::RunVerify() {
  auto key_text = ResolveVerifierKey(verifier_key_text_, signing_key_, origin_);
  if (!key_text.ok()) return Fail(key_text.status());
  auto key = audit::CheckpointVerifier::FromVerifierKey(*key_text);
  if (!key.ok()) return Fail(key.status());
  audit::VerifyOptions options{.key = &*key, .trusted_checkpoint = std::nullopt};
  if (!trusted_checkpoint_.empty()) {
    options.trusted_checkpoint = ReadFile(trusted_checkpoint_);
    if (!options.trusted_checkpoint) return Fail("cannot read " + trusted_checkpoint_);
  }
  auto reader = audit::AuditReader::Open(db_, audit::AuditReader::ReadPattern::kWholeLog);
  if (!reader.ok()) return Fail(reader.status());
  auto report = audit::VerifyLog(**reader, options);
  if (!report.ok()) return Fail(report.status());
  if (!report->ok()) {
    std::printf("FAILED: %zu problem(s)%s\n", report->problems.size(),
                report->first_bad_index
                    ? (", first at entry " + std::to_string(report->first_bad_index)).c_str()
                    : "");
    for (const std::string& problem : report->problems) std::printf("  - %s\n", problem.c_str());
    return 1;
  }
  std::printf(
      "OK: %llu entries (%llu pruned under retention), %llu tree nodes, %llu signed checkpoints; "
      "root %s\n",
      static_cast<unsigned long long>(report->entries),
      static_cast<unsigned long long>(report->pruned_entries),
      static_cast<unsigned long long>(report->nodes),
      static_cast<unsigned long long>(report->checkpoints), crypto::ToHex(report->root).c_str());
  return 0;
}

int AuditCommands::RunCheckpoint(const ClientOptions& client) {
  auto channel = Connect(client);
  if (!channel.ok()) return Fail(channel.status());
  auto stub = v1::AuditService::NewStub(*channel);
  grpc::ClientContext context;
  AddMetadata(context, actor_id_, actor_role_);
  v1::GetCheckpointResponse response;
  if (grpc::Status status = stub->GetCheckpoint(&context, {}, &response); !status.ok()) {
    PrintError(status);
    return 1;
  }
  if (!verifier_key_text_.empty() || !signing_key_.empty()) {
    auto key_text = ResolveVerifierKey(verifier_key_text_, signing_key_, origin_);
    if (!key_text.ok()) return Fail(key_text.status());
    auto key = audit::CheckpointVerifier::FromVerifierKey(*key_text);
    if (!key.ok()) return Fail(key.status());
    if (auto opened = key->Open(response.note()); !opened.ok()) {
      return Fail(opened.status(), 1);
    }
  }
  if (!out_.empty()) std::ofstream(out_, std::ios::binary) << response.note();
  std::printf("%s", response.note().c_str());
  return 0;
}

int AuditCommands::RunProve(const ClientOptions& client) {
  auto key_text = ResolveVerifierKey(verifier_key_text_, signing_key_, origin_);
  if (!key_text.ok()) return Fail(key_text.status());
  auto key = audit::CheckpointVerifier::FromVerifierKey(*key_text);
  if (!key.ok()) return Fail(key.status());
  auto channel = Connect(client);
  if (!channel.ok()) return Fail(channel.status());
  auto stub = v1::AuditService::NewStub(*channel);

  v1::GetCheckpointResponse head;
  {
    grpc::ClientContext context;
    AddMetadata(context, actor_id_, actor_role_);
    if (grpc::Status status = stub->GetCheckpoint(&context, {}, &head); !status.ok()) {
      PrintError(status);
      return 1;
    }
  }
  auto checkpoint = key->Open(head.note());
  if (!checkpoint.ok()) return Fail(checkpoint.status(), 1);
  v1::GetInclusionProofRequest request;
  request.set_index(index_);
  request.set_tree_size(checkpoint->size);
  v1::GetInclusionProofResponse proof;
  {
    grpc::ClientContext context;
    AddMetadata(context, actor_id_, actor_role_);
    if (grpc::Status status = stub->GetInclusionProof(&context, request, &proof); !status.ok()) {
      PrintError(status);
      return 1;
    }
  }
  std::vector<audit::merkle::Hash> hashes;
  for (const std::string& bytes : proof.hashes()) {
    audit::merkle::Hash hash{};
    if (bytes.size() != hash.size()) return Fail("proof hash of the wrong length", 1);
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    hashes.push_back(hash);
  }
  audit::merkle::Hash leaf{};
  if (proof.leaf_hash().size() != leaf.size()) return Fail("leaf hash of the wrong length", 1);
  std::copy(proof.leaf_hash().begin(), proof.leaf_hash().end(), leaf.begin());
  if (!audit::merkle::VerifyInclusion(index_ - 1, checkpoint->size, leaf, hashes,
                                      checkpoint->root)) {
    std::printf("FAILED: the proof for entry %llu does not lead to the signed root\n",
                static_cast<unsigned long long>(index_));
    return 1;
  }
  std::printf("OK: entry %llu (leaf %s) is in the signed tree of %llu entries\n",
              static_cast<unsigned long long>(index_), crypto::ToHex(proof.leaf_hash()).c_str(),
              static_cast<unsigned long long>(checkpoint->size));
  return 0;
}

int AuditCommands::RunQuery(const ClientOptions& client) {
  v1::AuditQueryRequest request;
  auto day_micros = [](const std::string& text) -> std::optional<int64_t> {
    auto day = ParseCivilDate(text);
    if (!day) return std::nullopt;
    return *day * 86'400LL * 1'000'000LL;
  };
  if (!from_.empty()) {
    auto from = day_micros(from_);
    if (!from) return Fail("--from must be a date, YYYY-MM-DD");
    request.set_from_unix_micros(*from);
  }
  if (!until_.empty()) {
    auto until = day_micros(until_);
    if (!until) return Fail("--until must be a date, YYYY-MM-DD");
    request.set_until_unix_micros(*until);
  }
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  if (!purpose_.empty() && !v1::Purpose_Parse(purpose_, &purpose)) {
    return Fail("unknown purpose '" + purpose_ + "'");
  }
  v1::AuditEntry::Decision decision = v1::AuditEntry::DECISION_UNSPECIFIED;
  if (!decision_.empty() && !v1::AuditEntry::Decision_Parse(decision_, &decision)) {
    return Fail("unknown decision '" + decision_ + "'");
  }
  request.set_purpose(purpose);
  request.set_decision(decision);
  request.set_partner_id(partner_);
  request.set_reason(reason_);
  request.set_record_type(record_type_);
  request.set_break_glass_only(break_glass_only_);
  request.set_subject_id(subject_);
  request.set_page_size(page_size_);

  auto channel = Connect(client);
  if (!channel.ok()) return Fail(channel.status());
  auto stub = v1::AuditService::NewStub(*channel);
  if (format_ == "csv") std::printf("%s\n", kCsvHeader);
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  uint64_t printed = 0;
  do {
    grpc::ClientContext context;
    AddMetadata(context, actor_id_, actor_role_);
    v1::AuditQueryResponse response;
    if (grpc::Status status = stub->Query(&context, request, &response); !status.ok()) {
      PrintError(status);
      return 1;
    }
    for (const v1::AuditEntry& entry : response.entries()) {
      if (printed++ >= limit_) return 0;
      if (format_ == "csv") {
        std::printf("%s\n", CsvRow(entry).c_str());
      } else {
        std::string json;
        if (!google::protobuf::util::MessageToJsonString(entry, &json, print).ok()) {
          return Fail("cannot render an entry as JSON", 1);
        }
        std::printf("%s\n", json.c_str());
      }
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return 0;
}

int AuditCommands::RunReport(const ClientOptions& client) {
  auto channel = Connect(client);
  if (!channel.ok()) return Fail(channel.status());
  auto stub = v1::AuditService::NewStub(*channel);
  v1::SubjectAccessReportRequest request;
  request.set_subject_id(subject_);
  request.set_language(language_);
  request.set_with_proofs(with_proofs_);
  // The report comes in pages; each line is printed as its page arrives
  // (with proofs: gathered, and written as one document at the end).
  bool any_lines = false;
  std::string closing;
  nlohmann::ordered_json saved;
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  do {
    grpc::ClientContext context;
    AddMetadata(context, actor_id_, actor_role_);
    if (!signed_in_as_.empty()) context.AddMetadata("x-authenticated-subject", signed_in_as_);
    v1::SubjectAccessReport report;
    if (grpc::Status status = stub->GetSubjectAccessReport(&context, request, &report);
        !status.ok()) {
      PrintError(status);
      return 1;
    }
    if (request.page_token().empty()) {
      if (with_proofs_) {
        if (report.checkpoint().empty()) {
          return Fail("the gateway sent no checkpoint for the report's proofs; try again", 1);
        }
        saved = {{"format", "ketenpoort-access-report/1"}, {"language", report.language()},
                 {"direction", report.direction()},        {"title", report.title()},
                 {"introduction", report.introduction()},  {"tree_size", report.tree_size()},
                 {"checkpoint", report.checkpoint()}};
        saved["subject_pseudonyms"] = nlohmann::ordered_json::array();
        for (const std::string& pseudonym : report.subject_pseudonyms()) {
          saved["subject_pseudonyms"].push_back(pseudonym);
        }
      } else {
        std::printf("%s\n\n%s\n\n", report.title().c_str(), report.introduction().c_str());
      }
    }
    for (const auto& access : report.accesses()) {
      if (!with_proofs_) {
        std::printf("- %s\n", access.text().c_str());
        continue;
      }
      nlohmann::ordered_json proof = nlohmann::ordered_json::array();
      for (const std::string& hash : access.inclusion_proof()) proof.push_back(crypto::ToHex(hash));
      lines.push_back({{"index", access.audit_index()},
                       {"time_unix_micros", access.time_unix_micros()},
                       {"kind", access.kind()},
                       {"organisation", access.organisation()},
                       {"text", access.text()},
                       {"entry", crypto::Base64Encode(access.entry_bytes())},
                       {"inclusion_proof", proof}});
    }
    any_lines = any_lines || report.accesses_size() > 0;
    closing = report.closing();
    request.set_page_token(report.next_page_token());
  } while (!request.page_token().empty());
  if (with_proofs_) {
    saved["lines"] = std::move(lines);
    saved["closing"] = closing;
    const std::string text = saved.dump(2) + "\n";
    if (out_.empty()) {
      std::printf("%s", text.c_str());
    } else if (!(std::ofstream(out_, std::ios::binary) << text)) {
      return Fail("cannot write " + out_, 1);
    }
    return 0;
  }
  if (any_lines) std::printf("\n");
  std::printf("%s\n", closing.c_str());
  return 0;
}

namespace {

absl::StatusOr<audit::merkle::Hash> HashFromHex(const std::string& hex) {
  audit::merkle::Hash hash{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  bool ok = hex.size() == 2 * hash.size();
  for (size_t i = 0; ok && i < hash.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    ok = high >= 0 && low >= 0;
    hash[i] = static_cast<uint8_t>(high * 16 + low);
  }
  if (!ok) return absl::InvalidArgumentError("a proof hash is not 32 bytes in lowercase hex");
  return hash;
}

// What one saved line must agree with: its entry, in the signed tree, about
// the report's person, of a kind a report shows, and told as the catalogue
// tells it.
std::optional<std::string> CheckLine(const nlohmann::json& line, const audit::Checkpoint& signed_at,
                                     const std::set<std::string>& pseudonyms,
                                     const audit::AccessReportCatalogue& catalogue) {
  if (!line.is_object() || !line.contains("index") || !line["index"].is_number_unsigned() ||
      !line.contains("entry") || !line["entry"].is_string() || !line.contains("inclusion_proof") ||
      !line["inclusion_proof"].is_array()) {
    return "a line without index, entry or inclusion_proof";
  }
  const uint64_t index = line["index"].get<uint64_t>();
  const std::string at = "line for entry " + std::to_string(index) + ": ";
  if (index == 0 || index > signed_at.size) {
    return at + "the index is outside the signed tree of " + std::to_string(signed_at.size);
  }
  auto bytes = crypto::Base64Decode(line["entry"].get<std::string>());
  if (!bytes.ok()) return at + "the entry is not base64";
  std::vector<audit::merkle::Hash> path;
  for (const auto& hex : line["inclusion_proof"]) {
    if (!hex.is_string()) return at + "a proof hash is not text";
    auto hash = HashFromHex(hex.get<std::string>());
    if (!hash.ok()) return at + std::string(hash.status().message());
    path.push_back(*hash);
  }
  if (!audit::merkle::VerifyInclusion(index - 1, signed_at.size, audit::merkle::HashLeaf(*bytes),
                                      path, signed_at.root)) {
    return at + "the entry and its proof do not lead to the signed root";
  }
  // The entry is in the log; the line must say what it says.
  v1::AuditEntry entry;
  if (!entry.ParseFromString(*bytes)) return at + "the entry does not decode";
  if (entry.index() != index) return at + "the entry is at another index";
  auto field = [&](const char* name) {
    return line.contains(name) ? line[name] : nlohmann::json();
  };
  if (pseudonyms.count(entry.subject_pseudonym()) == 0) {
    return at + "the entry is about someone else than the report's person";
  }
  if (!audit::IsReportedEntry(entry)) return at + "the entry is of a kind a report does not show";
  // The line as the gateway renders it from this entry alone.
  const v1::SubjectAccessReport rendered = audit::RenderAccessReport(catalogue, {entry}, 0);
  const v1::SubjectAccessReport::Access& told = rendered.accesses(0);
  if (field("time_unix_micros") != nlohmann::json(entry.time_unix_micros())) {
    return at + "the time differs from the entry's";
  }
  if (field("kind") != nlohmann::json(told.kind())) {
    return at + "the kind of event differs from the entry's";
  }
  if (field("organisation") != nlohmann::json(told.organisation())) {
    return at + "the organisation differs from the entry's";
  }
  if (field("text") != nlohmann::json(told.text())) {
    return at + "the text is not what the entry says in the " + catalogue.language +
           " catalogue (was the report made with other catalogues? see --messages)";
  }
  return std::nullopt;
}

}  // namespace

int AuditCommands::RunVerifyReport() {
  auto key_text = ResolveVerifierKey(verifier_key_text_, signing_key_, origin_);
  if (!key_text.ok()) return Fail(key_text.status());
  auto key = audit::CheckpointVerifier::FromVerifierKey(*key_text);
  if (!key.ok()) return Fail(key.status());
  std::ifstream in(report_file_, std::ios::binary);
  if (!in) return Fail("cannot read " + report_file_);
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded() || !report.is_object() || !report.contains("format") ||
      report["format"] != "ketenpoort-access-report/1" || !report.contains("tree_size") ||
      !report["tree_size"].is_number_unsigned() || !report.contains("checkpoint") ||
      !report["checkpoint"].is_string() || !report.contains("lines") ||
      !report["lines"].is_array() || !report.contains("language") ||
      !report["language"].is_string() || !report.contains("subject_pseudonyms") ||
      !report["subject_pseudonyms"].is_array()) {
    return Fail(report_file_ + " is not a report saved with `ketenctl audit report --with-proofs`");
  }
  std::set<std::string> listed;
  for (const auto& pseudonym : report["subject_pseudonyms"]) {
    if (!pseudonym.is_string()) return Fail(report_file_ + ": a subject pseudonym is not text");
    listed.insert(pseudonym.get<std::string>());
  }
  auto catalogues = audit::AccessReportCatalogues::LoadDirectory(messages_dir_);
  if (!catalogues.ok()) return Fail(catalogues.status());
  const audit::AccessReportCatalogue* catalogue =
      (*catalogues)->Find(report["language"].get<std::string>());
  if (catalogue == nullptr) {
    return Fail("there is no catalogue for the report's language in " + messages_dir_);
  }
  auto signed_at = key->Open(report["checkpoint"].get<std::string>());
  if (!signed_at.ok()) {
    std::printf("FAILED: the report's checkpoint is not signed by this key: %s\n",
                std::string(signed_at.status().message()).c_str());
    return 1;
  }
  // Whom the report is about, as the log's key signed it: the person's
  // pseudonym (and their BSN's, for entries from before it was linked).
  std::set<std::string> pseudonyms;
  const std::string prefix = std::string(audit::kReportSubjectExtension) + " ";
  for (const std::string& line : signed_at->extensions) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string pseudonym = line.substr(prefix.size());
    if (pseudonym.size() != 64 ||
        pseudonym.find_first_not_of("0123456789abcdef") != std::string::npos) {
      std::printf("FAILED: the checkpoint names a person by a malformed pseudonym\n");
      return 1;
    }
    pseudonyms.insert(pseudonym);
  }
  if (pseudonyms.empty() || pseudonyms.size() > 2) {
    std::printf(
        "FAILED: the report's checkpoint does not name one person (a report saved by an older "
        "gateway, or a plain checkpoint)\n");
    return 1;
  }
  std::vector<std::string> problems;
  if (listed != pseudonyms) {
    problems.push_back("the report's subject_pseudonyms are not the ones its checkpoint names");
  }
  if (report["tree_size"].get<uint64_t>() != signed_at->size) {
    problems.push_back("the report says it was read at another tree size than its checkpoint");
  }
  uint64_t previous = 0;
  for (const auto& line : report["lines"]) {
    if (auto problem = CheckLine(line, *signed_at, pseudonyms, *catalogue)) {
      problems.push_back(*problem);
      continue;
    }
    // Oldest first, each entry once: a line cannot be repeated or moved.
    const uint64_t index = line["index"].get<uint64_t>();
    if (index <= previous) {
      problems.push_back("line for entry " + std::to_string(index) + ": out of order or repeated");
    }
    previous = index;
  }
  if (!problems.empty()) {
    std::printf("FAILED: %zu problem(s)\n", problems.size());
    for (const std::string& problem : problems) std::printf("  - %s\n", problem.c_str());
    return 1;
  }
  // A proof of each line, not of the whole: that no entry about the person
  // was left out needs the log itself (a supervisor's query).
  std::printf(
      "OK: all %zu lines are entries of the signed log of %llu entries (root %s) about the "
      "person its checkpoint names, and say what those entries say. This does not prove that "
      "no entry was left out.\n",
      report["lines"].size(), static_cast<unsigned long long>(signed_at->size),
      crypto::ToHex(signed_at->root).c_str());
  return 0;
}

}  // namespace ketenpoort::ketenctl
