#include "scan/pickle/callable_names.hpp"

#include <array>
#include <utility>

namespace hazmat::pickle {

namespace {

using Rename = std::pair<std::string_view, std::string_view>;

// Lib/_compat_pickle.py IMPORT_MAPPING (including the non-mutual additions).
constexpr std::array<Rename, 55> kImportMapping = {{
    {"__builtin__", "builtins"},
    {"copy_reg", "copyreg"},
    {"Queue", "queue"},
    {"SocketServer", "socketserver"},
    {"ConfigParser", "configparser"},
    {"repr", "reprlib"},
    {"tkFileDialog", "tkinter.filedialog"},
    {"tkSimpleDialog", "tkinter.simpledialog"},
    {"tkColorChooser", "tkinter.colorchooser"},
    {"tkCommonDialog", "tkinter.commondialog"},
    {"Dialog", "tkinter.dialog"},
    {"Tkdnd", "tkinter.dnd"},
    {"tkFont", "tkinter.font"},
    {"tkMessageBox", "tkinter.messagebox"},
    {"ScrolledText", "tkinter.scrolledtext"},
    {"Tkconstants", "tkinter.constants"},
    {"Tix", "tkinter.tix"},
    {"ttk", "tkinter.ttk"},
    {"Tkinter", "tkinter"},
    {"markupbase", "_markupbase"},
    {"_winreg", "winreg"},
    {"thread", "_thread"},
    {"dummy_thread", "_dummy_thread"},
    {"dbhash", "dbm.bsd"},
    {"dumbdbm", "dbm.dumb"},
    {"dbm", "dbm.ndbm"},
    {"gdbm", "dbm.gnu"},
    {"xmlrpclib", "xmlrpc.client"},
    {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"httplib", "http.client"},
    {"htmlentitydefs", "html.entities"},
    {"HTMLParser", "html.parser"},
    {"Cookie", "http.cookies"},
    {"cookielib", "http.cookiejar"},
    {"BaseHTTPServer", "http.server"},
    {"test.test_support", "test.support"},
    {"commands", "subprocess"},
    {"urlparse", "urllib.parse"},
    {"robotparser", "urllib.robotparser"},
    {"urllib2", "urllib.request"},
    {"anydbm", "dbm"},
    {"_abcoll", "collections.abc"},
    {"cPickle", "pickle"},
    {"_elementtree", "xml.etree.ElementTree"},
    {"FileDialog", "tkinter.filedialog"},
    {"SimpleDialog", "tkinter.simpledialog"},
    {"DocXMLRPCServer", "xmlrpc.server"},
    {"SimpleHTTPServer", "http.server"},
    {"CGIHTTPServer", "http.server"},
    {"UserDict", "collections"},
    {"UserList", "collections"},
    {"UserString", "collections"},
    {"whichdb", "dbm"},
    {"StringIO", "io"},
    {"cStringIO", "io"},
}};

struct NameRename {
    Rename from;
    Rename to;
};

// Lib/_compat_pickle.py NAME_MAPPING, without the exception renames, which
// are generated from kPython2Exceptions.
constexpr std::array<NameRename, 40> kNameMapping = {{
    {{"__builtin__", "xrange"}, {"builtins", "range"}},
    {{"__builtin__", "reduce"}, {"functools", "reduce"}},
    {{"__builtin__", "intern"}, {"sys", "intern"}},
    {{"__builtin__", "unichr"}, {"builtins", "chr"}},
    {{"__builtin__", "unicode"}, {"builtins", "str"}},
    {{"__builtin__", "long"}, {"builtins", "int"}},
    {{"__builtin__", "basestring"}, {"builtins", "str"}},
    {{"itertools", "izip"}, {"builtins", "zip"}},
    {{"itertools", "imap"}, {"builtins", "map"}},
    {{"itertools", "ifilter"}, {"builtins", "filter"}},
    {{"itertools", "ifilterfalse"}, {"itertools", "filterfalse"}},
    {{"itertools", "izip_longest"}, {"itertools", "zip_longest"}},
    {{"UserDict", "IterableUserDict"}, {"collections", "UserDict"}},
    {{"UserDict", "UserDict"}, {"collections", "UserDict"}},
    {{"UserList", "UserList"}, {"collections", "UserList"}},
    {{"UserString", "UserString"}, {"collections", "UserString"}},
    {{"whichdb", "whichdb"}, {"dbm", "whichdb"}},
    {{"_socket", "fromfd"}, {"socket", "fromfd"}},
    {{"socket", "_socketobject"}, {"socket", "SocketType"}},
    {{"_multiprocessing", "Connection"}, {"multiprocessing.connection", "Connection"}},
    {{"multiprocessing.process", "Process"}, {"multiprocessing.context", "Process"}},
    {{"multiprocessing.forking", "Popen"}, {"multiprocessing.popen_fork", "Popen"}},
    {{"multiprocessing", "AuthenticationError"},
     {"multiprocessing.context", "AuthenticationError"}},
    {{"multiprocessing", "BufferTooShort"}, {"multiprocessing.context", "BufferTooShort"}},
    {{"multiprocessing", "ProcessError"}, {"multiprocessing.context", "ProcessError"}},
    {{"multiprocessing", "TimeoutError"}, {"multiprocessing.context", "TimeoutError"}},
    {{"urllib", "ContentTooShortError"}, {"urllib.error", "ContentTooShortError"}},
    {{"urllib", "getproxies"}, {"urllib.request", "getproxies"}},
    {{"urllib", "pathname2url"}, {"urllib.request", "pathname2url"}},
    {{"urllib", "quote_plus"}, {"urllib.parse", "quote_plus"}},
    {{"urllib", "quote"}, {"urllib.parse", "quote"}},
    {{"urllib", "unquote_plus"}, {"urllib.parse", "unquote_plus"}},
    {{"urllib", "unquote"}, {"urllib.parse", "unquote"}},
    {{"urllib", "url2pathname"}, {"urllib.request", "url2pathname"}},
    {{"urllib", "urlcleanup"}, {"urllib.request", "urlcleanup"}},
    {{"urllib", "urlencode"}, {"urllib.parse", "urlencode"}},
    {{"urllib", "urlopen"}, {"urllib.request", "urlopen"}},
    {{"urllib", "urlretrieve"}, {"urllib.request", "urlretrieve"}},
    {{"urllib2", "HTTPError"}, {"urllib.error", "HTTPError"}},
    {{"urllib2", "URLError"}, {"urllib.error", "URLError"}},
}};

// Lib/_compat_pickle.py PYTHON2_EXCEPTIONS: ('exceptions', X) -> ('builtins', X).
constexpr std::array<std::string_view, 48> kPython2Exceptions = {
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BufferError",
    "BytesWarning",
    "DeprecationWarning",
    "EOFError",
    "EnvironmentError",
    "Exception",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "NameError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "ReferenceError",
    "RuntimeError",
    "RuntimeWarning",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "WindowsError",
};

// C modules whose public objects are the very objects of the Python module
// (os.system is posix.system). Folding them keeps one policy entry per
// callable. Only identities are listed here, never "similar" modules.
constexpr std::array<Rename, 17> kModuleAliases = {{
    {"posix", "os"},
    {"nt", "os"},
    {"posixpath", "os.path"},
    {"ntpath", "os.path"},
    {"_operator", "operator"},
    {"_io", "io"},
    {"_pyio", "io"},
    {"_codecs", "codecs"},
    {"_pickle", "pickle"},
    {"_functools", "functools"},
    {"_collections", "collections"},
    {"_datetime", "datetime"},
    {"_decimal", "decimal"},
    {"_pydecimal", "decimal"},
    {"_socket", "socket"},
    {"_bz2", "bz2"},
    {"_lzma", "lzma"},
}};

// Folds an alias at the head of a dotted module path ("posix" and
// "posix.x"), leaving every other module unchanged.
std::string fold_alias(std::string_view module) {
    for (const auto& [from, to] : kModuleAliases) {
        if (module == from)
            return std::string(to);
        if (module.size() > from.size() && module.starts_with(from) && module[from.size()] == '.')
            return std::string(to) + std::string(module.substr(from.size()));
    }
    return std::string(module);
}

bool is_identifier_start(unsigned char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool is_identifier_part(unsigned char c) {
    return is_identifier_start(c) || (c >= '0' && c <= '9');
}

}  // namespace

std::string canonical_module(std::string_view module) {
    return fold_alias(module);
}

GlobalName normalize_global(std::string_view module, std::string_view attribute, int protocol) {
    GlobalName result{std::string(module), std::string(attribute)};
    if (protocol < 3) {
        bool renamed = false;
        for (const auto& entry : kNameMapping) {
            if (entry.from.first == module && entry.from.second == attribute) {
                result = {std::string(entry.to.first), std::string(entry.to.second)};
                renamed = true;
                break;
            }
        }
        if (!renamed && module == "exceptions") {
            if (attribute == "StandardError") {
                result = {"builtins", "Exception"};
                renamed = true;
            }
            for (const auto name : kPython2Exceptions) {
                if (attribute == name) {
                    result.module = "builtins";
                    renamed = true;
                    break;
                }
            }
        }
        if (!renamed) {
            for (const auto& [from, to] : kImportMapping) {
                if (from == module) {
                    result.module = std::string(to);
                    break;
                }
            }
        }
    }
    result.module = fold_alias(result.module);
    return result;
}

bool is_dotted_identifier(std::string_view text) {
    if (text.empty())
        return false;
    bool at_start = true;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '.') {
            if (at_start)
                return false;
            at_start = true;
            continue;
        }
        if (at_start ? !is_identifier_start(c) : !is_identifier_part(c))
            return false;
        at_start = false;
    }
    return !at_start;
}

}  // namespace hazmat::pickle
