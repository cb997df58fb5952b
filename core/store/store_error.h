#pragma once
// Failures of the store that are the machine's, not the request's: the disk is full, the
// database file became read-only, an I/O call failed, another process holds the lock past the
// busy timeout. A write that meets one was rolled back whole; reads may still work, and the same
// write can succeed once the condition clears. api/ answers them as 503 ServiceUnavailable.
#include <stdexcept>
#include <string>

namespace stepd::store {

class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace stepd::store
