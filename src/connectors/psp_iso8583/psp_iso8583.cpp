#include "connectors/psp_iso8583/psp_iso8583.h"

#include <cassert>

#include "base/random.h"
#include "connectors/common.h"
#include "connectors/psp_iso8583/codec.h"

namespace till::connectors::psp_iso8583 {

namespace {

// The 0420's own X-Message-Id: fresh each time, so a later inquiry is answered from the
// processor's current books, never replayed from an earlier one.
constexpr std::size_t kInquiryIdRandomChars = 24;

class PspIso8583Connector final : public Connector {
 public:
  PspIso8583Connector(AccountConfig account, std::shared_ptr<HttpClient> http)
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
    const std::string message_id = "inq_" + random_base62(kInquiryIdRandomChars);
    return require_closed_key(call(Operation::inquiry, context, message_id,
                                   encode_inquiry(context.idempotency_key, message_id)));
  }

  std::optional<WebhookUpdate> parse_webhook(std::string_view body,
                                             const std::map<std::string, std::string>& headers,
                                             std::int64_t now_unix_seconds,
                                             WebhookRejection& rejection) const override {
    return psp_iso8583::parse_webhook(body, headers, webhook_secret_, now_unix_seconds, rejection);
  }

 private:
  ProcessorResult call(Operation operation, const CallContext& context,
                       const std::string& message_id, Expected<IsoMessage, std::string> message) {
    auto request = [&]() -> Expected<HttpRequest, std::string> {
      if (!message) return unexpected(message.error());
      HttpRequest built =
          processor_request(account_, context, HttpMethod::post, kMessagesPath, message->body);
      built.headers = {{"X-Acquirer-Key", api_key_}, {"X-Message-Id", message_id}};
      return built;
    };
    return send_processor_call(*http_, context, request(), [&](const HttpResult& answer) {
      return decode_response(operation, *message, answer.status, answer.body);
    });
  }

  const AccountConfig account_;
  const std::shared_ptr<HttpClient> http_;
  const std::string api_key_;
  const std::string webhook_secret_;
};

}  // namespace

std::unique_ptr<Connector> make(const AccountConfig& account, std::shared_ptr<HttpClient> http) {
  return std::make_unique<PspIso8583Connector>(account, std::move(http));
}

}  // namespace till::connectors::psp_iso8583
