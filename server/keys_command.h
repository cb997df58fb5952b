#pragma once
// `stepd keys create|list|revoke`: manages access keys in the database of --data-dir. It runs
// as its own short process beside a running server; both read the same SQLite file, and the
// server reads key rows on every request, so a change here counts from the server's next request.
#include <string>
#include <vector>

#include "core/store/store.h"
#include "server/config.h"

namespace stepd::server {

// `args` are argv[1..], starting with "keys". Prints to stdout/stderr; returns the exit code
// (0 done, 1 failed, 2 bad usage).
int run_keys_command(const std::vector<std::string>& args, const std::string& exe_path);

// The master key for this configuration, created on first use. Refuses (std::runtime_error)
// to make a new one while the store already holds keys sealed under a lost one.
std::string master_key_for(store::Store& store, const Config& config);

}  // namespace stepd::server
