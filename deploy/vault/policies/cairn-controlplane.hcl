# The control plane writes, rotates and deletes backend credentials under secret/cairn/.
path "secret/data/cairn/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/cairn/*" {
  capabilities = ["delete"]
}
