rule discord_token_grabber
{
    meta:
        description = "Discord token grabber: reads Discord's local storage and matches token shapes"
        severity = "high"
    strings:
        $storage = /discord(canary|ptb)?[\\\/]Local Storage[\\\/]leveldb/ nocase
        $regex1 = "[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}"
        $regex2 = "mfa\\.[\\w-]{84}"
        $regex3 = "dQw4w9WgXcQ:"
    condition:
        $storage and any of ($regex*)
}

rule known_stealer_families
{
    meta:
        description = "Name or banner of a known Python or JavaScript stealer family"
        severity = "critical"
    strings:
        $a = "W4SP Stealer" nocase
        $b = "Blank Grabber" nocase
        $c = "Hazard Token Grabber" nocase
        $d = "Creal Stealer" nocase
        $e = "PySilon" nocase
        $f = "Luna Grabber" nocase
        $g = "Empyrean" nocase
    condition:
        any of them
}

rule telegram_document_exfiltration
{
    meta:
        description = "Uploads files to a Telegram bot (sendDocument)"
        severity = "high"
    strings:
        $api = /api\.telegram\.org\/bot[0-9]{6,}:[A-Za-z0-9_-]{20,}/
        $send = "sendDocument"
    condition:
        $api and $send
}
