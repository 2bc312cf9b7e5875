#include "sandbox/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/data_dir.hpp"
#include "sandbox/path_beneath.hpp"
#include "sandbox/persona.hpp"
#include "sandbox/policy.hpp"

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

Status make_private_dir(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec)
        return Error{fmt::format("cannot create {}: {}", path.string(), ec.message())};
    if (chmod(path.c_str(), 0700) != 0)
        return sys_error(fmt::format("chmod({}, 0700)", path.string()));
    return done();
}

std::string new_run_id() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    return fmt::format("{:%Y%m%d-%H%M%S}-{:06x}", fmt::localtime(now), random_between(0, 0xffffff));
}

// Removes the entries of the directory `dir_fd` recursively; `dir_fd` is
// consumed.
Status remove_contents(int dir_fd) {
    DIR* dir = fdopendir(dir_fd);
    if (dir == nullptr) {
        close(dir_fd);
        return sys_error("fdopendir");
    }
    std::vector<std::string> names;
    while (const auto* entry = readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    Status result = done();
    for (const auto& name : names) {
        struct stat info = {};
        if (fstatat(dirfd(dir), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(info.st_mode)) {
            // Overlay leaves a mode 000 directory in its work directory: its
            // owner may still change the mode, then enter it.
            fchmodat(dirfd(dir), name.c_str(), 0700, 0);
            const int child =
                openat(dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                result = sys_error(fmt::format("openat({})", name));
                continue;
            }
            if (auto status = remove_contents(child); !status)
                result = status;
            if (unlinkat(dirfd(dir), name.c_str(), AT_REMOVEDIR) != 0 && result.ok())
                result = sys_error(fmt::format("rmdir({})", name));
        } else if (unlinkat(dirfd(dir), name.c_str(), 0) != 0 && result.ok()) {
            result = sys_error(fmt::format("unlink({})", name));
        }
    }
    closedir(dir);
    return result;
}

nlohmann::json read_meta(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        return nlohmann::json::object();
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();
    }
}

Status write_meta(const fs::path& file, const nlohmann::json& meta) {
    std::ofstream out(file, std::ios::trunc);
    out << meta.dump(2) << "\n";
    if (!out)
        return Error{fmt::format("cannot write {}", file.string())};
    return done();
}

Result<UniqueFd> lock_layer(const fs::path& dir, const std::string& name) {
    UniqueFd lock(open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!lock)
        return sys_error(fmt::format("open({})", (dir / "lock").string()));
    if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        return Error{fmt::format("the kept workspace '{}' is in use by another run", name)};
    return lock;
}

bool is_empty_dir(const fs::path& path) {
    std::error_code ec;
    return fs::is_empty(path, ec) || ec;
}

}  // namespace

Result<fs::path> state_root() {
    fs::path root;
    if (const char* dir = std::getenv("HAZMAT_STATE_DIR"); dir != nullptr && *dir) {
        root = dir;
    } else if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/') {
        root = fs::path(xdg) / "hazmat";
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
        root = fs::path(home) / ".local" / "state" / "hazmat";
    } else {
        return Error{"cannot find a state directory: set HAZMAT_STATE_DIR or HOME"};
    }
    if (auto status = make_private_dir(root); !status)
        return status.error();
    return root;
}

Result<RunDirectory> create_run_directory(const fs::path& state) {
    RunDirectory run;
    run.id = new_run_id();
    run.dir = state / "runs" / run.id;
    if (auto status = make_private_dir(run.dir.parent_path()); !status)
        return status.error();
    if (mkdir(run.dir.c_str(), 0700) != 0)
        return sys_error(fmt::format("mkdir({})", run.dir.string()));
    run.mount_point = state / "mnt";
    if (mkdir(run.mount_point.c_str(), 0700) != 0 && errno != EEXIST)
        return sys_error(fmt::format("mkdir({})", run.mount_point.string()));
    return run;
}

Result<WorkspaceLayer> prepare_layer(const fs::path& state, const RunDirectory& run,
                                     const std::optional<std::string>& keep_name, bool fresh,
                                     const fs::path& project) {
    WorkspaceLayer layer;
    layer.project = project;
    if (!keep_name) {
        layer.name = run.id;
        layer.dir = run.dir;
    } else {
        if (!is_valid_keep_name(*keep_name))
            return Error{
                fmt::format("--keep {}: use letters, digits, '.', '_' and '-'", *keep_name)};
        layer.name = *keep_name;
        layer.kept = true;
        layer.dir = state / "workspaces" / *keep_name;
        if (auto status = make_private_dir(layer.dir); !status)
            return status.error();
        auto lock = lock_layer(layer.dir, layer.name);
        if (!lock)
            return lock.error();
        layer.lock = std::move(*lock);
        auto meta = read_meta(layer.dir / "meta.json");
        if (meta.contains("project") && meta["project"].get<std::string>() != project.string() &&
            !fresh)
            return Error{
                fmt::format("the kept workspace '{}' belongs to {}; use another name or --fresh",
                            layer.name, meta["project"].get<std::string>())};
        if (fresh) {
            if (auto status = clear_layer(layer); !status)
                return status.error();
        }
        meta["project"] = project.string();
        meta["last_run"] = run.id;
        if (auto status = write_meta(layer.dir / "meta.json", meta); !status)
            return status.error();
    }
    for (const auto& dir : {layer.upper(), layer.work()}) {
        if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return sys_error(fmt::format("mkdir({})", dir.string()));
    }
    // The overlay's root directory takes its mode from the upper layer: make
    // the workspace look like the project directory.
    struct stat project_info = {};
    if (stat(project.c_str(), &project_info) == 0)
        chmod(layer.upper().c_str(), project_info.st_mode & 0777);
    if (!layer.kept) {
        if (auto status = write_meta(run.dir / "meta.json", {{"project", project.string()}});
            !status)
            return status.error();
    }
    return layer;
}

Result<WorkspaceLayer> find_layer(const fs::path& state, const std::string& name) {
    if (!is_valid_keep_name(name))
        return Error{fmt::format("'{}' is not a workspace name or run id", name)};
    WorkspaceLayer layer;
    layer.name = name;
    if (fs::is_directory(state / "workspaces" / name)) {
        layer.kept = true;
        layer.dir = state / "workspaces" / name;
        auto lock = lock_layer(layer.dir, name);
        if (!lock)
            return lock.error();
        layer.lock = std::move(*lock);
    } else if (fs::is_directory(state / "runs" / name / "upper")) {
        layer.dir = state / "runs" / name;
    } else {
        return Error{
            fmt::format("no kept workspace or run named '{}' ('hazmat apply --list' "
                        "shows them)",
                        name)};
    }
    const auto meta = read_meta(layer.dir / "meta.json");
    if (!meta.contains("project"))
        return Error{
            fmt::format("{}: the layer does not record its project directory", layer.dir.string())};
    layer.project = meta["project"].get<std::string>();
    return layer;
}

std::vector<LayerInfo> list_layers(const fs::path& state) {
    std::vector<LayerInfo> layers;
    std::error_code ec;
    for (const auto& [subdir, kept] : {std::pair{"workspaces", true}, {"runs", false}}) {
        for (const auto& entry : fs::directory_iterator(state / subdir, ec)) {
            const auto upper = entry.path() / "upper";
            if (!fs::is_directory(upper, ec) || is_empty_dir(upper))
                continue;
            const auto meta = read_meta(entry.path() / "meta.json");
            LayerInfo info;
            info.name = entry.path().filename().string();
            info.kept = kept;
            info.project = meta.value("project", "");
            info.modified = fs::last_write_time(upper, ec);
            layers.push_back(std::move(info));
        }
    }
    std::sort(layers.begin(), layers.end(),
              [](const LayerInfo& a, const LayerInfo& b) { return a.modified > b.modified; });
    return layers;
}

Status clear_layer(const WorkspaceLayer& layer) {
    for (const auto& dir : {layer.upper(), layer.work()}) {
        if (auto status = remove_tree(dir); !status)
            return status;
        if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return sys_error(fmt::format("mkdir({})", dir.string()));
    }
    return done();
}

namespace {

constexpr size_t kTrashBatch = 32;

void move_to_trash(const fs::path& state, const fs::path& path, const std::string& name) {
    std::error_code ec;
    fs::create_directories(state / "trash", ec);
    const auto target =
        state / "trash" / fmt::format("{}-{:06x}", name, random_between(0, 0xffffff));
    if (rename(path.c_str(), target.c_str()) != 0 && errno != ENOENT)
        (void)remove_tree(path);
}

// A process of its own, detached from hazmat and its terminal, empties the
// trash: the user does not wait for it. posix_spawn (vfork-style) costs
// hazmat far less than a fork of itself.
void start_trash_collector(const fs::path& state) {
    const auto exe = executable_path();
    if (exe.empty())
        return;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_init(&actions);
    for (int fd = 0; fd <= 2; ++fd)
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
    const std::string state_dir = state.string();
    char* argv[] = {const_cast<char*>("hazmat"), const_cast<char*>("__collect-trash"),
                    const_cast<char*>(state_dir.c_str()), nullptr};
    char* envp[] = {nullptr};
    pid_t pid = 0;
    posix_spawn(&pid, exe.c_str(), &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
}

}  // namespace

void dispose_run_leftovers(const fs::path& state, const RunDirectory& run, bool keep_layer,
                           size_t keep) {
    move_to_trash(state, run.dir / "work", run.id + ".work");
    if (!keep_layer) {
        move_to_trash(state, run.dir / "upper", run.id + ".upper");
    } else {
        std::error_code ec;
        std::vector<fs::path> with_changes;
        for (const auto& entry : fs::directory_iterator(state / "runs", ec)) {
            if (fs::is_directory(entry.path() / "upper", ec))
                with_changes.push_back(entry.path());
        }
        // Run ids start with their date, so names sort by age.
        std::sort(with_changes.begin(), with_changes.end(), std::greater<>());
        for (size_t i = keep; i < with_changes.size(); ++i)
            move_to_trash(state, with_changes[i] / "upper",
                          with_changes[i].filename().string() + ".upper");
    }
    // A collector per run would cost more than it saves: empty the trash
    // once it has gathered a few runs' leftovers.
    size_t entries = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(state / "trash", ec);
         it != fs::directory_iterator() && entries < kTrashBatch; it.increment(ec))
        ++entries;
    if (entries >= kTrashBatch)
        start_trash_collector(state);
}

void collect_trash(const fs::path& state) {
    if (nice(19) == -1) {
        // A lower priority is a courtesy; the work is the same without it.
    }
    // One collector at a time.
    UniqueFd lock(
        open((state / "trash.lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!lock || flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(state / "trash", ec))
        (void)remove_tree(entry.path());
}

Status remove_tree(const fs::path& path) {
    struct stat info = {};
    if (lstat(path.c_str(), &info) != 0)
        return errno == ENOENT ? done() : sys_error(fmt::format("lstat({})", path.string()));
    if (!S_ISDIR(info.st_mode)) {
        if (unlink(path.c_str()) != 0)
            return sys_error(fmt::format("unlink({})", path.string()));
        return done();
    }
    const int dir = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
        return sys_error(fmt::format("open({})", path.string()));
    fchmod(dir, 0700);
    if (auto status = remove_contents(dir); !status)
        return status;
    if (rmdir(path.c_str()) != 0)
        return sys_error(fmt::format("rmdir({})", path.string()));
    return done();
}

}  // namespace hazmat::sandbox
