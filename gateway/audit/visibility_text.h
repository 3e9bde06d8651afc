// Tells the person, in their language, who may see which of their data
// now and why (policy/visibility.h computes it), with the texts under
// `visibility:` in the access-report catalogues.
#ifndef KETENPOORT_GATEWAY_AUDIT_VISIBILITY_TEXT_H_
#define KETENPOORT_GATEWAY_AUDIT_VISIBILITY_TEXT_H_

#include <string>
#include <vector>

#include "gateway/audit/access_report.h"
#include "gateway/policy/visibility.h"
#include "ketenpoort/v1/consent.pb.h"

namespace ketenpoort::audit {

v1::WhoMaySeeResponse RenderVisibility(const AccessReportCatalogue& catalogue,
                                       const std::vector<policy::VisibleRecord>& records,
                                       int64_t now_unix_micros);

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_VISIBILITY_TEXT_H_
