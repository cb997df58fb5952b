#include "api/body_reader.h"

#include <algorithm>
#include <charconv>
#include <memory>

namespace stepd::api {

namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kSmallestChunk = 512;

// One read loop per request. Each step schedules the next from its continuation instead of
// returning a nested task, so draining a huge body builds no chain of tasks.
class CappedReader : public std::enable_shared_from_this<CappedReader> {
 public:
  CappedReader(concurrency::streams::streambuf<uint8_t> source, std::size_t max_bytes,
               bool too_large, std::size_t expected_bytes)
      : source_(std::move(source)),
        max_bytes_(max_bytes),
        // A body of known, allowed length is read in one piece of its size (one more byte to
        // see the end). Not a zeroed 64 KiB vector per request: zeroing it, and the page faults
        // of memory the allocator had just returned to the kernel, were ~6 % of stepd's CPU
        // under a start-to-finish load of small requests.
        chunk_bytes_(too_large || expected_bytes == 0
                         ? kChunkBytes
                         : std::clamp(expected_bytes + 1, kSmallestChunk, kChunkBytes)),
        chunk_(new uint8_t[chunk_bytes_]) {
    result_.too_large = too_large;
    result_.bytes.reserve(expected_bytes);
  }

  pplx::task<RequestBody> run() {
    step();
    return pplx::create_task(done_);
  }

 private:
  void step() {
    auto self = shared_from_this();
    source_.getn(chunk_.get(), chunk_bytes_).then([self](pplx::task<std::size_t> read) {
      std::size_t n = 0;
      try {
        n = read.get();
      } catch (...) {
        self->done_.set_exception(std::current_exception());
        return;
      }
      if (n == 0) {
        self->done_.set(std::move(self->result_));
        return;
      }
      self->consume(n);
      self->step();
    });
  }

  void consume(std::size_t n) {
    if (result_.too_large) return;
    if (result_.bytes.size() + n > max_bytes_) {
      result_.too_large = true;
      std::string().swap(result_.bytes);
      return;
    }
    result_.bytes.append(reinterpret_cast<const char*>(chunk_.get()), n);
  }

  concurrency::streams::streambuf<uint8_t> source_;
  std::size_t max_bytes_;
  std::size_t chunk_bytes_;
  std::unique_ptr<uint8_t[]> chunk_;  // not value-initialised: getn writes before anything reads
  RequestBody result_;
  pplx::task_completion_event<RequestBody> done_;
};

}  // namespace

pplx::task<RequestBody> read_body_capped(const web::http::http_request& request,
                                         std::size_t max_bytes) {
  return read_capped(request.body(), request.headers(), max_bytes);
}

pplx::task<RequestBody> read_capped(concurrency::streams::istream body,
                                    const web::http::http_headers& headers, std::size_t max_bytes) {
  bool too_large = false;
  std::size_t reserve = 0;
  auto it = headers.find(web::http::header_names::content_length);
  if (it != headers.end()) {
    const std::string& text = it->second;
    unsigned long long declared = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), declared);
    if (ec == std::errc() && end == text.data() + text.size()) {
      too_large = declared > max_bytes;
      if (!too_large) reserve = static_cast<std::size_t>(declared);
    }
  }
  auto reader = std::make_shared<CappedReader>(body.streambuf(), max_bytes, too_large, reserve);
  return reader->run();
}

}  // namespace stepd::api
