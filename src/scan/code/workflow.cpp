#include "scan/code/formats.hpp"

namespace hazmat::code {

void review_workflow(std::string_view text, const UnitSpec& spec, Reviewer& reviewer,
                     bool composite_action) {
    (void)text;
    (void)spec;
    (void)reviewer;
    (void)composite_action;
}

}  // namespace hazmat::code
