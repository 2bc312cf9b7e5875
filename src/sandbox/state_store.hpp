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

// One run's directory: runs/<id>/ with the new root's mount point, the
// audit log, the decoys planted (for attributing a later sighting) and, for
// runs without --keep, the overlay layer.
struct RunDirectory {
    std::string id;
    std::filesystem::path dir;

    std::filesystem::path mount_point() const { return dir / "root"; }
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

// After the run in `run_dir`: removes its overlay work directory, and its
// layer when it holds no change; when it does, removes the layers of older
// runs beyond the most recent `keep` (named layers are never pruned).
void prune_run_layers(const std::filesystem::path& state, const std::filesystem::path& run_dir,
                      size_t keep = 20);

// Removes a directory tree without following symlinks (entries are
// removed, never the targets of links in it).
Status remove_tree(const std::filesystem::path& path);

}  // namespace hazmat::sandbox
