#include "tools/ketenctl/handover_commands.h"

#include <grpcpp/client_context.h>

#include <cstdio>

#include "ketenpoort/v1/handover.grpc.pb.h"

namespace ketenpoort::ketenctl {

void HandoverCommands::Register(CLI::App& app,
                                const std::function<void(CLI::App*)>& add_client_options) {
  CLI::App* handover = app.add_subcommand("handover", "warme overdracht: send, watch, fetch, ...");
  handover->require_subcommand(1);
  auto common = [&](CLI::App* command) {
    add_client_options(command);
    command->add_option("--actor-id", actor_id_, "user id at the partner")->capture_default_str();
    command->add_option("--actor-role", actor_role_, "role of the user, e.g. huisarts");
  };
  auto with_id = [&](CLI::App* command) {
    common(command);
    command->add_option("--id", handover_id_, "hand-over id")->required();
  };
  send_ = handover->add_subcommand("send", "hand a person's records over to a recipient");
  common(send_);
  send_->add_option("--subject", subject_, "V-nummer or BSN")->required();
  send_->add_option("--record", record_types_, "record type (repeatable)")->required();
  send_->add_option("--to", recipient_, "recipient partner id")->required();
  send_->add_option("--role", recipient_role_, "role at the recipient, e.g. huisarts")->required();
  send_->add_option("--purpose", purpose_, "purpose, e.g. CONTINUITY_OF_CARE")->required();
  send_->add_option("--note", note_, "note for the recipient (stored encrypted)");
  send_->add_option("--request-id", request_id_, "idempotency key; reuse it to retry")->required();
  status_ = handover->add_subcommand("status", "a hand-over's status (sender or recipient)");
  with_id(status_);
  withdraw_ = handover->add_subcommand("withdraw", "take back a hand-over not yet fetched");
  with_id(withdraw_);
  overdue_ = handover->add_subcommand("overdue", "your hand-overs not fetched in time");
  common(overdue_);
  watch_ = handover->add_subcommand("watch", "stream hand-overs addressed to you");
  common(watch_);
  watch_->add_option("--after", after_cursor_, "resume after this cursor")->capture_default_str();
  watch_->add_option("--count", count_, "stop after this many (0: until --seconds)");
  watch_->add_option("--seconds", seconds_, "stop after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  pending_ = handover->add_subcommand("pending", "hand-overs for you not yet fetched");
  common(pending_);
  fetch_ = handover->add_subcommand("fetch", "fetch a hand-over (checked and audited)");
  with_id(fetch_);
  ack_ = handover->add_subcommand("ack", "confirm you took the dossier over");
  with_id(ack_);
  refuse_ = handover->add_subcommand("refuse", "decline a hand-over");
  with_id(refuse_);
  refuse_->add_option("--reason", reason_, "NOT_OUR_PATIENT, WRONG_RECIPIENT, DUPLICATE, ...")
      ->required();
}

int HandoverCommands::RunWatch(const ClientOptions& client) {
  auto channel = Connect(client);
  if (!channel.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds_));
  context.AddMetadata("x-actor-id", actor_id_);
  if (!actor_role_.empty()) context.AddMetadata("x-actor-role", actor_role_);
  v1::WatchHandoversRequest request;
  request.set_after_cursor(after_cursor_);
  auto stream = v1::HandoverService::NewStub(*channel)->Watch(&context, request);
  v1::HandoverEvent event;
  int seen = 0;
  while ((count_ == 0 || seen < count_) && stream->Read(&event)) {
    PrintJson(event);
    std::fflush(stdout);
    ++seen;
  }
  if (count_ > 0 && seen == count_) context.TryCancel();
  const grpc::Status status = stream->Finish();
  // Ending at --seconds or --count is how a bounded watch is meant to stop.
  if (!status.ok() && status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_code() != grpc::StatusCode::CANCELLED) {
    PrintError(status);
    return 1;
  }
  return 0;
}

int HandoverCommands::RunParsed(const ClientOptions& client) {
  if (watch_->parsed()) return RunWatch(client);
  const bool ours = send_->parsed() || status_->parsed() || withdraw_->parsed() ||
                    overdue_->parsed() || pending_->parsed() || fetch_->parsed() ||
                    ack_->parsed() || refuse_->parsed();
  if (!ours) return -1;
  auto channel = Connect(client);
  if (!channel.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  auto stub = v1::HandoverService::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-actor-id", actor_id_);
  if (!actor_role_.empty()) context.AddMetadata("x-actor-role", actor_role_);
  v1::GetHandoverRequest by_id;
  by_id.set_handover_id(handover_id_);
  grpc::Status status;
  v1::Handover handover;
  v1::ListHandoversResponse list;
  if (send_->parsed()) {
    v1::SendHandoverRequest request;
    request.set_subject_id(subject_);
    for (const std::string& type : record_types_) request.add_record_types(type);
    request.set_recipient_partner_id(recipient_);
    request.set_recipient_role(recipient_role_);
    v1::Purpose purpose;
    if (!v1::Purpose_Parse(purpose_, &purpose)) {
      std::fprintf(stderr, "error: unknown purpose '%s'\n", purpose_.c_str());
      return 2;
    }
    request.set_purpose(purpose);
    request.set_note(note_);
    request.set_request_id(request_id_);
    status = stub->Send(&context, request, &handover);
    if (status.ok()) PrintJson(handover);
  } else if (status_->parsed()) {
    status = stub->GetStatus(&context, by_id, &handover);
    if (status.ok()) PrintJson(handover);
  } else if (withdraw_->parsed()) {
    status = stub->Withdraw(&context, by_id, &handover);
    if (status.ok()) PrintJson(handover);
  } else if (overdue_->parsed()) {
    status = stub->ListOverdue(&context, v1::ListOverdueRequest(), &list);
    if (status.ok()) PrintJson(list);
  } else if (pending_->parsed()) {
    status = stub->ListPending(&context, v1::ListPendingRequest(), &list);
    if (status.ok()) PrintJson(list);
  } else if (fetch_->parsed()) {
    v1::FetchHandoverResponse response;
    status = stub->Fetch(&context, by_id, &response);
    if (status.ok()) PrintJson(response);
  } else if (ack_->parsed()) {
    status = stub->Acknowledge(&context, by_id, &handover);
    if (status.ok()) PrintJson(handover);
  } else {
    v1::RefuseHandoverRequest request;
    request.set_handover_id(handover_id_);
    v1::RefusalReason reason;
    if (!v1::RefusalReason_Parse(reason_, &reason)) {
      std::fprintf(stderr, "error: unknown refusal reason '%s'\n", reason_.c_str());
      return 2;
    }
    request.set_reason(reason);
    status = stub->Refuse(&context, request, &handover);
    if (status.ok()) PrintJson(handover);
  }
  if (!status.ok()) {
    PrintError(status);
    return 1;
  }
  return 0;
}

}  // namespace ketenpoort::ketenctl
