rule cryptominer_pool_configuration
{
    meta:
        description = "Cryptocurrency miner pool configuration"
        severity = "high"
    strings:
        $stratum = /stratum\+(tcp|ssl|tls):\/\// nocase
        $donate = "--donate-level"
        $xmrig = "xmrig" nocase
        $randomx = "randomx" nocase
        $cryptonight = "cryptonight" nocase
    condition:
        $stratum or ($donate and ($xmrig or $randomx or $cryptonight))
}
