// base/luhn.h — the Luhn (mod 10) check digit of card numbers.
//
// One check for everything that looks at card numbers: validation of card details (payments,
// the vault, the sandbox processors) and the log redactor that masks anything Luhn-valid.
#pragma once

#include <string_view>

namespace till {

// Whether `digits` — 2 or more ASCII digits, nothing else — passes the Luhn check. False for
// anything else (callers strip the spaces or dashes a number was written with first).
bool luhn_valid(std::string_view digits);

}  // namespace till
