#include "connectors/psp_json/psp_json.h"

#include <cassert>

#include "base/random.h"
#include "connectors/common.h"
#include "connectors/psp_json/codec.h"

namespace till::connectors::psp_json {

namespace {

// The inquiry's own Idempotency-Key: fresh each time, so a later inquiry is answered from the
// processor's current books, never replayed from an earlier one.
constexpr std::size_t kInquiryKeyRandomChars = 24;

class PspJsonConnector final : public Connector {
 public:
  PspJsonConnector(AccountConfig account, std::shared_ptr<HttpClient> http)
      : account_(std::move(account)),
        http_(std::move(http)),
        api_key_(account_.credentials.at("api_key")),
        webhook_secret_(account_.credentials.at("webhook_secret")) {
    assert(http_ != nullptr);
  }

  std::string_view name() const override { return kName; }

  ProcessorResult authorize(const AuthorizeRequest& request) override {
    return call(Operation::authorize, request.context, request.context.idempotency_key,
                encode_authorize(request));
  }

  ProcessorResult capture(const FollowUpRequest& request) override {
    return call(Operation::capture, request.context, request.context.idempotency_key,
                encode_capture(request));
  }

  ProcessorResult void_authorization(const FollowUpRequest& request) override {
    return call(Operation::void_authorization, request.context, request.context.idempotency_key,
                encode_void(request));
  }

  ProcessorResult refund(const FollowUpRequest& request) override {
    return call(Operation::refund, request.context, request.context.idempotency_key,
                encode_refund(request));
  }

  ProcessorResult resolve(const CallContext& context) override {
    return require_closed_key(call(Operation::inquiry, context,
                                   "inq_" + random_base62(kInquiryKeyRandomChars),
                                   encode_inquiry(context.idempotency_key)));
  }

  std::optional<WebhookUpdate> parse_webhook(std::string_view body,
                                             const std::map<std::string, std::string>& headers,
                                             std::int64_t now_unix_seconds,
                                             WebhookRejection& rejection) const override {
    return psp_json::parse_webhook(body, headers, webhook_secret_, now_unix_seconds, rejection);
  }

 private:
  ProcessorResult call(Operation operation, const CallContext& context,
                       const std::string& header_key, Expected<WireRequest, std::string> wire) {
    auto request = [&]() -> Expected<HttpRequest, std::string> {
      if (!wire) return unexpected(wire.error());
      HttpRequest built =
          processor_request(account_, context, wire->method, wire->path, std::move(wire->body));
      built.headers = {{"Authorization", "Bearer " + api_key_}, {"Idempotency-Key", header_key}};
      return built;
    };
    return send_processor_call(*http_, context, request(), [&](const HttpResult& answer) {
      return decode_response(operation, answer.status, answer.body);
    });
  }

  const AccountConfig account_;
  const std::shared_ptr<HttpClient> http_;
  const std::string api_key_;
  const std::string webhook_secret_;
};

}  // namespace

std::unique_ptr<Connector> make(const AccountConfig& account, std::shared_ptr<HttpClient> http) {
  return std::make_unique<PspJsonConnector>(account, std::move(http));
}

}  // namespace till::connectors::psp_json
