# HashiCorp Vault in server mode for the Cairn compose deployment: data on the vault-data volume, sealed at
# every start until unsealed (see deploy/README.md, "Vault").

storage "file" {
  path = "/vault/file"
}

# Plain HTTP on the compose network only: the port is not published. A Vault reached across hosts needs TLS
# (tls_cert_file / tls_key_file here, and "https://" plus secrets.caCertificateFile in the Cairn configs).
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}

api_addr = "http://vault:8200"
ui       = false

# Cairn's services hold periodic tokens (setup.sh) and renew them; this bounds every other lease.
max_lease_ttl     = "8760h"
default_lease_ttl = "768h"
