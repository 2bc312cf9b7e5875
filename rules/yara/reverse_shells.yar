rule reverse_shell_dev_tcp
{
    meta:
        description = "Shell redirected to a /dev/tcp socket (reverse shell)"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1059/004/"
    strings:
        $interactive = /(ba)?sh -i\s*[>&]+\s*\/dev\/(tcp|udp)\//
        $fd = /exec [0-9]+<>\/dev\/tcp\//
    condition:
        any of them
}

rule reverse_shell_netcat_exec
{
    meta:
        description = "netcat or socat handing a shell to a remote host"
        severity = "high"
    strings:
        $nc = /\bnc(at)?\b[^\n]{0,80}\s-e\s+\/bin\/(ba)?sh/
        $socat = /socat[^\n]{0,80}exec:['"]?(\/bin\/)?(ba)?sh/ nocase
        $mkfifo = /mkfifo [^\n]{0,60}\|\s*(\/bin\/)?(ba)?sh -i/
    condition:
        any of them
}

rule reverse_shell_python_pty
{
    meta:
        description = "Python socket reverse shell (socket + dup2 + pty.spawn)"
        severity = "high"
    strings:
        $socket = "socket.socket("
        $dup2 = "os.dup2("
        $spawn = /pty\.spawn\(\s*["']\/bin\/(ba)?sh/
        $call = /subprocess\.call\(\s*\[\s*["']\/bin\/(ba)?sh["']\s*,\s*["']-i["']/
    condition:
        $socket and $dup2 and ($spawn or $call)
}
