#include <fmt/format.h>

#include <filesystem>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "scan/deps/vulnerability_db.hpp"

namespace hazmat::cli {

namespace {

namespace fs = std::filesystem;

struct DbOptions {
    std::string file;
    std::string source;
    std::string database;
};

Result<fs::path> target_database(const DbOptions& options) {
    if (!options.database.empty())
        return fs::path(options.database);
    if (const auto user = deps::user_database_path())
        return *user;
    return Error{"no user data directory: set XDG_DATA_HOME or HOME, or pass --database"};
}

int import_file(const DbOptions& options) {
    const auto database = target_database(options);
    if (!database) {
        print_error(database.error().message);
        return kExitUsage;
    }
    const auto summary = deps::import_osv_file(*database, options.file, options.source);
    if (!summary) {
        print_error(fmt::format("import failed, database unchanged: {}", summary.error().message));
        return kExitUsage;
    }
    fmt::print("imported {} advisories from {} into {}\n", summary->stored, options.file,
               database->string());
    fmt::print("sha256 {}\n", summary->sha256);
    fmt::print(
        "records read {}, stored {}, already newer {}, no PyPI or npm package {}, not OSV "
        "{}\n",
        summary->records, summary->stored, summary->unchanged, summary->skipped, summary->invalid);
    return kExitClean;
}

void print_status(const deps::DatabaseStatus& status, std::string_view role) {
    fmt::print("{}: {}\n", role, status.path.string());
    fmt::print("  advisories {} (malicious packages {}, withdrawn {})\n", status.advisories,
               status.malicious, status.withdrawn);
    for (const auto& [ecosystem, packages] : status.packages_per_ecosystem)
        fmt::print("  {} packages {}\n", ecosystem, packages);
    for (const auto& import : status.imports) {
        fmt::print("  import {}: {}\n", import.imported_at, import.source);
        fmt::print("    file {} sha256 {}\n", import.file, import.sha256);
        fmt::print("    advisories {}, skipped {}\n", import.advisories, import.skipped);
    }
}

int show_status(const DbOptions& options, const GlobalOptions& global) {
    bool shown = false;
    std::error_code ec;
    if (const auto user = target_database(options); user && fs::exists(*user, ec)) {
        auto database = deps::VulnerabilityDatabase::open(*user);
        if (!database) {
            print_error(database.error().message);
            return kExitUsage;
        }
        auto status = (*database)->status();
        if (!status) {
            print_error(status.error().message);
            return kExitUsage;
        }
        print_status(*status, options.database.empty()
                                  ? "user database (takes precedence for the same advisory id)"
                                  : "database");
        shown = true;
    }
    if (!options.database.empty())
        return shown ? kExitClean : (print_error(options.database + " does not exist"), kExitUsage);

    auto data = find_data(global);
    if (!data) {
        print_error(data.error().message);
        return kExitUsage;
    }
    auto shipped = deps::VulnerabilityDatabase::open(deps::shipped_database_path(*data));
    if (!shipped) {
        print_error(shipped.error().message);
        return kExitUsage;
    }
    auto status = (*shipped)->status();
    if (!status) {
        print_error(status.error().message);
        return kExitUsage;
    }
    print_status(*status, "shipped database");
    return kExitClean;
}

}  // namespace

void add_db_commands(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<DbOptions>();
    auto* db = app.add_subcommand(
        "db", "Manage the vulnerability database (OSV advisories) used to check dependencies");
    db->require_subcommand(1);

    auto* import = db->add_subcommand(
        "import",
        "Import OSV advisories into your own database ($XDG_DATA_HOME/hazmat), which takes "
        "precedence over the shipped snapshot for the same advisory id. FILE is an OSV zip "
        "export (all.zip), a JSON array, one JSON record, or JSON lines; records of ecosystems "
        "other than PyPI and npm are skipped. The file's SHA-256 is recorded.");
    import->add_option("FILE", options->file, "OSV export to import")
        ->required()
        ->check(CLI::ExistingFile);
    import->add_option("--source", options->source,
                       "Where the file comes from, recorded in 'db status' (default: its name)");
    import->add_option("--database", options->database,
                       "Import into this database file instead of your own");
    import->callback([options, &exit_code] { exit_code = import_file(*options);
});

auto* status = db->add_subcommand(
    "status", "Show the databases in use: advisories, imports and their SHA-256");
status->add_option("--database", options->database, "Show only this database file");
status->callback([options, &global, &exit_code] { exit_code = show_status(*options, global); });
}  // namespace hazmat::cli

}  // namespace hazmat::cli
