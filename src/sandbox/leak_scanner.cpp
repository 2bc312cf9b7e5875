#include "sandbox/leak_scanner.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sandbox/encodings.hpp"

namespace hazmat::sandbox {

namespace {

// Shortest encoded form worth matching: shorter ones would match by chance.
constexpr size_t kMinPatternLength = 12;

// Encoding `value` preceded by `shift` unknown bytes: drop the output
// characters that depend on the unknown bytes before and after it.
std::string stable_middle(const std::string& encoded, size_t shift, size_t value_length,
                          size_t group_bytes, size_t group_chars) {
    const size_t lead = shift == 0 ? 0 : group_chars;
    const bool ragged_end = (shift + value_length) % group_bytes != 0;
    const size_t full_groups = (shift + value_length) / group_bytes;
    const size_t end = ragged_end ? full_groups * group_chars : encoded.size();
    if (end <= lead)
        return {};
    return encoded.substr(lead, end - lead);
}

void add_aligned(std::vector<std::pair<std::string, std::string_view>>& forms,
                 std::string_view value, std::string_view name, size_t group_bytes,
                 size_t group_chars, std::string (*encode)(std::string_view)) {
    for (size_t shift = 0; shift < group_bytes; ++shift) {
        std::string shifted(shift, '\0');
        shifted += value;
        auto encoded = encode(shifted);
        while (!encoded.empty() && encoded.back() == '=')
            encoded.pop_back();
        auto middle = stable_middle(encoded, shift, value.size(), group_bytes, group_chars);
        if (middle.size() >= kMinPatternLength)
            forms.emplace_back(std::move(middle), name);
    }
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::vector<std::pair<std::string, std::string_view>> encoded_forms(std::string_view value) {
    std::vector<std::pair<std::string, std::string_view>> forms;
    forms.emplace_back(std::string(value), "plain");
    forms.emplace_back(hex_encode(value), "hex");
    forms.emplace_back(hex_encode(value, true), "hex");
    forms.emplace_back(url_encode(value), "url");
    add_aligned(forms, value, "base64", 3, 4, base64_encode);
    add_aligned(forms, value, "base64", 3, 4, base64url_encode);
    add_aligned(forms, value, "base32", 5, 8, base32_encode);
    const auto count = forms.size();
    for (size_t i = 0; i < count; ++i) {
        if (forms[i].second == "base32")
            forms.emplace_back(lower(forms[i].first), "base32");
    }
    // Keep the first of each distinct text (plain wins over url for
    // values that need no escaping).
    std::vector<std::pair<std::string, std::string_view>> unique;
    for (auto& form : forms) {
        const bool seen = std::any_of(unique.begin(), unique.end(),
                                      [&](const auto& u) { return u.first == form.first; });
        if (!seen && form.first.size() >= kMinPatternLength)
            unique.push_back(std::move(form));
    }
    return unique;
}

namespace {

uint32_t prefix_of(const unsigned char* bytes) {
    return static_cast<uint32_t>(bytes[0]) << 8 | bytes[1];
}

}  // namespace

LeakScanner::LeakScanner(const std::vector<DecoySecret>& secrets) {
    for (size_t i = 0; i < secrets.size(); ++i) {
        secret_ids_.push_back(secrets[i].id);
        for (auto& [text, encoding] : encoded_forms(secrets[i].value)) {
            longest_ = std::max(longest_, text.size());
            patterns_.push_back({std::move(text), i, encoding});
        }
    }
    const auto prefix = [](const Pattern& p) {
        return prefix_of(reinterpret_cast<const unsigned char*>(p.text.data()));
    };
    std::sort(patterns_.begin(), patterns_.end(),
              [&](const Pattern& a, const Pattern& b) { return prefix(a) < prefix(b); });
    for (const auto& pattern : patterns_) {
        const auto bit = prefix(pattern);
        prefix_bits_[bit / 64] |= 1ull << (bit % 64);
    }
}

void LeakScanner::scan(std::string_view channel, std::string_view bytes) {
    std::vector<bool> found(secret_ids_.size(), false);
    match(channel, bytes, {}, found);
    // A value percent-encoded only in part (Python's urllib.parse.quote
    // keeps '/' and escapes '+') matches no fixed pattern: decode every
    // escape and look again. A secret already seen as it is keeps that
    // encoding alone.
    if (const auto decoded = percent_decode(bytes))
        match(channel, *decoded, "url", found);
}

void LeakScanner::match(std::string_view channel, std::string_view bytes,
                        std::string_view as_encoding, std::vector<bool>& found) {
    if (bytes.size() < 2)
        return;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    for (size_t i = 0; i + 1 < bytes.size(); ++i) {
        const auto prefix = prefix_of(data + i);
        if (!(prefix_bits_[prefix / 64] & (1ull << (prefix % 64))))
            continue;
        auto it = std::lower_bound(
            patterns_.begin(), patterns_.end(), prefix, [](const Pattern& p, uint32_t value) {
                return prefix_of(reinterpret_cast<const unsigned char*>(p.text.data())) < value;
            });
        for (; it != patterns_.end() &&
               prefix_of(reinterpret_cast<const unsigned char*>(it->text.data())) == prefix;
             ++it) {
            if (bytes.size() - i >= it->text.size() &&
                std::memcmp(bytes.data() + i, it->text.data(), it->text.size()) == 0) {
                if (!as_encoding.empty() && found[it->secret])
                    continue;
                if (as_encoding.empty())
                    found[it->secret] = true;
                hits_.insert({secret_ids_[it->secret],
                              std::string(as_encoding.empty() ? it->encoding : as_encoding),
                              std::string(channel)});
            }
        }
    }
}

void LeakScanner::feed(std::string_view channel, std::string_view bytes) {
    if (patterns_.empty() || bytes.empty())
        return;
    auto it = tails_.find(channel);
    if (it == tails_.end())
        it = tails_.emplace(std::string(channel), std::string()).first;
    std::string& tail = it->second;
    // Scan the carried tail joined with the head of the new bytes, so a
    // value split across writes is seen; matches wholly inside the tail were
    // already reported.
    const auto head = bytes.substr(0, std::min(bytes.size(), longest_ - 1));
    if (!tail.empty())
        scan(channel, tail + std::string(head));
    scan(channel, bytes);
    const size_t keep = longest_ - 1;
    if (bytes.size() >= keep) {
        tail.assign(bytes.substr(bytes.size() - keep));
    } else {
        tail += bytes;
        if (tail.size() > keep)
            tail.erase(0, tail.size() - keep);
    }
}

void LeakScanner::scan_whole(std::string_view channel, std::string_view bytes) {
    if (!patterns_.empty())
        scan(channel, bytes);
}

}  // namespace hazmat::sandbox
