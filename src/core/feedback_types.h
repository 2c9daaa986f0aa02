// FeedbackTypes: which feedback types count as positive, read or negative. A setting of the
// configuration (recommend.*_feedback_types) that the store, the datasets and serving all read,
// so it lives below every one of them.
//
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <vector>

namespace reco {

// Which feedback types count as positive, read (seen, weakly positive) or negative.
// Types not listed anywhere are stored and listed but ignored by the models.
struct FeedbackTypes {
  std::vector<std::string> positive = {"like", "star", "purchase", "click", "positive"};
  std::vector<std::string> read = {"read", "view"};
  std::vector<std::string> negative = {"dislike", "negative"};
};

}  // namespace reco
