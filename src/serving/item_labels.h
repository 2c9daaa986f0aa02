// Item labels as the scenario filters see them: the strings of an item's Labels JSON.
// An array of strings gives each string; an object gives "key" for each key whose value is true,
// and "key:value" for each string value (or each string of an array value), so that
// {"brand": "acme", "tags": ["new", "sale"], "featured": true} has the labels "brand:acme",
// "tags:new", "tags:sale" and "featured". Other values (numbers, nested objects, null) give no
// label; text that is not JSON gives none.
//
// Thread-safety: pure function (a parser per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace reco {

std::vector<std::string> ItemLabels(std::string_view labels_json);

}  // namespace reco
