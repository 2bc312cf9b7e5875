rule pyarmor_runtime
{
    meta:
        description = "PyArmor-protected code: the source under review is not the code that runs"
        severity = "medium"
    strings:
        $a = "__pyarmor__"
        $b = "pyarmor_runtime"
        $c = "PY00000" ascii
    condition:
        any of them
}

rule python_import_decode_exec_one_liner
{
    meta:
        description = "exec of an __import__-decoded payload, as droppers and obfuscators emit it"
        severity = "high"
    strings:
        $a = /exec\(\s*__import__\(\s*['"](zlib|base64|marshal|bz2|lzma)['"]\s*\)\s*\.\s*(decompress|b64decode|loads)\(/
        $b = /exec\(\s*\(?\s*_{1,2}import_{1,2}\(\s*['"]builtins['"]\s*\)/
    condition:
        any of them
}

rule javascript_obfuscator_io
{
    meta:
        description = "javascript-obfuscator output: string array rotation with _0x identifiers"
        severity = "medium"
    strings:
        $rotate = /while\s*\(\s*!!\[\]\s*\)\s*\{\s*try\s*\{/
        $array = /function _0x[0-9a-f]{4,6}\(\)\s*\{\s*(var|const|let) _0x[0-9a-f]{4,6}\s*=\s*\[/
    condition:
        any of them
}
