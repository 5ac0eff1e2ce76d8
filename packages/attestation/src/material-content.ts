/**
 * A material's bytes as the checks read them: decoded as UTF-8 and parsed as JSON at most once each, so
 * detecting a kind and then validating it (what `cairn attestation add` does for a file without --kind)
 * parses a large SBOM once, not twice.
 */
export class MaterialContent {
  readonly bytes: Uint8Array;
  #text: string | undefined | null = null;
  #json: ParsedJson | undefined;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static of(content: Uint8Array | MaterialContent): MaterialContent {
    return content instanceof MaterialContent ? content : new MaterialContent(content);
  }

  /** UTF-8 text without a byte-order mark, or undefined when the bytes are not UTF-8. */
  get text(): string | undefined {
    if (this.#text === null) this.#text = decodeUtf8(this.bytes);
    return this.#text;
  }

  /** The text parsed as JSON; bytes that are not text are not JSON either. */
  get json(): ParsedJson {
    this.#json ??= parseJson(this.text ?? '');
    return this.#json;
  }
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; problem: string };

/** UTF-8 text without a byte-order mark, or undefined when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `it is not JSON (${(error as Error).message})` };
  }
}
