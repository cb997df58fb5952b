#pragma once
// SQL files named by state machine definitions. A name is a relative path under the configured
// scripts directory; resolve_sql_file() refuses anything that could reach outside it (absolute
// names, .. components, symbolic links pointing elsewhere) and anything that is not an existing
// regular file. The check guards against careless or hostile names in definitions; it does not
// guard against someone who can write inside the scripts directory and swaps a file for a link
// between resolving and reading.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stepd::sql {

class SqlFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr size_t kMaxSqlFileBytes = 1024 * 1024;

// The canonical path of the regular file `name` inside `scripts_dir`, or SqlFileError.
std::filesystem::path resolve_sql_file(const std::filesystem::path& scripts_dir,
                                       std::string_view name);

// The whole file as bytes; SqlFileError if it cannot be read or is larger than max_bytes.
std::string read_sql_file(const std::filesystem::path& path, size_t max_bytes = kMaxSqlFileBytes);

}  // namespace stepd::sql
