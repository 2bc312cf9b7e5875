#include "core/git_history.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

namespace fs = std::filesystem;

namespace {

// libgit2 is initialised once per process with settings that make it a pure
// reader of the target: no ownership refusal (the scanned checkout usually
// belongs to someone else, and nothing here writes or executes), and no
// system, global or XDG configuration, so the user's own git settings
// (credential helpers, includes, safe.directory) neither leak into nor steer
// the review. Memory for pack windows and the object cache is bounded.
class Libgit2 {
  public:
    Libgit2() {
        git_libgit2_init();
        git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
        for (const int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG,
                                GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA}) {
            git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
        }
        git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, static_cast<size_t>(256) << 20);
        git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(64) << 20);
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, static_cast<size_t>(0));
    }
    ~Libgit2() { git_libgit2_shutdown(); }
};

void ensure_libgit2() {
    static const Libgit2 library;
}

std::string last_git_error() {
    const git_error* error = git_error_last();
    return error != nullptr && error->message != nullptr ? error->message : "unknown error";
}

template <typename T, void (*Free)(T*)>
struct GitDeleter {
    void operator()(T* object) const { Free(object); }
};
using RepositoryPtr =
    std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using OdbPtr = std::unique_ptr<git_odb, GitDeleter<git_odb, git_odb_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, GitDeleter<git_revwalk, git_revwalk_free>>;
using ReferencePtr = std::unique_ptr<git_reference, GitDeleter<git_reference, git_reference_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;
using RefIteratorPtr =
    std::unique_ptr<git_reference_iterator,
                    GitDeleter<git_reference_iterator, git_reference_iterator_free>>;

struct OidHash {
    size_t operator()(const git_oid& oid) const {
        size_t value;
        std::memcpy(&value, oid.id, sizeof(value));
        return value;
    }
};
struct OidEqual {
    bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b); }
};
using OidSet = std::unordered_set<git_oid, OidHash, OidEqual>;

std::string hex(const git_oid& oid) {
    char buffer[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buffer, sizeof(buffer), &oid);
    return buffer;
}

// Where a blob was first seen: the commit (none for a dangling object) and
// the path inside that commit's tree.
struct BlobRecord {
    git_oid blob;
    std::optional<git_oid> commit;
    int64_t author_time = 0;
    std::string path;
};

bool is_within(const fs::path& candidate, const fs::path& root) {
    const auto [root_end, unused] =
        std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
    (void)unused;
    return root_end == root.end();
}

std::string read_small_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool contains_ignoring_case(std::string text, std::string_view needle) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find(needle) != std::string::npos;
}

class HistoryReader {
  public:
    HistoryReader(const fs::path& target, const std::string& display, FindingSink& sink)
        : gitdir_(target / ".git"), sink_(sink) {
        // Joined the way the walker joins paths, so ".git" sits next to the
        // working-tree files in the report.
        const bool bare = display.empty() || display == ".";
        repo_location_.chain.push_back(
            {LocationPart::Kind::file,
             bare ? ".git" : display + (display.back() == '/' ? ".git" : "/.git")});
    }

    const Location& location() const { return repo_location_; }
    const fs::path& gitdir() const { return gitdir_; }

    void report(std::string_view rule, std::string message) {
        sink_.add(Finding::make(rule, std::move(message), repo_location_));
    }

    // Refuses repositories whose metadata reaches outside the target.
    bool preflight() {
        std::error_code ec;
        if (!fs::is_directory(fs::symlink_status(gitdir_, ec))) {
            report(rules::kScanUnreadable,
                   "Git history not examined: .git is not a directory but a pointer to a "
                   "repository elsewhere (a linked worktree or a submodule checkout). Scan that "
                   "repository to examine its history, or pass --no-history.");
            return false;
        }
        const auto root = fs::weakly_canonical(gitdir_.parent_path(), ec);
        const auto gitdir = fs::weakly_canonical(gitdir_, ec);
        if (ec || !is_within(gitdir, root)) {
            report(rules::kScanUnreadable,
                   "Git history not examined: the .git directory resolves outside the target.");
            return false;
        }
        if (fs::exists(gitdir_ / "commondir", ec)) {
            report(rules::kScanUnreadable,
                   "Git history not examined: .git/commondir points this repository at another "
                   "one's objects and refs, which may lie outside the target.");
            return false;
        }
        // git_repository_open parses the config, and libgit2 follows
        // [include] and [includeIf] paths, which may name any file.
        if (contains_ignoring_case(read_small_file(gitdir_ / "config"), "[include")) {
            report(rules::kScanUnreadable,
                   "Git history not examined: .git/config includes other files, which hazmat "
                   "does not open on behalf of the scanned repository.");
            return false;
        }
        if (fs::exists(gitdir_ / "objects" / "info" / "alternates", ec)) {
            report(rules::kScanUnreadable,
                   "Objects that this repository borrows from another one "
                   "(objects/info/alternates) were not examined; commits that need them are "
                   "reported as unreadable.");
        }
        return true;
    }

    // Opens the repository with an object database of its own pack and
    // loose objects only, so that alternates are never followed.
    RepositoryPtr open() {
        git_repository* raw = nullptr;
        if (git_repository_open_ext(&raw, gitdir_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                    nullptr) != 0) {
            report(rules::kScanUnreadable,
                   fmt::format("Git history not examined: {}", last_git_error()));
            return nullptr;
        }
        RepositoryPtr repo(raw);
        const auto objects = (fs::path(git_repository_commondir(raw)) / "objects").string();
        git_odb* raw_odb = nullptr;
        git_odb_backend* pack = nullptr;
        git_odb_backend* loose = nullptr;
        if (git_odb_new(&raw_odb) != 0)
            return nullptr;
        const OdbPtr odb(raw_odb);
        if (git_odb_backend_pack(&pack, objects.c_str()) != 0 ||
            git_odb_add_backend(raw_odb, pack, 2) != 0 ||
            git_odb_backend_loose(&loose, objects.c_str(), -1, 0, 0, 0) != 0 ||
            git_odb_add_backend(raw_odb, loose, 1) != 0) {
            report(rules::kScanUnreadable,
                   fmt::format("Git history not examined: cannot open its objects: {}",
                               last_git_error()));
            return nullptr;
        }
        git_repository_set_odb(raw, raw_odb);
        return repo;
    }

  private:
    fs::path gitdir_;
    FindingSink& sink_;
    Location repo_location_;
};

// Lists every blob of the history once, in the order commits were made.
class BlobCollector {
  public:
    BlobCollector(git_repository* repo, HistoryReader& reader) : repo_(repo), reader_(reader) {}

    void collect_from_refs() {
        std::vector<git_oid> commits;
        git_reference_iterator* raw_iterator = nullptr;
        if (git_reference_iterator_new(&raw_iterator, repo_) != 0) {
            reader_.report(rules::kScanUnparseable,
                           fmt::format("Git refs could not be listed: {}", last_git_error()));
            return;
        }
        const RefIteratorPtr iterator(raw_iterator);
        git_reference* raw_ref = nullptr;
        while (git_reference_next(&raw_ref, raw_iterator) == 0) {
            const ReferencePtr ref(raw_ref);
            add_root(ref.get(), commits);
        }
        git_reference* head = nullptr;
        if (git_repository_head_detached(repo_) == 1 && git_repository_head(&head, repo_) == 0) {
            const ReferencePtr ref(head);
            add_root(ref.get(), commits);
        }
        walk_commits(commits);
    }

    // Objects no ref reaches: dangling commits (with their paths), then
    // dangling trees, then blobs nothing points at.
    void collect_unreachable() {
        git_odb* odb = nullptr;
        if (git_repository_odb(&odb, repo_) != 0)
            return;
        const OdbPtr odb_owner(odb);
        std::vector<git_oid> all;
        git_odb_foreach(
            odb,
            [](const git_oid* oid, void* payload) {
                static_cast<std::vector<git_oid>*>(payload)->push_back(*oid);
                return 0;
            },
            &all);
        std::vector<git_oid> commits;
        std::vector<git_oid> trees;
        std::vector<git_oid> blobs;
        for (const auto& oid : all) {
            size_t size = 0;
            git_object_t type = GIT_OBJECT_INVALID;
            if (git_odb_read_header(&size, &type, odb, &oid) != 0)
                continue;
            if (type == GIT_OBJECT_COMMIT && !visited_commits_.contains(oid))
                commits.push_back(oid);
            else if (type == GIT_OBJECT_TREE)
                trees.push_back(oid);
            else if (type == GIT_OBJECT_BLOB)
                blobs.push_back(oid);
        }
        walk_commits(commits);
        for (const auto& tree : trees) {
            if (!visited_trees_.contains(tree))
                walk_tree(tree, std::nullopt, 0, "");
        }
        for (const auto& blob : blobs) {
            if (seen_blobs_.insert(blob).second)
                records_.push_back({blob, std::nullopt, 0, ""});
        }
    }

    // Blobs of HEAD's tree, to say whether a secret is still there.
    OidSet head_blobs() const {
        OidSet blobs;
        git_object* raw = nullptr;
        if (git_revparse_single(&raw, repo_, "HEAD^{tree}") != 0)
            return blobs;
        const ObjectPtr tree(raw);
        collect_all(git_object_id(tree.get()), blobs);
        return blobs;
    }

    std::vector<BlobRecord> take() { return std::move(records_); }

  private:
    void add_root(git_reference* ref, std::vector<git_oid>& commits) {
        if (git_reference_type(ref) != GIT_REFERENCE_DIRECT)
            return;
        git_object* raw = nullptr;
        if (git_reference_peel(&raw, ref, GIT_OBJECT_ANY) != 0) {
            reader_.report(rules::kScanUnparseable,
                           fmt::format("Git ref {} could not be read: {}", git_reference_name(ref),
                                       last_git_error()));
            return;
        }
        const ObjectPtr object(raw);
        const git_oid* oid = git_object_id(raw);
        switch (git_object_type(raw)) {
            case GIT_OBJECT_COMMIT:
                commits.push_back(*oid);
                break;
            case GIT_OBJECT_TREE:
                walk_tree(*oid, std::nullopt, 0, "");
                break;
            case GIT_OBJECT_BLOB:
                if (seen_blobs_.insert(*oid).second)
                    records_.push_back({*oid, std::nullopt, 0, git_reference_name(ref)});
                break;
            default:
                break;
        }
    }

    void walk_commits(const std::vector<git_oid>& roots) {
        if (roots.empty())
            return;
        git_revwalk* raw = nullptr;
        if (git_revwalk_new(&raw, repo_) != 0)
            return;
        const RevwalkPtr walk(raw);
        // Parents before children: the first commit that shows a blob is
        // where it entered the history.
        git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
        for (const auto& oid : roots) {
            if (git_revwalk_push(raw, &oid) != 0) {
                reader_.report(
                    rules::kScanUnparseable,
                    fmt::format("Git commit {} could not be read: {}", hex(oid), last_git_error()));
            }
        }
        git_oid oid;
        int status = 0;
        while ((status = git_revwalk_next(&oid, raw)) == 0) {
            if (!visited_commits_.insert(oid).second)
                continue;
            git_commit* commit = nullptr;
            if (git_commit_lookup(&commit, repo_, &oid) != 0) {
                report_unreadable_commit(oid);
                continue;
            }
            const CommitPtr owner(commit);
            walk_tree(*git_commit_tree_id(commit), oid, git_commit_author(commit)->when.time, "");
        }
        if (status != GIT_ITEROVER) {
            reader_.report(
                rules::kScanUnparseable,
                fmt::format("Git history could not be walked completely: {}", last_git_error()));
        }
    }

    void report_unreadable_commit(const git_oid& commit) {
        reader_.report(rules::kScanUnparseable, fmt::format("Git commit {} could not be read: {}",
                                                            hex(commit), last_git_error()));
    }

    // Depth-first over the tree; a subtree seen before holds only blobs seen
    // before, so it is skipped. That keeps long histories linear in the
    // number of changed trees rather than commits times files.
    void walk_tree(const git_oid& root, std::optional<git_oid> commit, int64_t time,
                   const std::string& prefix) {
        std::vector<std::pair<git_oid, std::string>> pending{{root, prefix}};
        while (!pending.empty()) {
            auto [tree_oid, path] = std::move(pending.back());
            pending.pop_back();
            if (!visited_trees_.insert(tree_oid).second)
                continue;
            git_tree* raw = nullptr;
            if (git_tree_lookup(&raw, repo_, &tree_oid) != 0) {
                reader_.report(rules::kScanUnparseable,
                               fmt::format("Git tree {} could not be read: {}", hex(tree_oid),
                                           last_git_error()));
                continue;
            }
            const TreePtr tree(raw);
            const size_t count = git_tree_entrycount(raw);
            for (size_t i = 0; i < count; ++i) {
                const git_tree_entry* entry = git_tree_entry_byindex(raw, i);
                std::string entry_path = path.empty() ? std::string(git_tree_entry_name(entry))
                                                      : path + "/" + git_tree_entry_name(entry);
                const git_oid* id = git_tree_entry_id(entry);
                const auto type = git_tree_entry_type(entry);
                if (type == GIT_OBJECT_TREE) {
                    pending.emplace_back(*id, std::move(entry_path));
                } else if (type == GIT_OBJECT_BLOB && seen_blobs_.insert(*id).second) {
                    records_.push_back({*id, commit, time, std::move(entry_path)});
                }
                // Gitlinks (submodule commits) name another repository's
                // objects, which are not here.
            }
        }
    }

    void collect_all(const git_oid* root, OidSet& blobs) const {
        std::vector<git_oid> pending{*root};
        OidSet trees;
        while (!pending.empty()) {
            const git_oid oid = pending.back();
            pending.pop_back();
            if (!trees.insert(oid).second)
                continue;
            git_tree* raw = nullptr;
            if (git_tree_lookup(&raw, repo_, &oid) != 0)
                continue;
            const TreePtr tree(raw);
            for (size_t i = 0; i < git_tree_entrycount(raw); ++i) {
                const git_tree_entry* entry = git_tree_entry_byindex(raw, i);
                if (git_tree_entry_type(entry) == GIT_OBJECT_TREE)
                    pending.push_back(*git_tree_entry_id(entry));
                else if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB)
                    blobs.insert(*git_tree_entry_id(entry));
            }
        }
    }

    git_repository* repo_;
    HistoryReader& reader_;
    OidSet visited_commits_;
    OidSet visited_trees_;
    OidSet seen_blobs_;
    std::vector<BlobRecord> records_;
};

// Holds the findings of every blob until all are examined, so that one
// secret carried through many versions of a file is reported once.
class HistorySink : public FindingSink {
  public:
    explicit HistorySink(FindingSink& out) : out_(out) {}

    class ForBlob : public FindingSink {
      public:
        ForBlob(HistorySink& parent, size_t index) : parent_(parent), index_(index) {}
        void add(Finding finding) override { parent_.add_for(index_, std::move(finding)); }
        void count_format(std::string_view format) override { parent_.count_format(format); }

      private:
        HistorySink& parent_;
        size_t index_;
    };

    void add(Finding finding) override { add_for(SIZE_MAX, std::move(finding)); }
    void count_format(std::string_view format) override { out_.count_format(format); }

    void add_for(size_t blob, Finding finding) {
        const std::lock_guard lock(mutex_);
        findings_.emplace_back(blob, std::move(finding));
    }

    // Reports one finding per rule, path and value, annotated.
    // A value whose HEAD version is also the file in the working tree is
    // left to the working tree's scan, which reports it once under the same
    // path (reporting it from history too would count one leak twice).
    void flush(const std::vector<BlobRecord>& blobs, const OidSet& at_head,
               const std::string& display, const fs::path& work_tree) {
        struct Group {
            size_t first = SIZE_MAX;
            Finding* finding = nullptr;
            size_t versions = 0;
            bool at_head = false;
            bool in_work_tree = false;
        };
        std::map<std::string, Group> groups;
        for (auto& [blob, finding] : findings_) {
            if (finding.fingerprint_key.empty() || blob == SIZE_MAX) {
                out_.add(std::move(finding));
                continue;
            }
            const auto key = finding.rule_id + '\0' + fingerprint_path(finding.location, display) +
                             '\0' + finding.fingerprint_key;
            auto& group = groups[key];
            ++group.versions;
            if (at_head.contains(blobs[blob].blob)) {
                group.at_head = true;
                group.in_work_tree =
                    group.in_work_tree || same_as_work_tree(blobs[blob], work_tree);
            }
            if (blob < group.first) {
                group.first = blob;
                group.finding = &finding;
            }
        }
        for (auto& [key, group] : groups) {
            if (group.in_work_tree)
                continue;
            const auto& record = blobs[group.first];
            Finding finding = std::move(*group.finding);
            if (record.commit) {
                finding.with_evidence(fmt::format(
                    "first committed in {} (author date {:%Y-%m-%d %H:%M:%S} UTC) at {}",
                    hex(*record.commit), fmt::gmtime(static_cast<time_t>(record.author_time)),
                    record.path));
            } else {
                finding.with_evidence("in an object that no commit reaches");
            }
            finding.with_evidence(
                group.at_head ? fmt::format("still present at HEAD in {}", record.path)
                              : fmt::format("no longer present at HEAD in {}; it stays readable "
                                            "in the history by anyone with a clone",
                                            record.path.empty() ? "any file" : record.path));
            if (group.versions > 1)
                finding.with_evidence(
                    fmt::format("found in {} versions of the file", group.versions));
            out_.add(std::move(finding));
        }
        findings_.clear();
    }

  private:
    // Whether the working tree holds exactly this blob at its path (no
    // uncommitted edit, no line-ending filter changing the bytes).
    static bool same_as_work_tree(const BlobRecord& record, const fs::path& work_tree) {
        if (work_tree.empty() || record.path.empty())
            return false;
        const auto file = work_tree / record.path;
        std::error_code ec;
        if (!fs::is_regular_file(fs::symlink_status(file, ec)))
            return false;
        git_oid oid;
        if (git_odb_hashfile(&oid, file.c_str(), GIT_OBJECT_BLOB) != 0)
            return false;
        return git_oid_equal(&oid, &record.blob) != 0;
    }

    FindingSink& out_;
    std::mutex mutex_;
    std::vector<std::pair<size_t, Finding>> findings_;
};

Blob history_blob(const BlobRecord& record, const Location& repo, git_blob* blob) {
    Blob out;
    const ByteSpan span(static_cast<const uint8_t*>(git_blob_rawcontent(blob)),
                        static_cast<size_t>(git_blob_rawsize(blob)));
    out.bytes =
        Bytes(span, std::shared_ptr<const void>(blob, [](const void* object) {
                  git_blob_free(const_cast<git_blob*>(static_cast<const git_blob*>(object)));
              }));
    if (record.commit) {
        out.location = repo.child(LocationPart::Kind::commit, hex(*record.commit))
                           .child(LocationPart::Kind::member, record.path);
    } else {
        out.location = repo.child(LocationPart::Kind::embedded,
                                  fmt::format("unreachable blob {}", hex(record.blob)));
    }
    out.name = record.path;
    out.depth = 1;
    return out;
}

void scan_blobs(HistoryReader& reader, const std::vector<BlobRecord>& blobs,
                const Dispatcher& dispatcher, const ScanLimits& limits,
                const GitHistoryOptions& options, HistorySink& sink, Report& report) {
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> examined{0};
    const auto worker = [&] {
        // libgit2 objects must not be shared between threads: each worker
        // opens its own handle.
        const auto repo = reader.open();
        if (!repo)
            return;
        git_odb* odb = nullptr;
        git_repository_odb(&odb, repo.get());
        const OdbPtr odb_owner(odb);
        for (size_t i = next++; i < blobs.size(); i = next++) {
            const auto& record = blobs[i];
            HistorySink::ForBlob blob_sink(sink, i);
            size_t size = 0;
            git_object_t type = GIT_OBJECT_INVALID;
            if (git_odb_read_header(&size, &type, odb, &record.blob) != 0) {
                blob_sink.add(Finding::make(rules::kScanUnparseable,
                                            fmt::format("Git blob {} could not be read: {}",
                                                        hex(record.blob), last_git_error()),
                                            reader.location()));
                continue;
            }
            git_blob* blob = nullptr;
            if (size > options.max_blob_bytes) {
                blob_sink.add(Finding::make(
                    rules::kScanLimit,
                    fmt::format(
                        "Git blob {} ({}) is {} bytes, over the {} bytes read from history; "
                        "it was not examined.",
                        hex(record.blob), record.path, size, options.max_blob_bytes),
                    reader.location()));
                continue;
            }
            if (git_blob_lookup(&blob, repo.get(), &record.blob) != 0) {
                blob_sink.add(Finding::make(rules::kScanUnparseable,
                                            fmt::format("Git blob {} could not be read: {}",
                                                        hex(record.blob), last_git_error()),
                                            reader.location()));
                continue;
            }
            ScanContext context(dispatcher, blob_sink, limits);
            context.scan(history_blob(record, reader.location(), blob));
            examined += context.blobs_examined();
        }
    };
    const unsigned threads =
        std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(blobs.size())));
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < threads; ++t)
            pool.emplace_back(worker);
        worker();
    }
    report.add_stats(0, examined, 0, 0);
}

}  // namespace

bool has_git_directory(const fs::path& target) {
    // A `.git` file (a linked worktree, a submodule checkout) counts too:
    // preflight reports that its history lives elsewhere.
    std::error_code ec;
    return fs::exists(fs::symlink_status(target / ".git", ec));
}

void scan_git_history(const fs::path& target, const std::string& display,
                      const Dispatcher& dispatcher, const ScanLimits& limits,
                      const GitHistoryOptions& options, FindingSink& sink, Report& report) {
    ensure_libgit2();
    HistoryReader reader(target, display, sink);
    if (!reader.preflight())
        return;
    const auto repo = reader.open();
    if (!repo)
        return;

    BlobCollector collector(repo.get(), reader);
    collector.collect_from_refs();
    if (options.all_objects)
        collector.collect_unreachable();
    const auto at_head = collector.head_blobs();
    const auto blobs = collector.take();
    spdlog::debug("{}: {} unique blobs in the git history", reader.location().to_display(),
                  blobs.size());

    HistorySink history(sink);
    scan_blobs(reader, blobs, dispatcher, limits, options, history, report);
    history.flush(blobs, at_head, display, target);
    for (size_t i = 0; i < blobs.size(); ++i)
        sink.count_format("git-blob");
}

}  // namespace hazmat
