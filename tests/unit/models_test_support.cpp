#include "models_test_support.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace hazmat::testing {

std::string tar_member(const std::string& fixture, const std::string& member) {
    const auto content = read_fixture(fixture);
    const std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                        archive_read_free);
    archive_read_support_format_tar(reader.get());
    if (archive_read_open_memory(reader.get(), content.data(), content.size()) != ARCHIVE_OK) {
        ADD_FAILURE() << fixture << ": " << archive_error_string(reader.get());
        return {};
    }
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
        if (archive_entry_pathname(entry) != member)
            continue;
        std::string data(static_cast<size_t>(archive_entry_size(entry)), '\0');
        const auto read = archive_read_data(reader.get(), data.data(), data.size());
        EXPECT_EQ(read, static_cast<la_ssize_t>(data.size()));
        return data;
    }
    ADD_FAILURE() << fixture << " has no member " << member;
    return {};
}

}  // namespace hazmat::testing
