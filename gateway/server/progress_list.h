// The request path of InburgeringService.ListProgress:
//
//   identity -> validate -> decide for the list -> read the projection ->
//   decide each person -> filter -> audit the page -> respond
//
// The list decision (scope kList) says whether the caller may list the
// persons linked to it at all and which fields a filter may use; then
// every person on the page is decided again on their own, released through
// their own rule's fields, and audited on their own, the page's entries
// in one group. Nothing is returned before all of them are durable.
#ifndef KETENPOORT_GATEWAY_SERVER_PROGRESS_LIST_H_
#define KETENPOORT_GATEWAY_SERVER_PROGRESS_LIST_H_

#include <memory>

#include "gateway/inburgering/progress_projection.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/inburgering.pb.h"

namespace ketenpoort::server {

inline constexpr char kListProgressMethod[] = "/ketenpoort.v1.InburgeringService/ListProgress";

class ProgressList {
 public:
  ProgressList(const GatewayServices& services, const inburgering::ProgressProjection* projection)
      : services_(services), projection_(projection) {}

  // As GetRecordHandler::Handle: `done` is called exactly once;
  // `request` and `response` must live until then.
  void Handle(const std::shared_ptr<const policy::PolicySet>& policies,
              const absl::StatusOr<Caller>& caller, const v1::ListProgressRequest& request,
              v1::ListProgressResponse* response, Done done) const;

 private:
  absl::StatusOr<inburgering::ListFilter> Validate(const v1::ListProgressRequest& request) const;

  GatewayServices services_;
  const inburgering::ProgressProjection* projection_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_PROGRESS_LIST_H_
