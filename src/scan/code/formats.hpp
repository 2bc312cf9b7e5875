#pragma once

#include <string>
#include <string_view>

#include "core/severity.hpp"
#include "scan/code/review.hpp"

namespace hazmat::code {

// Reviewers for files that carry code without being code: each finds the
// commands or code inside and hands them to the language reviewers with the
// moment they run.

// A finding that names an execution surface (sitecustomize.py, a conda link
// script, .envrc) at `line` of the unit.
void report_surface(std::string_view rule_id, Severity severity, std::string message,
                    const UnitSpec& spec, Reviewer& reviewer, uint32_t line = 1);

// .pth files: only lines starting with "import" are executed.
void review_pth(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
// Jupyter notebooks: code cells, ! and % shell magics, %%bash cells.
void review_notebook(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_dockerfile(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_package_json(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_pyproject(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_vscode_tasks(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_devcontainer(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_makefile(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_cmake(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
void review_binding_gyp(std::string_view text, const UnitSpec& spec, Reviewer& reviewer);
// GitHub Actions workflows and composite actions.
void review_workflow(std::string_view text, const UnitSpec& spec, Reviewer& reviewer,
                     bool composite_action);

}  // namespace hazmat::code
