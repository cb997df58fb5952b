#include "core/sql/sql_file.h"

#include <fstream>
#include <system_error>

namespace stepd::sql {
namespace {

namespace fs = std::filesystem;

std::string in_quotes(std::string_view name) {
  return "'" + std::string(name) + "'";
}

// Component by component, so that /data/scripts-old is not taken to be inside /data/scripts.
bool is_within(const fs::path& dir, const fs::path& p) {
  auto q = p.begin();
  for (const fs::path& part : dir) {
    if (q == p.end() || *q != part) return false;
    ++q;
  }
  return true;
}

}  // namespace

fs::path resolve_sql_file(const fs::path& scripts_dir, std::string_view name) {
  if (name.empty()) throw SqlFileError("SQL file name is empty");
  if (name.find('\0') != std::string_view::npos) {
    throw SqlFileError("SQL file name contains a NUL byte");
  }
  fs::path relative(name);
  if (relative.has_root_path()) {
    throw SqlFileError("SQL file name " + in_quotes(name) +
                       " must be relative to the scripts directory");
  }
  for (const fs::path& part : relative) {
    if (part == "..") {
      throw SqlFileError("SQL file name " + in_quotes(name) + " must not contain '..'");
    }
  }

  std::error_code ec;
  fs::path base = fs::canonical(scripts_dir, ec);
  if (ec || !fs::is_directory(base, ec)) {
    throw SqlFileError("scripts directory " + in_quotes(scripts_dir.string()) +
                       " is not an accessible directory" + (ec ? ": " + ec.message() : ""));
  }
  // weakly_canonical follows every link that exists, so a link anywhere along the name that
  // points outside shows up here, while a missing file is still reported as missing below.
  fs::path resolved = fs::weakly_canonical(base / relative, ec);
  if (ec) {
    throw SqlFileError("SQL file " + in_quotes(name) + " cannot be resolved: " + ec.message());
  }
  if (!is_within(base, resolved)) {
    throw SqlFileError("SQL file " + in_quotes(name) + " leads outside the scripts directory");
  }
  fs::file_status status = fs::status(resolved, ec);
  if (status.type() == fs::file_type::not_found) {
    throw SqlFileError("SQL file " + in_quotes(name) + " does not exist");
  }
  if (ec) {
    throw SqlFileError("SQL file " + in_quotes(name) + " cannot be examined: " + ec.message());
  }
  if (status.type() != fs::file_type::regular) {
    throw SqlFileError("SQL file " + in_quotes(name) + " is not a regular file");
  }
  return resolved;
}

std::string read_sql_file(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SqlFileError("cannot open SQL file " + in_quotes(path.string()));
  std::string content;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      throw SqlFileError("SQL file " + in_quotes(path.string()) + " is larger than " +
                         std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) throw SqlFileError("cannot read SQL file " + in_quotes(path.string()));
  return content;
}

}  // namespace stepd::sql
