// admin/ledger_json.h — ledger objects as the admin API returns them (internal to admin;
// exposed for tests). Every object has an "object" field naming its type; amounts are JSON
// strings of integer minor units (128-bit values do not fit JSON numbers safely); times are
// integer Unix milliseconds in fields ending `_unix_ms`; absent optional values are null.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace till::admin {

boost::json::object account_json(const ledger::Account& account);
// "<entry id>:<index>": where a postings list continues after this posting.
std::string posting_cursor(const ledger::Posting& posting);
boost::json::object posting_json(const ledger::Posting& posting);
boost::json::object entry_json(const ledger::Entry& entry);
boost::json::object balance_json(const ledger::Balance& balance, ledger::AccountType type,
                                 std::optional<std::int64_t> as_of_unix_ms);
boost::json::object trial_balance_json(const std::vector<ledger::TrialBalanceLine>& lines);
// {"object":"list","data":[...],"has_more":...,"url":...}
boost::json::object list_json(boost::json::array data, bool has_more, std::string_view url);

}  // namespace till::admin
