/** The only signature algorithm Cairn issues or accepts for CAS tokens. */
export const CAS_TOKEN_ALGORITHM = 'ES256';

/**
 * The JOSE `typ` header of a CAS token (explicit typing, RFC 8725 §3.11), so a JWT minted for some
 * other purpose with the same key can never pass as a CAS token.
 */
export const CAS_TOKEN_TYPE = 'cairn-cas+jwt';

/** Defaults shared by minting and verification, so both sides agree when neither is configured. */
export const CAS_TOKEN_DEFAULTS = {
  issuer: 'cairn-controlplane',
  audience: 'cairn-artifact-cas',
  /** DESIGN.md: tokens live 5 minutes unless the control plane asks otherwise. */
  lifetimeSeconds: 300,
  /** Clock skew tolerated between the control plane and the CAS. */
  clockToleranceSeconds: 30,
} as const;
