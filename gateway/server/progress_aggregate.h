// The request path of InburgeringService.Aggregate:
//
//   identity -> validate -> decide (scope kAggregate, purpose STATISTICS)
//   -> the municipality's publication in force (publication.h: counted at a
//   fixed moment, every table protected together) -> audit -> respond
//
// The decision is for the dimension's record type (DUO's status, or COA's
// koppeling for nationality), and the counted fields must be released
// unchanged by its rule. A municipality with fewer linked persons than the
// threshold gets no table at all. One audit entry per answer, without a
// subject: counts are about no one in particular.
#ifndef KETENPOORT_GATEWAY_SERVER_PROGRESS_AGGREGATE_H_
#define KETENPOORT_GATEWAY_SERVER_PROGRESS_AGGREGATE_H_

#include <memory>

#include "gateway/inburgering/publication.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/inburgering.pb.h"

namespace ketenpoort::server {

inline constexpr char kAggregateMethod[] = "/ketenpoort.v1.InburgeringService/Aggregate";

class ProgressAggregate {
 public:
  ProgressAggregate(const GatewayServices& services, inburgering::AggregatePublisher* publisher)
      : services_(services), publisher_(publisher) {}

  // As GetRecordHandler::Handle: `done` is called exactly once.
  void Handle(const std::shared_ptr<const policy::PolicySet>& policies,
              const absl::StatusOr<Caller>& caller, const v1::AggregateRequest& request,
              v1::AggregateResponse* response, Done done) const;

 private:
  GatewayServices services_;
  inburgering::AggregatePublisher* publisher_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_PROGRESS_AGGREGATE_H_
