// Size limits on what a partner may send. Checked before anything else
// touches the request, so an oversized request costs us nothing.
#ifndef KETENPOORT_GATEWAY_VALIDATE_REQUEST_LIMITS_H_
#define KETENPOORT_GATEWAY_VALIDATE_REQUEST_LIMITS_H_

#include <cstddef>

namespace ketenpoort::validate {

struct RequestLimits {
  size_t max_request_bytes = 4096;        // serialized request message
  size_t max_metadata_value_bytes = 128;  // x-actor-id, x-actor-role, x-request-id
};

}  // namespace ketenpoort::validate

#endif  // KETENPOORT_GATEWAY_VALIDATE_REQUEST_LIMITS_H_
