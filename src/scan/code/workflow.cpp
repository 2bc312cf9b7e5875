#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/code/code_rule_ids.hpp"
#include "scan/code/formats.hpp"

namespace hazmat::code {

namespace {

// Context values an outsider controls: pull request and issue text, branch
// names, commit messages and authors.
bool untrusted_expression(std::string_view expression) {
    std::string compact;
    for (const char c : expression) {
        if (!std::isspace(static_cast<unsigned char>(c)))
            compact.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (compact.find("github.head_ref") != std::string::npos)
        return true;
    if (compact.find("github.event.") == std::string::npos)
        return false;
    for (const std::string_view field :
         {".title", ".body", ".head.ref", ".head.label", ".default_branch", ".message",
          "author.email", "author.name", ".page_name", ".head_branch", ".display_title",
          ".label.name", ".head_commit.id"}) {
        if (compact.find(field) != std::string::npos)
            return true;
    }
    return false;
}

// The ${{ ... }} expressions in a string.
std::vector<std::string> expressions_in(std::string_view text) {
    std::vector<std::string> found;
    for (size_t open = text.find("${{"); open != std::string_view::npos;
         open = text.find("${{", open + 3)) {
        const size_t close = text.find("}}", open + 3);
        if (close == std::string_view::npos)
            break;
        found.emplace_back(text.substr(open + 3, close - open - 3));
    }
    return found;
}

std::string without_expressions(std::string_view text) {
    std::string out;
    size_t pos = 0;
    for (size_t open = text.find("${{"); open != std::string_view::npos;
         open = text.find("${{", pos)) {
        const size_t close = text.find("}}", open + 3);
        if (close == std::string_view::npos)
            break;
        out.append(text.substr(pos, open - pos));
        out += "HZ_EXPRESSION";
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

bool pinned_to_commit(std::string_view reference) {
    const size_t at = reference.rfind('@');
    if (at == std::string_view::npos)
        return false;
    const auto ref = reference.substr(at + 1);
    return ref.size() == 40 &&
           std::all_of(ref.begin(), ref.end(), [](char c) { return std::isxdigit(c) != 0; });
}

std::string scalar(const YAML::Node& node) {
    if (!node || !node.IsScalar())
        return {};
    return node.Scalar();
}

class WorkflowReview {
  public:
    WorkflowReview(std::string_view text, const UnitSpec& spec, Reviewer& reviewer)
        : text_(text), spec_(spec), reviewer_(reviewer) {}

    void run(const YAML::Node& root, bool composite);

  private:
    uint32_t line_of(const YAML::Node& node) const {
        return unit_line(spec_, static_cast<uint32_t>(node.Mark().line) + 1);
    }
    // Lines of a run: script start on the line after a block indicator.
    uint32_t script_offset(const YAML::Node& node) const;

    void observe(std::string_view rule, Severity severity, const YAML::Node& at,
                 std::string message, std::vector<std::string> evidence = {}) {
        Observation observation;
        observation.rule_id = rule;
        observation.single = severity;
        observation.fixed = true;
        observation.line = line_of(at);
        observation.column = static_cast<uint32_t>(at.Mark().column) + 1;
        observation.message = std::move(message);
        observation.evidence = std::move(evidence);
        log_.observe(std::move(observation));
    }

    void read_triggers(const YAML::Node& triggers);
    void review_steps(const YAML::Node& steps, std::string_view job);
    void review_step(const YAML::Node& step, std::string_view job);
    void review_script(const YAML::Node& script, std::string_view job, bool shell);

    std::string_view text_;
    const UnitSpec& spec_;
    Reviewer& reviewer_;
    ObservationLog log_;
    std::set<std::string> triggers_;
    bool privileged_ = false;
    bool releases_ = false;
    std::vector<YAML::Node> cache_steps_;
};

uint32_t WorkflowReview::script_offset(const YAML::Node& node) const {
    const auto mark = node.Mark();
    size_t offset = 0;
    for (int line = 0; line < mark.line && offset != std::string_view::npos; ++line) {
        offset = text_.find('\n', offset);
        if (offset != std::string_view::npos)
            ++offset;
    }
    const size_t at = offset == std::string_view::npos ? std::string_view::npos
                                                       : offset + static_cast<size_t>(mark.column);
    const bool block = at < text_.size() && (text_[at] == '|' || text_[at] == '>');
    return spec_.line_offset + static_cast<uint32_t>(mark.line) + (block ? 1 : 0);
}

void WorkflowReview::read_triggers(const YAML::Node& triggers) {
    if (!triggers)
        return;
    if (triggers.IsScalar()) {
        triggers_.insert(triggers.Scalar());
    } else if (triggers.IsSequence()) {
        for (const auto& item : triggers)
            triggers_.insert(scalar(item));
    } else if (triggers.IsMap()) {
        for (const auto& item : triggers) {
            const auto name = item.first.as<std::string>();
            triggers_.insert(name);
            if (name == "push" && item.second.IsMap() && item.second["tags"])
                releases_ = true;
        }
    }
    privileged_ = triggers_.contains("pull_request_target") || triggers_.contains("workflow_run");
    if (triggers_.contains("release"))
        releases_ = true;
}

void WorkflowReview::review_script(const YAML::Node& script, std::string_view job, bool shell) {
    const auto body = scalar(script);
    if (body.empty())
        return;
    std::vector<std::string> injected;
    for (const auto& expression : expressions_in(body)) {
        if (untrusted_expression(expression))
            injected.push_back(expression);
    }
    if (!injected.empty()) {
        std::vector<std::string> evidence;
        for (const auto& expression : injected)
            evidence.push_back(
                fmt::format("${{{{{}}}}} is expanded before the script runs", expression));
        observe(rules::kCiExpressionInjection, Severity::high, script,
                fmt::format("Job '{}' expands attacker-controlled input into a {}.", job,
                            shell ? "run: script" : "github-script body"),
                std::move(evidence));
    }
    const bool writes_env = body.find("GITHUB_ENV") != std::string::npos ||
                            body.find("GITHUB_PATH") != std::string::npos;
    if (writes_env && body.find(">>") != std::string::npos && (privileged_ || !injected.empty())) {
        observe(rules::kCiEnvFileInjection, Severity::high, script,
                fmt::format("Job '{}' writes to GITHUB_ENV/GITHUB_PATH in a workflow that {}.", job,
                            injected.empty() ? "runs with secrets on untrusted events"
                                             : "expands untrusted input"));
    }
    for (const std::string_view publish :
         {"npm publish", "twine upload", "docker push", "gh release", "cargo publish",
          "poetry publish", "flit publish", "uv publish"}) {
        if (body.find(publish) != std::string::npos)
            releases_ = true;
    }
    if (shell) {
        UnitSpec script_spec = spec_;
        script_spec.line_offset = script_offset(script);
        reviewer_.shell(without_expressions(body), script_spec);
    }
}

void WorkflowReview::review_step(const YAML::Node& step, std::string_view job) {
    if (!step.IsMap())
        return;
    const auto uses = scalar(step["uses"]);
    if (!uses.empty()) {
        const bool local = uses.starts_with("./");
        const bool docker = uses.starts_with("docker://");
        if (!local && !pinned_to_commit(uses) &&
            !(docker && uses.find("@sha256:") != std::string::npos)) {
            observe(rules::kCiUnpinnedAction, Severity::low, step["uses"],
                    fmt::format("{} is referenced by a tag or branch, not a commit SHA.", uses));
        }
        const auto action = uses.substr(0, uses.find('@'));
        const auto with = step["with"];
        if (action == "actions/checkout" && privileged_ && with && with.IsMap()) {
            const auto ref = scalar(with["ref"]) + " " + scalar(with["repository"]);
            if (ref.find("head") != std::string::npos ||
                ref.find("refs/pull") != std::string::npos ||
                ref.find("pull_request.number") != std::string::npos) {
                observe(rules::kCiUntrustedCheckout, Severity::high,
                        with["ref"] ? with["ref"] : step["uses"],
                        fmt::format("Job '{}' checks out pull request code ({}) in a {} "
                                    "workflow.",
                                    job, scalar(with["ref"]),
                                    triggers_.contains("workflow_run") ? "workflow_run"
                                                                       : "pull_request_target"));
            }
        }
        if (action == "actions/cache" || action == "actions/cache/restore" ||
            (action.starts_with("actions/setup-") && with && with.IsMap() && with["cache"]))
            cache_steps_.push_back(step["uses"]);
        if (action == "pypa/gh-action-pypi-publish" || action == "softprops/action-gh-release" ||
            action == "docker/build-push-action" || action == "JS-DevTools/npm-publish" ||
            action == "ncipollo/release-action")
            releases_ = true;
        if (action == "actions/github-script" && with && with.IsMap() && with["script"])
            review_script(with["script"], job, false);
    }
    if (step["run"])
        review_script(step["run"], job, true);
}

void WorkflowReview::review_steps(const YAML::Node& steps, std::string_view job) {
    if (!steps || !steps.IsSequence())
        return;
    for (const auto& step : steps)
        review_step(step, job);
}

void WorkflowReview::run(const YAML::Node& root, bool composite) {
    if (!root.IsMap())
        return;
    if (composite) {
        const auto runs = root["runs"];
        if (runs && runs.IsMap())
            review_steps(runs["steps"], "composite action");
    } else {
        read_triggers(root["on"]);
        const auto name = scalar(root["name"]);
        if (name.find("elease") != std::string::npos || name.find("ublish") != std::string::npos)
            releases_ = true;
        const auto jobs = root["jobs"];
        if (jobs && jobs.IsMap()) {
            for (const auto& job : jobs) {
                const auto job_name = job.first.as<std::string>();
                const auto& definition = job.second;
                if (!definition.IsMap())
                    continue;
                if (const auto uses = scalar(definition["uses"]); !uses.empty()) {
                    if (!uses.starts_with("./") && !pinned_to_commit(uses))
                        observe(rules::kCiUnpinnedAction, Severity::low, definition["uses"],
                                fmt::format("Reusable workflow {} is referenced by a tag or "
                                            "branch, not a commit SHA.",
                                            uses));
                    if (scalar(definition["secrets"]) == "inherit")
                        observe(rules::kCiSecretsInherit, Severity::low, definition["secrets"],
                                fmt::format("Job '{}' passes every secret to {}.", job_name, uses));
                }
                review_steps(definition["steps"], job_name);
            }
        }
    }
    if (releases_) {
        for (const auto& cache : cache_steps_) {
            observe(rules::kCiCacheInRelease, Severity::medium, cache,
                    fmt::format("{} restores a cache in a workflow that publishes a release.",
                                scalar(cache)));
        }
    }
    log_.emit({spec_.location, Trigger::ci, spec_.role, spec_.inherited}, reviewer_.context());
}

}  // namespace

void review_workflow(std::string_view text, const UnitSpec& spec, Reviewer& reviewer,
                     bool composite_action) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        reviewer.context().report(Finding::make(
            rules::kScanUnparseable,
            fmt::format("The workflow cannot be parsed ({}), so its steps were not reviewed.",
                        error.msg),
            spec.location));
        return;
    }
    if (composite_action && !(root.IsMap() && root["runs"]))
        return;
    WorkflowReview review(text, spec, reviewer);
    try {
        review.run(root, composite_action);
    } catch (const YAML::Exception& error) {
        reviewer.context().report(Finding::make(
            rules::kScanUnparseable,
            fmt::format("The workflow has an unexpected shape ({}).", error.msg), spec.location));
    }
}

}  // namespace hazmat::code
