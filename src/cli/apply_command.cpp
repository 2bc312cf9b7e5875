#include <fmt/format.h>

#include <chrono>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "sandbox/state_store.hpp"
#include "sandbox/workspace_apply.hpp"
#include "sandbox/workspace_diff.hpp"

namespace hazmat::cli {

namespace {

struct ApplyCommandOptions {
    std::string name;
    bool list = false;
    bool discard = false;
    bool dry_run = false;
    bool include_risky = false;
};

int list_layers(const std::filesystem::path& state) {
    const auto layers = sandbox::list_layers(state);
    if (layers.empty()) {
        fmt::print("No workspace layer holds changes.\n");
        return kExitClean;
    }
    for (const auto& layer : layers)
        fmt::print("{:<28} {:<5} {}\n", layer.name, layer.kept ? "kept" : "run",
                   layer.project.string());
    return kExitClean;
}

void print_diff(const sandbox::WorkspaceDiff& diff) {
    for (const auto& change : diff.changes) {
        fmt::print("  {:<8} {}{}{}\n", to_string(change.kind), change.path,
                   change.type == sandbox::EntryType::symlink ? " -> " + change.link_target : "",
                   change.risky() ? "   [" + change.risks.front() + "]" : "");
    }
}

int apply_layer(const ApplyCommandOptions& options) {
    auto state = sandbox::state_root();
    if (!state) {
        print_error(state.error().message);
        return kExitUsage;
    }
    if (options.list)
        return list_layers(*state);
    if (options.name.empty()) {
        print_error("name a kept workspace or a run id ('hazmat apply --list' shows them)");
        return kExitUsage;
    }
    auto layer = sandbox::find_layer(*state, options.name);
    if (!layer) {
        print_error(layer.error().message);
        return kExitUsage;
    }
    if (options.discard) {
        if (auto status = sandbox::clear_layer(*layer); !status) {
            print_error(status.error().message);
            return kExitUsage;
        }
        fmt::print("Discarded the changes in '{}'.\n", layer->name);
        return kExitClean;
    }
    auto diff = sandbox::diff_workspace(layer->upper(), layer->project);
    if (!diff) {
        print_error(diff.error().message);
        return kExitUsage;
    }
    if (diff->changes.empty()) {
        fmt::print("'{}' holds no changes for {}.\n", layer->name, layer->project.string());
        return kExitClean;
    }
    fmt::print("Changes in '{}' for {}:\n", layer->name, layer->project.string());
    print_diff(*diff);
    if (options.dry_run)
        return kExitClean;

    sandbox::ApplyOptions apply_options;
    apply_options.include_risky = options.include_risky;
    auto outcome = sandbox::apply_changes(layer->upper(), layer->project, *diff, apply_options);
    if (!outcome) {
        print_error(outcome.error().message);
        return kExitUsage;
    }
    fmt::print("Applied {} change{}.\n", outcome->applied.size(),
               outcome->applied.size() == 1 ? "" : "s");
    for (const auto& skipped : outcome->skipped)
        fmt::print("  skipped {}\n", skipped);
    // A layer whose changes all reached the project has nothing left to
    // offer; one with skipped changes stays for review.
    if (outcome->skipped.empty()) {
        if (auto status = sandbox::clear_layer(*layer); !status)
            print_error(status.error().message);
    }
    return outcome->skipped.empty() ? kExitClean : kExitFindings;
}

}  // namespace

void add_apply_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto options = std::make_shared<ApplyCommandOptions>();
    auto* apply = app.add_subcommand(
        "apply",
        "Apply the workspace changes of a sandboxed run to the real project directory.\n"
        "NAME is a --keep name or a run id. Changes that run code later (git hooks, .vscode, "
        ".pth files ...) are skipped unless --include-risky; symlinks leading out of the "
        "project are never applied. Exit code 1 when something was skipped.");
    apply->add_option("NAME", options->name, "Kept workspace name or run id");
    apply->add_flag("--list", options->list, "List the layers that hold changes");
    apply->add_flag("--discard", options->discard, "Throw the layer's changes away");
    apply->add_flag("-n,--dry-run", options->dry_run, "Only show the changes");
    apply->add_flag("--include-risky", options->include_risky,
                    "Also apply changes that run code later");
    apply->callback([options, &exit_code] { exit_code = apply_layer(*options); });

    // hazmat's own housekeeping after a run (started detached by `run`).
    auto trash = std::make_shared<std::string>();
    auto* collect = app.add_subcommand("__collect-trash", "Empty a state directory's trash");
    collect->group("");
    collect->add_option("STATE", *trash, "State directory")->required();
    collect->callback([trash, &exit_code] {
        sandbox::collect_trash(*trash);
        exit_code = kExitClean;
    });
}

}  // namespace hazmat::cli
