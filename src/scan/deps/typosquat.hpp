#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "scan/deps/ecosystem.hpp"

namespace hazmat::deps {

// How a declared name imitates a popular one.
enum class LookalikeKind {
    typo,        // one letter added, dropped or changed ("colourama")
    swap,        // two adjacent letters swapped ("reqeusts")
    confusable,  // characters that look alike: I/l/1, 0/O, rn/m, vv/w, Cyrillic or Greek letters
    separators,  // the same letters with other separators ("pythondateutil", "lodash_es")
    combosquat,  // a popular name plus "python-", "-py", "py", "js", "2" ...
    word_order,  // the popular name's words reordered ("dateutil-python")
    scope,       // npm: the popular package under a look-alike scope, or its scope dropped
};

std::string_view to_string(LookalikeKind kind);

struct Lookalike {
    LookalikeKind kind;
    std::string popular;  // the name it imitates, as the list spells it
    size_t rank = 0;      // 1 = most popular
    std::string detail;   // what differs, in words
};

// The most downloaded packages of one registry, indexed for look-alike
// queries. Immutable after construction; safe to share between threads.
class PopularPackages {
  public:
    // Names in order of popularity, most popular first.
    PopularPackages(Ecosystem ecosystem, std::vector<std::string> names);

    // Reads a shipped list: a header line, then "<rank or downloads>\t<name>"
    // lines. Ranks sort ascending, download counts descending.
    static Result<PopularPackages> load(Ecosystem ecosystem, const std::filesystem::path& tsv);

    Ecosystem ecosystem() const { return ecosystem_; }
    size_t size() const { return names_.size(); }
    const std::vector<std::string>& names() const { return names_; }

    // 1-based rank of a name (compared as the registry compares names).
    std::optional<size_t> rank(std::string_view name) const;

    // The popular package `name` imitates, if any. Names on the list are
    // never look-alikes: two popular packages that resemble each other are
    // both established, and flagging them would bury real findings.
    std::optional<Lookalike> lookalike(std::string_view name) const;

  private:
    std::optional<Lookalike> by_confusion(std::string_view name, const std::string& key) const;
    std::optional<Lookalike> by_edit(const std::string& key) const;
    std::optional<Lookalike> by_scope(const std::string& key) const;
    std::optional<Lookalike> by_combination(const std::string& key) const;
    Lookalike make(LookalikeKind kind, uint32_t id, std::string detail) const;

    Ecosystem ecosystem_;
    std::vector<std::string> names_;
    std::vector<std::string> keys_;                          // names_ normalised, same order
    std::unordered_map<std::string, uint32_t> by_key_;       // normalised name -> id
    std::unordered_map<std::string, uint32_t> by_skeleton_;  // look-alike skeleton -> id
    // (hash of the name with one letter dropped, id), sorted: a flat index
    // that builds in milliseconds; hash collisions are weeded out by the
    // exact edit check afterwards.
    std::vector<std::pair<uint64_t, uint32_t>> by_deletion_;
    void for_each_deletion_match(std::string_view variant,
                                 const std::function<void(uint32_t)>& visit) const;
    std::unordered_map<std::string, uint32_t> by_words_;  // sorted words -> id
    // npm: scoped popular packages by their bare name, and by scope and
    // name run together without separators ("babelcore" for "@babel/core").
    std::unordered_map<std::string, std::vector<uint32_t>> scoped_by_bare_;
    std::unordered_map<std::string, uint32_t> scoped_by_compact_;
};

// The look-alike skeleton of a name: Unicode and ASCII confusables mapped
// to one representative ("jeIlyfish" and "jellyfish" share one), lower
// case, separators removed.
std::string lookalike_skeleton(std::string_view name);

}  // namespace hazmat::deps
