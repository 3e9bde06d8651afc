#include "gateway/server/inburgering_service.h"

#include <memory>

#include "gateway/common/civil_date.h"
#include "gateway/common/error.h"
#include "gateway/inburgering/deadline_band.h"
#include "gateway/server/decoded_call.h"

namespace ketenpoort::server {

v1::Progress ProgressOf(const records::v1::duo::InburgeringStatus& released, int64_t today) {
  v1::Progress progress;
  progress.set_stage(released.stage());
  progress.set_route(released.route());
  progress.set_deadline(released.deadline());
  if (std::optional<int64_t> deadline = ParseCivilDate(released.deadline())) {
    progress.set_months_left(inburgering::MonthsBetween(today, *deadline));
  }
  for (const auto& exam : released.exam_components()) {
    v1::ExamComponentProgress* component = progress.add_components();
    component->set_component(exam.component());
    component->set_status(exam.status());
    component->set_passed(exam.status() == "behaald" || exam.status() == "vrijgesteld");
    component->set_exam_date(exam.exam_date());
  }
  progress.set_provider(released.provider());
  progress.set_loan_use_band(released.loan_use_band());
  return progress;
}

grpc::ServerUnaryReactor* InburgeringService::GetProgress(grpc::CallbackServerContext* context,
                                                          const v1::GetProgressRequest* request,
                                                          v1::Progress* response) {
  DecodedCall* reactor = CurrentCall(context);
  const auto policies = services_.policies->Current();
  absl::StatusOr<Caller> caller = services_.Identify(*context, policies);
  // The state of one call, alive until its answer is sent.
  struct Call {
    v1::GetRecordRequest request;
    v1::GetRecordResponse record;
  };
  auto call = std::make_shared<Call>();
  call->request.set_subject_id(request->subject_id());
  call->request.set_record_type("duo.InburgeringStatus");
  call->request.set_purpose(request->purpose());
  handler_.Handle(policies, caller, call->request, context->deadline(), &call->record,
                  [this, call, reactor, response](absl::Status status) {
                    if (status.ok()) {
                      records::v1::duo::InburgeringStatus released;
                      if (!call->record.record().UnpackTo(&released)) {
                        status = MakeError(absl::StatusCode::kInternal, "RELEASE_UNREADABLE",
                                           "the released record does not decode");
                      } else {
                        const int64_t today =
                            services_.clock->NowUnixMicros() / (86'400LL * 1'000'000LL);
                        *response = ProgressOf(released, today);
                        response->set_rule_id(call->record.rule_id());
                        response->set_policy_version(call->record.policy_version());
                        response->set_audit_index(call->record.audit_index());
                      }
                    }
                    reactor->Answer(status);
                  });
  return reactor;
}

grpc::ServerUnaryReactor* InburgeringService::ListProgress(grpc::CallbackServerContext* context,
                                                           const v1::ListProgressRequest* request,
                                                           v1::ListProgressResponse* response) {
  DecodedCall* reactor = CurrentCall(context);
  const auto policies = services_.policies->Current();
  list_.Handle(policies, services_.Identify(*context, policies), *request, response,
               [reactor](absl::Status status) { reactor->Answer(status); });
  return reactor;
}

grpc::ServerUnaryReactor* InburgeringService::Aggregate(grpc::CallbackServerContext* context,
                                                        const v1::AggregateRequest* request,
                                                        v1::AggregateResponse* response) {
  DecodedCall* reactor = CurrentCall(context);
  const auto policies = services_.policies->Current();
  aggregate_.Handle(policies, services_.Identify(*context, policies), *request, response,
                    [reactor](absl::Status status) { reactor->Answer(status); });
  return reactor;
}

void InburgeringService::ServeDecodedRequests() {
  MarkMethodRawCallback(0,
                        DecodedHandler(this, &InburgeringService::GetProgress, services_.workers,
                                       Refusal(services_, v1::AuditEntry::ACCESS,
                                               "/ketenpoort.v1.InburgeringService/GetProgress")));
  MarkMethodRawCallback(1,
                        DecodedHandler(this, &InburgeringService::ListProgress, services_.workers,
                                       Refusal(services_, v1::AuditEntry::ACCESS,
                                               "/ketenpoort.v1.InburgeringService/ListProgress")));
  MarkMethodRawCallback(2, DecodedHandler(this, &InburgeringService::Aggregate, services_.workers,
                                          Refusal(services_, v1::AuditEntry::ACCESS,
                                                  "/ketenpoort.v1.InburgeringService/Aggregate")));
}

}  // namespace ketenpoort::server
