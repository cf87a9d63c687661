// cli/admin_commands.h — `till admin ...` (merchants and their API keys, straight on the
// configured database) and the demo merchant `till serve --demo-merchant` prints. Exit
// statuses as in cli/commands.h.
#pragma once

#include <string>

#include "base/result.h"
#include "config/config.h"
#include "merchant/merchant.h"

namespace till::cli {

struct ServeOptions {
  // Make sure <data_dir>/demo-merchant.json names a merchant with a working test key, and
  // print it with an example request (`make run` passes it).
  bool demo_merchant = false;
};

int run_serve(const config::ConfigSources& sources, const ServeOptions& options);

// `--json`: one line of JSON on stdout and nothing else there; messages go to stderr.
struct AdminOutput {
  bool json = false;
};

// `till admin merchant create --name N`: a merchant and its first test key (printed once).
int run_admin_merchant_create(const config::ConfigSources& sources, const std::string& name,
                              AdminOutput output);
// `till admin merchant list`: every merchant, newest first.
int run_admin_merchant_list(const config::ConfigSources& sources, AdminOutput output);
// `till admin key issue --merchant ID --mode test|live`: a new key (its secret printed once).
int run_admin_key_issue(const config::ConfigSources& sources, const std::string& merchant_id,
                        const std::string& mode, AdminOutput output);
// `till admin key revoke KEY_ID`: stops the key at once (other nodes within seconds).
int run_admin_key_revoke(const config::ConfigSources& sources, const std::string& key_id,
                         AdminOutput output);

struct DemoMerchant {
  std::string merchant_id;
  std::string secret_key;  // a secret: printed for the developer, never logged
  bool created = false;    // false: read back from the file
};

// The demo merchant recorded in <data_dir>/demo-merchant.json, created (with the file, mode
// 0600) when there is none; a file naming a merchant the database no longer has, or a key
// that no longer works, is replaced.
Result<DemoMerchant> ensure_demo_merchant(merchant::MerchantStore& store,
                                          const std::string& data_dir);
// The merchant id, the secret key and an example curl line against `base_url`, on stdout.
void print_demo_merchant(const DemoMerchant& demo, const std::string& base_url);

}  // namespace till::cli
