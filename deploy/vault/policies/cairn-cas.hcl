# The artifact CAS only reads the credentials a CAS token names.
path "secret/data/cairn/*" {
  capabilities = ["read"]
}
