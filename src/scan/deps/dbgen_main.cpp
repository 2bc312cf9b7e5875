// Build-time program: turns the shipped OSV snapshot into the SQLite
// database hazmat reads, with the same import code `hazmat db import` uses.
//
//   hazmat-dbgen OUTPUT.sqlite SNAPSHOT.jsonl SOURCE-DESCRIPTION

#include <fmt/format.h>

#include "scan/deps/vulnerability_db.hpp"

int main(int argc, char** argv) {
    if (argc != 4) {
        fmt::print(stderr, "usage: hazmat-dbgen OUTPUT SNAPSHOT SOURCE-DESCRIPTION\n");
        return 2;
    }
    const auto summary = hazmat::deps::import_osv_file(argv[1], argv[2], argv[3]);
    if (!summary) {
        fmt::print(stderr, "hazmat-dbgen: {}\n", summary.error().message);
        return 1;
    }
    if (summary->invalid > 0) {
        // The shipped snapshot must be clean; a broken line would silently
        // drop advisories from every installation.
        fmt::print(stderr, "hazmat-dbgen: {} records in {} are not OSV records\n", summary->invalid,
                   argv[2]);
        return 1;
    }
    return 0;
}
