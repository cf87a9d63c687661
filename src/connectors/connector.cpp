#include "connectors/connector.h"

#include <cassert>

namespace till::connectors {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::approved:
      return "approved";
    case Outcome::declined:
      return "declined";
    case Outcome::not_processed:
      return "not_processed";
    case Outcome::unknown:
      return "unknown";
  }
  assert(false && "unknown Outcome");
  return "unknown";
}

std::string_view to_string(ProcessorStatus status) {
  switch (status) {
    case ProcessorStatus::none:
      return "none";
    case ProcessorStatus::authorized:
      return "authorized";
    case ProcessorStatus::captured:
      return "captured";
    case ProcessorStatus::declined:
      return "declined";
    case ProcessorStatus::voided:
      return "voided";
    case ProcessorStatus::refunded:
      return "refunded";
  }
  assert(false && "unknown ProcessorStatus");
  return "none";
}

}  // namespace till::connectors
