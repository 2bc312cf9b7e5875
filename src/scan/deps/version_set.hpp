#pragma once

#include <algorithm>
#include <compare>
#include <optional>
#include <vector>

namespace hazmat::deps {

// One end of an interval of versions; `inclusive` says whether the version
// itself belongs to the interval.
template <typename V>
struct Bound {
    V version;
    bool inclusive = true;
};

// A contiguous stretch of a version ordering. A missing bound is unbounded.
// Used to decide whether a version range written in a manifest ("torch>=1.10",
// "^4.17.0") overlaps a range an advisory says is affected, without
// pretending to know which version an installer would pick.
template <typename V>
struct Interval {
    std::optional<Bound<V>> lower;
    std::optional<Bound<V>> upper;

    static Interval everything() { return {}; }
    static Interval exactly(const V& version) {
        return {Bound<V>{version, true}, Bound<V>{version, true}};
    }

    bool empty() const {
        if (!lower || !upper)
            return false;
        const auto order = lower->version <=> upper->version;
        if (order < 0)
            return false;
        if (order > 0)
            return true;
        return !(lower->inclusive && upper->inclusive);
    }

    bool contains(const V& version) const {
        if (lower) {
            const auto order = version <=> lower->version;
            if (order < 0 || (order == 0 && !lower->inclusive))
                return false;
        }
        if (upper) {
            const auto order = version <=> upper->version;
            if (order > 0 || (order == 0 && !upper->inclusive))
                return false;
        }
        return true;
    }
};

namespace detail {

// The tighter of two lower bounds (the larger; exclusive beats inclusive on a tie).
template <typename V>
std::optional<Bound<V>> tighter_lower(const std::optional<Bound<V>>& a,
                                      const std::optional<Bound<V>>& b) {
    if (!a)
        return b;
    if (!b)
        return a;
    const auto order = a->version <=> b->version;
    if (order > 0)
        return a;
    if (order < 0)
        return b;
    return a->inclusive ? b : a;
}

template <typename V>
std::optional<Bound<V>> tighter_upper(const std::optional<Bound<V>>& a,
                                      const std::optional<Bound<V>>& b) {
    if (!a)
        return b;
    if (!b)
        return a;
    const auto order = a->version <=> b->version;
    if (order < 0)
        return a;
    if (order > 0)
        return b;
    return a->inclusive ? b : a;
}

}  // namespace detail

template <typename V>
Interval<V> intersect(const Interval<V>& a, const Interval<V>& b) {
    return {detail::tighter_lower(a.lower, b.lower), detail::tighter_upper(a.upper, b.upper)};
}

// A union of intervals. Not normalised: intervals may overlap, which is
// harmless for the only questions asked of it (membership and overlap).
template <typename V>
using VersionSet = std::vector<Interval<V>>;

template <typename V>
VersionSet<V> intersect(const VersionSet<V>& a, const VersionSet<V>& b) {
    VersionSet<V> result;
    for (const auto& left : a) {
        for (const auto& right : b) {
            auto both = intersect(left, right);
            if (!both.empty())
                result.push_back(std::move(both));
        }
    }
    return result;
}

template <typename V>
bool overlaps(const VersionSet<V>& a, const VersionSet<V>& b) {
    for (const auto& left : a) {
        for (const auto& right : b) {
            if (!intersect(left, right).empty())
                return true;
        }
    }
    return false;
}

template <typename V>
bool contains(const VersionSet<V>& set, const V& version) {
    return std::any_of(set.begin(), set.end(),
                       [&](const Interval<V>& interval) { return interval.contains(version); });
}

}  // namespace hazmat::deps
