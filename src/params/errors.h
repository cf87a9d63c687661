// params/errors.h — the 400s the request codec produces, in Stripe's shape and with Stripe's
// codes and wording where Stripe has them, so the official SDKs raise InvalidRequestError and
// developers can branch on `code`. Every error names the parameter in bracket form
// ("payment_method_data[card][exp_month]").
//
// `param` goes into the error's `param` field; where a message shows a parameter name that the
// client made up (an unknown key, a metadata key), the caller passes `shown`, the clipped form
// (text.h), so no message repeats more than kEchoBytesMax bytes of client input.
#pragma once

#include <string>
#include <string_view>

#include "api/errors.h"

namespace till::params {

// Status 400, type invalid_request_error.
api::ApiError request_error(std::string code, std::string message, std::string param);

// "Received unknown parameter: card[foo]"
api::ApiError parameter_unknown(std::string param, std::string_view shown);
// "Missing required param: amount."
api::ApiError parameter_missing(std::string param);
// An empty string (or JSON null) for a parameter that cannot be unset; Stripe's wording.
api::ApiError parameter_invalid_empty(std::string param);
// "Invalid <shown>: <rule>" with code parameter_invalid: wrong type, not in the set of names,
// too long, malformed.
api::ApiError parameter_invalid(std::string param, std::string_view shown, std::string_view rule);
// Code parameter_invalid_integer / parameter_invalid_boolean with the message as given.
api::ApiError parameter_invalid_integer(std::string param, std::string message);
api::ApiError parameter_invalid_boolean(std::string param, std::string message);

}  // namespace till::params
