#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/status.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// Where hazmat keeps runs and workspace layers: $HAZMAT_STATE_DIR, else
// $XDG_STATE_HOME/hazmat, else ~/.local/state/hazmat. Created 0700.
Result<std::filesystem::path> state_root();

// One run's directory: runs/<id>/ with the audit log, the decoys planted
// (for attributing a later sighting) and, for runs without --keep, the
// overlay layer.
struct RunDirectory {
    std::string id;
    std::filesystem::path dir;
    // Where the sandbox's new root is mounted before pivot_root: one empty
    // directory shared by every run, each mounting over it in its own mount
    // namespace (the host never sees those mounts).
    std::filesystem::path mount_point;

    std::filesystem::path audit_log() const { return dir / "audit.jsonl"; }
    std::filesystem::path decoys_file() const { return dir / "decoys.json"; }
};

Result<RunDirectory> create_run_directory(const std::filesystem::path& state);

// An overlay upper layer and its work directory: a run's own, or a named
// one kept between runs (--keep NAME).
struct WorkspaceLayer {
    std::string name;  // keep name, or the run id
    bool kept = false;
    std::filesystem::path dir;
    std::filesystem::path project;  // the real directory it applies to
    UniqueFd lock;                  // held while a run uses the layer

    std::filesystem::path upper() const { return dir / "upper"; }
    std::filesystem::path work() const { return dir / "work"; }
};

// The layer a run writes to. A kept layer belongs to one project directory
// and one run at a time; `fresh` discards its content first.
Result<WorkspaceLayer> prepare_layer(const std::filesystem::path& state, const RunDirectory& run,
                                     const std::optional<std::string>& keep_name, bool fresh,
                                     const std::filesystem::path& project);

// A layer by keep name or run id, for `hazmat apply`.
Result<WorkspaceLayer> find_layer(const std::filesystem::path& state, const std::string& name);

// Layers with content, newest first: (name, project, kept).
struct LayerInfo {
    std::string name;
    std::filesystem::path project;
    bool kept = false;
    std::filesystem::file_time_type modified;
};
std::vector<LayerInfo> list_layers(const std::filesystem::path& state);

// Empties a layer (after it was applied, or on --fresh / apply --discard).
Status clear_layer(const WorkspaceLayer& layer);

// After a run: moves what is no longer needed (the overlay's work
// directory, the layer when it holds no change, the layers of runs beyond
// the most recent `keep`) into the state's trash, and once the trash holds
// a few runs' worth, starts a detached process that empties it. Removing directories synchronously
// would make every run wait on the file system (on some file systems rmdir costs milliseconds) for
// nothing the user needs.
void dispose_run_leftovers(const std::filesystem::path& state, const RunDirectory& run,
                           bool keep_layer, size_t keep = 20);

// Empties the state's trash (in the process dispose_run_leftovers starts).
void collect_trash(const std::filesystem::path& state);

// Removes a directory tree without following symlinks (entries are
// removed, never the targets of links in it).
Status remove_tree(const std::filesystem::path& path);

}  // namespace hazmat::sandbox
