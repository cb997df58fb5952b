#pragma once
// Reading a request body with a size cap. cpprestsdk's listener buffers whole bodies with no
// limit and only sends a response once the request body has fully arrived, so a body we refuse
// still has to be drained. Reading it ourselves in chunks keeps memory bounded either way: the
// body is kept while it fits, and discarded chunk by chunk once it is known to be too large
// (from Content-Length up front, or from the byte count while reading a chunked body).
#include "api/cpprest.h"

#include <cstddef>
#include <string>

namespace stepd::api {

struct RequestBody {
  std::string bytes;       // empty when too_large
  bool too_large = false;  // the body exceeded the cap; it was read and thrown away
};

// Completes once the whole body has arrived (or fails if the connection breaks).
pplx::task<RequestBody> read_body_capped(const web::http::http_request& request,
                                         std::size_t max_bytes);

// The same for any message body; `headers` supply the Content-Length, if any. Used for the
// responses of outbound calls too, whose size is just as untrusted.
pplx::task<RequestBody> read_capped(concurrency::streams::istream body,
                                    const web::http::http_headers& headers, std::size_t max_bytes);

}  // namespace stepd::api
