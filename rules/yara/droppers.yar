rule powershell_encoded_download_cradle
{
    meta:
        description = "PowerShell download cradle or encoded command"
        severity = "high"
    strings:
        $enc = /powershell(\.exe)?\s+(-[a-z]+\s+)*-e(nc(odedcommand)?)?\s+[A-Za-z0-9+\/=]{40,}/ nocase
        $iex = /IEX\s*\(\s*\(?\s*New-Object\s+(System\.)?Net\.WebClient\)?\s*\.\s*DownloadString/ nocase
        $b64 = /\[System\.Convert\]::FromBase64String[^\n]{0,200}(IEX|Invoke-Expression)/ nocase
    condition:
        any of them
}

rule windows_lolbin_download
{
    meta:
        description = "Windows binary misused to download a second stage"
        severity = "high"
    strings:
        $certutil = /certutil(\.exe)?\s+[^\n]{0,40}-urlcache[^\n]{0,40}-f\s+https?:\/\// nocase
        $bitsadmin = /bitsadmin(\.exe)?\s+\/transfer\s+[^\n]{0,80}https?:\/\// nocase
        $mshta = /mshta(\.exe)?\s+https?:\/\// nocase
    condition:
        any of them
}
